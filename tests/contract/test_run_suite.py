"""`make test`'s runner: no test ran is a failure, and its arguments reach pytest."""

from __future__ import annotations

import importlib.util
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
