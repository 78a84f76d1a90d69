"""witness evaluate: the arithmetic on a small hand-made truth/alerts pair, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from witness.simulator.truth_eval import evaluate, read_truth, subjects_match

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
