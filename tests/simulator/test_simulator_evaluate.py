"""witness evaluate: the arithmetic on a small hand-made truth/alerts pair, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from witness.commands.evaluate_seeds import parse_seeds
from witness.simulator.truth_eval import SeedReport, evaluate, pool, read_truth, subjects_match

TRUTH = [
    {"rule": "REL-40-6", "project_id": "P1", "subjects": ["A", "B"]},
    {"rule": "REL-40-6", "project_id": "P2", "subjects": ["C", "D", "E"]},
    {"rule": "VID-OFFLINE", "project_id": "P1", "subjects": ["R1", "R1-C2"]},
    {"rule": "PROC-FEW", "project_id": "P3", "subjects": []},
    {"rule": "REL-RING", "project_id": "*", "subjects": ["A", "C", "F"]},
]
ALERTS = [
    {"rule": "REL-40-6", "project_id": "P1", "subjects": ["A", "B"]},  # TP
    {"rule": "REL-40-6", "project_id": "P2", "subjects": ["C", "D"]},  # TP (J = 2/3)
    {"rule": "REL-40-6", "project_id": "P2", "subjects": ["D", "E"]},  # TP, same case again
    {"rule": "REL-40-6", "project_id": "P1", "subjects": ["A", "X"]},  # FP (J = 1/3)
    {"rule": "VID-OFFLINE", "project_id": "P1", "subjects": ["R1", "R1-C1"]},  # FP: wrong camera
    {"rule": "PROC-FEW", "project_id": "P4", "subjects": []},  # FP: wrong project
    {"rule": "REL-RING", "project_id": "P9", "subjects": ["A", "C", "F"]},  # TP: cross-project
    {"rule": "EXP-DEV", "project_id": "P1", "subjects": ["E1"]},  # FP: complete rule, no case
    {"rule": "X-NEW", "project_id": "P1", "subjects": ["A"]},  # unscored
]


def test_subject_matching_rules() -> None:
    assert subjects_match(["A", "B"], ["A", "B", "C"])  # containment
    assert subjects_match(["R1", "C1"], ["R1"])  # alert names the room only
    assert subjects_match(["A", "B", "C"], ["A", "B", "D"])  # J = 0.5
    assert not subjects_match(["A", "B"], ["A", "C"])  # J = 1/3
    assert subjects_match([], ["A"]) and subjects_match(["A"], [])


def test_per_rule_and_overall_arithmetic() -> None:
    complete = {"REL-40-6", "VID-OFFLINE", "PROC-FEW", "REL-RING", "EXP-DEV"}
    r = evaluate(TRUTH, ALERTS, complete)
    rules = {s.rule: s for s in r.rules}
    s = rules["REL-40-6"]
    assert (s.cases, s.detected, s.alerts, s.true_alerts) == (2, 2, 4, 3)
    assert s.precision == pytest.approx(0.75) and s.recall == 1.0
    assert s.f1 == pytest.approx(2 * 0.75 / 1.75)
    v = rules["VID-OFFLINE"]
    assert (v.cases, v.detected, v.alerts, v.true_alerts) == (1, 0, 1, 0)
    assert v.precision == 0.0 and v.recall == 0.0 and v.f1 == 0.0
    assert rules["PROC-FEW"].recall == 0.0
    assert rules["REL-RING"].recall == 1.0 and rules["REL-RING"].precision == 1.0
    d = rules["EXP-DEV"]
    assert (d.cases, d.alerts, d.true_alerts) == (0, 1, 0) and d.recall is None and d.f1 is None
    o = r.overall
    assert (o.cases, o.detected, o.alerts, o.true_alerts) == (5, 3, 8, 4)
    assert o.precision == pytest.approx(0.5) and o.recall == pytest.approx(0.6)
    assert len(r.missed) == 2 and len(r.false) == 4 and len(r.unscored) == 1


def test_without_completeness_only_truth_rules_count() -> None:
    r = evaluate(TRUTH, ALERTS, None)
    assert "EXP-DEV" not in {s.rule for s in r.rules}
    assert len(r.unscored) == 2


def test_cli_table_and_json(tmp_path) -> None:
    truth = tmp_path / "truth.jsonl"
    alerts = tmp_path / "alerts.jsonl"
    header = {"complete_rules": ["REL-40-6", "VID-OFFLINE", "PROC-FEW", "REL-RING", "EXP-DEV"]}
    truth.write_text("\n".join(json.dumps(x) for x in [header, *TRUTH]) + "\n", encoding="utf-8")
    alerts.write_text("\n".join(json.dumps(x) for x in ALERTS) + "\n", encoding="utf-8")
    cases, complete = read_truth(truth.read_text().splitlines())
    assert len(cases) == 5 and "EXP-DEV" in complete
    cmd = [
        sys.executable,
        "-m",
        "witness.cli",
        "evaluate",
        "--truth",
        str(truth),
        "--alerts",
        str(alerts),
    ]
    zh = subprocess.run(
        cmd, capture_output=True, text=True, env={"WITNESS_LOCALE": "zh-CN", "PATH": ""}, check=True
    )
    assert "精确率" in zh.stdout and "漏报" in zh.stdout and "REL-40-6" in zh.stdout
    en = subprocess.run(
        cmd + ["--json"],
        capture_output=True,
        text=True,
        env={"WITNESS_LOCALE": "en", "PATH": ""},
        check=True,
    )
    data = json.loads(en.stdout)
    assert data["overall"]["true_alerts"] == 4 and data["overall"]["alerts"] == 8


# ---------------------------------------------------------------- several seeds in one table


def _seed_report(seed: int, cases, alerts, projects) -> SeedReport:
    complete = {"REL-40-6", "VID-OFFLINE", "PROC-FEW", "REL-RING", "EXP-DEV"}
    return SeedReport(seed, evaluate(cases, alerts, complete), projects, cases)


def test_pooled_counts_are_sums_and_false_alarms_are_per_honest_project() -> None:
    one = _seed_report(1, TRUTH, ALERTS, ["P1", "P2", "P3", "P4"])
    # A second seed: one REL-40-6 case found, and two false EXP-DEV alerts.
    cases = [{"rule": "REL-40-6", "project_id": "Q1", "subjects": ["A", "B"]}]
    alerts = [
        {"rule": "REL-40-6", "project_id": "Q1", "subjects": ["A", "B"]},
        {"rule": "EXP-DEV", "project_id": "Q1", "subjects": ["E1"]},
        {"rule": "EXP-DEV", "project_id": "Q2", "subjects": ["E2"]},
    ]
    two = _seed_report(2, cases, alerts, ["Q1", "Q2"])
    pooled = pool([one, two])
    rules = {s.rule: s for s in pooled.rules}
    r = rules["REL-40-6"]
    assert (r.cases, r.detected, r.alerts, r.true_alerts) == (3, 3, 5, 4)
    assert r.precision == pytest.approx(0.8)  # pooled counts, not the mean of 0.75 and 1.0
    # REL-40-6: one false alarm (P1) over honest projects P3, P4, Q2 -> 33.3 per 100
    assert pooled.false_per_100["REL-40-6"] == pytest.approx(100 / 3)
    # EXP-DEV: three false alarms over all six projects (no case anywhere)
    assert pooled.false_per_100["EXP-DEV"] == pytest.approx(50.0)
    # REL-RING's case is cross-project ('*'): every project stays honest for it
    assert one.honest_projects("REL-RING") == 4
    assert pooled.false_per_100["REL-RING"] == 0.0
    o = pooled.overall
    assert (o.cases, o.alerts, o.true_alerts) == (6, 11, 5)
    assert set(pooled.over_budget()) == {"REL-40-6", "EXP-DEV", "VID-OFFLINE", "PROC-FEW"}
    data = pooled.to_dict()
    assert [s["seed"] for s in data["seeds"]] == [1, 2]
    assert data["over_budget"] == pooled.over_budget()


def test_seed_lists_are_checked() -> None:
    assert parse_seeds("1, 2,3") == [1, 2, 3]
    for bad in ("", "1,,2", "1,x", "2,2"):
        with pytest.raises(ValueError):
            parse_seeds(bad)


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "witness.cli", "evaluate", *argv],
        capture_output=True,
        text=True,
        env={"WITNESS_LOCALE": "en", "PATH": ""},
    )


def test_seeds_table_matches_the_files_path_seed_by_seed(tmp_path) -> None:
    """`--seeds` gives what simulate -> replay -> evaluate on files gives, per seed."""
    out = _cli("--seeds", "3,5", "--projects", "3", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "seed 3:" in out.stderr and "seed 5:" in out.stderr  # progress on long work
    for seed_data in data["seeds"]:
        seed = seed_data["seed"]
        ev, tr, al = (tmp_path / f"{n}{seed}.jsonl" for n in ("ev", "tr", "al"))
        for argv in (
            ["simulate", "--projects", "3", "--seed", str(seed), "--out", str(ev)]
            + ["--truth", str(tr), "--no-progress"],
            ["replay", str(ev), "--out", str(al)],
        ):
            subprocess.run(
                [sys.executable, "-m", "witness.cli", *argv],
                check=True,
                capture_output=True,
                env={"WITNESS_LOCALE": "en", "PATH": ""},
            )
        files = json.loads(_cli("--truth", str(tr), "--alerts", str(al), "--json").stdout)
        assert seed_data["rules"] == files["rules"]
        assert seed_data["overall"] == files["overall"]
    pooled = {r["rule"]: r for r in data["rules"]}
    for rule, r in pooled.items():
        per = [next(x for x in s["rules"] if x["rule"] == rule) for s in data["seeds"]]
        assert r["cases"] == sum(x["cases"] for x in per)
        assert r["true_alerts"] == sum(x["true_alerts"] for x in per)


def test_seeds_table_prints_every_seed_and_the_budget_line() -> None:
    out = _cli("--seeds", "3", "--projects", "2")
    assert out.returncode == 0, out.stderr
    head = out.stdout.splitlines()[0]
    assert "seed 3 P/R" in head and "FA/100" in head and "precision" in head
    assert "VID-OFFLINE" in out.stdout
    assert "false-alarm budget" in out.stdout or "within the budget" in out.stdout


def test_evaluate_refuses_bad_or_missing_input() -> None:
    assert _cli().returncode == 2
    bad = _cli("--seeds", "1,x")
    assert bad.returncode == 2 and "--seeds" in bad.stderr
    both = _cli("--seeds", "1", "--truth", "t.jsonl", "--alerts", "a.jsonl")
    assert both.returncode == 2 and "--seeds" in both.stderr
