"""`make test`'s runner: no test ran is a failure, and its arguments reach pytest."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "run_suite.py"
spec = importlib.util.spec_from_file_location("run_suite", RUNNER)
run_suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_suite)


def test_no_test_ran_fails_and_other_codes_pass_through():
    assert run_suite.verdict("x", 5) == 1
    assert (run_suite.verdict("x", 0), run_suite.verdict("x", 1)) == (0, 1)


def test_arguments_run_one_pytest_with_exactly_those(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_a():\n    assert True\n")
    (tmp_path / "test_bad.py").write_text("def test_b():\n    assert False\n")
    assert run_suite.main([str(tmp_path / "test_one.py")]) == 0
    assert run_suite.main([str(tmp_path / "test_bad.py")]) == 1
    assert run_suite.main([str(tmp_path / "test_one.py"), "-k", "nothing_matches"]) == 1


def _collected(args: list[str]) -> subprocess.Popen:
    # Collecting runs no assert, so pytest need not rewrite them: 4 s less per collection.
    cmd = [*run_suite.BASE, "--collect-only", "--assert=plain", *args]
    return subprocess.Popen(cmd, cwd=run_suite.ROOT, stdout=subprocess.PIPE, text=True)


def _ids(proc: subprocess.Popen) -> list[str]:
    out, _ = proc.communicate(timeout=300)
    return [line for line in out.splitlines() if "::" in line]


def test_the_lanes_run_every_test_of_the_suite_exactly_once():
    procs = {name: _collected(args) for name, args in run_suite.LANES.items()}
    procs["rest"] = _collected(run_suite.FOREGROUND)
    procs["all"] = _collected(["tests"])
    ids = {name: _ids(p) for name, p in procs.items()}
    everything = ids.pop("all")
    lanes = [i for name in ids for i in ids[name]]
    assert all(ids.values()), {n: len(v) for n, v in ids.items()}  # no lane is empty
    assert len(lanes) == len(set(lanes))  # none twice
    assert sorted(lanes) == sorted(everything)  # none left out
