"""EXP-AVOID: conflicts of interest, found as soon as expert and bid are both known."""

from __future__ import annotations

from detectors.experts import AvoidanceDetector, years_before
from detectors.offline import run_detectors
from tests.detectors.conftest import (
    bid,
    by_rule,
    evaluation_started,
    expert,
    expert_detectors,
    fold,
    relation,
    score,
)

# expert.assigned events are at T0 - 600 min, i.e. 2026-11-19 (CST)


def run(events: list) -> list:
    return by_rule(fold(AvoidanceDetector(), events), "EXP-AVOID")


def kinds(alert) -> set[str]:
    return {c["conflict"] for c in alert.evidence["conflicts"]}


def test_current_employer_fires_in_either_order_with_one_id() -> None:
    e, b = expert("X1", employer="B1"), bid("B1")
    [a1] = run([e, b])
    [a2] = run([b, e])
    assert a1.alert_id == a2.alert_id
    assert a1.subjects == ["B1", "X1"]
    assert kinds(a1) == {"employed_by_bidder"}
    assert a1.evidence["bidder_name"] == "公司B1"
    assert a1.severity == "red"


def test_no_conflict_no_alert() -> None:
    events = [
        expert("X1", employer="UNIV", relatives=[{"name": "张三", "id_no": "P9"}]),
        bid("B1"),
        bid("B2"),
        evaluation_started(),
    ]
    assert run(events) == []


def test_past_employment_counts_within_three_years_only() -> None:
    recent = expert("X1", past_employers=[{"id": "B1", "until": "2024-06-30"}])
    old = expert("X2", past_employers=[{"id": "B1", "until": "2022-06-30"}])
    unknown = expert("X3", past_employers=[{"id": "B1"}])
    alerts = run([recent, old, unknown, bid("B1")])
    assert sorted(a.evidence["expert_id"] for a in alerts) == ["X1", "X3"]
    assert all(kinds(a) == {"past_employment"} for a in alerts)
    assert alerts[0].evidence["threshold"]["years"] == 3


def test_kin_of_the_legal_representative() -> None:
    e = expert("X1", relatives=[{"name": "李四", "id_no": "P77", "relation": "配偶"}])
    [a] = run([e, bid("B1", legal_rep_id="P77"), bid("B2")])
    [c] = a.evidence["conflicts"]
    assert c["conflict"] == "kin_of_legal_rep" and c["relation"] == "配偶"
    assert a.evidence["bidder_id"] == "B1"


def test_registry_kinship_and_registry_legal_rep() -> None:
    events = [
        relation("X1", "P50", "kinship"),
        relation("P50", "B2", "legal_rep"),
        expert("X1"),
        bid("B2", legal_rep_id="OTHER"),
    ]
    [a] = by_rule(run_detectors(events, expert_detectors()), "EXP-AVOID")
    assert kinds(a) == {"kin_of_legal_rep"}
    assert a.evidence["conflicts"][0]["legal_rep_source"] == "registry"


def test_registry_director_and_controlling_shareholder_within_window() -> None:
    events = [
        relation("X1", "B1", "director", since="2019-01-01", until="2025-03-01"),
        relation("X2", "B1", "director", since="2010-01-01", until="2020-03-01"),
        relation("X3", "B1", "shareholder", share=0.6),
        relation("X4", "B1", "shareholder", share=0.2),
        *(expert(x) for x in ("X1", "X2", "X3", "X4")),
        bid("B1"),
    ]
    alerts = by_rule(run_detectors(events, expert_detectors()), "EXP-AVOID")
    got = {a.evidence["expert_id"]: kinds(a) for a in alerts}
    assert got == {
        "X1": {"past_director_of_bidder"},
        "X3": {"controlling_shareholder_of_bidder"},
    }


def test_expert_named_in_the_bid_as_director() -> None:
    e = expert("P31")
    b = bid("B1", directors=[{"name": "王五", "id_no": "P31"}])
    [a] = run([e, b])
    assert kinds(a) == {"director_of_bidder"}


def test_same_employer_group() -> None:
    events = [
        relation("GROUP", "B1", "shareholder", share=0.8),
        relation("B2", "PARENT", "employment"),
        expert("X1", employer="GROUP"),
        expert("X2", employer="PARENT"),
        bid("B1"),
        bid("B2"),
    ]
    got = {
        (a.evidence["expert_id"], a.evidence["bidder_id"]): kinds(a)
        for a in by_rule(run_detectors(events, expert_detectors()), "EXP-AVOID")
    }
    assert got == {("X1", "B1"): {"employer_controls_bidder"}, ("X2", "B2"): {"same_employer"}}


def test_registry_fact_arriving_late_is_caught_at_evaluation_start() -> None:
    events = [expert("X1"), bid("B1"), relation("X1", "B1", "employment"), evaluation_started()]
    [a] = by_rule(run_detectors(events, expert_detectors()), "EXP-AVOID")
    assert kinds(a) == {"employed_by_bidder"}
    assert a.first_seen == events[-1].ts  # raised before any score


def test_raised_before_scoring() -> None:
    events = [bid("B1"), expert("X1", employer="B1"), score("X1", "B1", "t1", 10)]
    alerts = run_detectors(events, expert_detectors())
    [a] = by_rule(alerts, "EXP-AVOID")
    assert a.first_seen < events[-1].ts


def test_years_before_handles_leap_day() -> None:
    from datetime import date

    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2026, 11, 19), 3) == date(2023, 11, 19)
