"""EXP-FAST (duration, click-through) and EXP-FOCUS from platform activity."""

from __future__ import annotations

from datetime import timedelta

from detectors.experts import BehaviourDetector, longest_run
from tests.detectors.conftest import T0, by_rule, ev, evaluation_started, fold, score


def run(events: list) -> dict:
    return fold(BehaviourDetector(), events)


def finished(at: float) -> object:
    return ev("evaluation.finished", {"room_id": "R2", "ranking": []}, at)


def activity(e: str, action: str, at: float, bidder: str | None = "B1") -> object:
    return ev("expert.activity", {"expert_id": e, "action": action, "bidder_id": bidder}, at)


def test_finishing_in_a_third_of_the_planned_time_fires() -> None:
    events = [evaluation_started(0, planned=120), score("E1", "B1", "t", 9, at=20), finished(40)]
    [alert] = by_rule(run(events), "EXP-FAST")
    ev_ = alert.evidence
    assert ev_["elapsed_minutes"] == 40 and ev_["limit_minutes"] == 60
    assert ev_["threshold"] == {"planned_share": 0.5}
    assert ev_["experts"]["E1"]["minutes_from_start"] == 20
    assert alert.subjects == ["E1"]


def test_finishing_in_reasonable_time_or_without_a_plan_is_quiet() -> None:
    assert run([evaluation_started(0, planned=120), finished(90)]) == {}
    assert run([evaluation_started(0, planned=None), finished(5)]) == {}
    assert run([finished(5)]) == {}


def clicks(e: str, n: int, gap_seconds: float) -> list:
    return [activity(e, "score_click", i * gap_seconds / 60) for i in range(n)]


def test_click_through_fires_once_the_run_is_long_enough_and_grows_in_place() -> None:
    alerts = by_rule(run(clicks("E2", 12, 1.0)), "EXP-FAST")
    [alert] = alerts
    assert alert.subjects == ["E2"]
    assert alert.evidence["run_clicks"] == 12 and alert.evidence["median_gap_seconds"] == 1.0
    assert alert.evidence["threshold"] == {"max_click_seconds": 2.0, "min_click_run": 10}


def test_deliberate_clicks_and_short_runs_are_quiet() -> None:
    assert run(clicks("E2", 30, 20.0)) == {}
    assert run(clicks("E2", 9, 1.0)) == {}
    # two experts clicking at the same moments are not one run
    mixed = clicks("E1", 6, 1.0) + clicks("E2", 6, 1.0)
    assert run(mixed) == {}


def test_longest_run() -> None:
    ts = [T0 + timedelta(seconds=s) for s in (0, 1, 2, 10, 11, 12, 13, 30)]
    assert longest_run(ts, 2.0) == (3, 4)
    assert longest_run([], 2.0) == (0, 0)


def test_expert_keeps_opening_one_bidders_file() -> None:
    events = [activity("E3", "open_file", i, "B2") for i in range(10)]
    events += [activity("E3", "open_file", 20, "B1"), activity("E1", "open_file", 21, "B2")]
    [alert] = by_rule(run(events), "EXP-FOCUS")
    assert alert.subjects == ["B2", "E3"]
    ev_ = alert.evidence
    assert ev_["opens_of_bidder"] == 10 and ev_["opens_total"] == 11
    assert ev_["opens_by_bidder"] == {"B1": 1, "B2": 10}
    assert ev_["threshold"] == {"min_opens": 10, "share": 0.6}


def test_reading_every_file_many_times_is_quiet() -> None:
    events = [activity("E3", "open_file", i, f"B{i % 3}") for i in range(40)]
    events += [activity("E3", "page_view", 50, "B1") for _ in range(30)]
    assert run(events) == {}
