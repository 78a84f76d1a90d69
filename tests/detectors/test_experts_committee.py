"""EXP-COMMITTEE: size, odd number, experts' share; judged when the committee is complete."""

from __future__ import annotations

from detectors.experts import CommitteeDetector
from tests.detectors.conftest import by_rule, evaluation_started, expert, fold, score


def committee(experts: int, reps: int) -> list:
    evs = [expert(f"E{i}") for i in range(experts)]
    evs += [expert(f"R{i}", role="tenderer_rep") for i in range(reps)]
    return evs


def run(events: list) -> list:
    return by_rule(fold(CommitteeDetector(), events), "EXP-COMMITTEE")


def test_seven_members_with_five_experts_is_valid() -> None:
    assert run([*committee(5, 2), evaluation_started()]) == []


def test_five_experts_and_nine_with_exactly_two_thirds_are_valid() -> None:
    assert run([*committee(5, 0), evaluation_started()]) == []
    assert run([*committee(6, 3), evaluation_started()]) == []


def test_too_few_and_even_members_fire_with_evidence() -> None:
    [alert] = run([*committee(4, 0), evaluation_started()])
    ev = alert.evidence
    assert ev["members"] == 4
    assert set(ev["violations"]) == {"fewer_members_than_minimum", "even_number_of_members"}
    assert ev["threshold"]["min_members"] == 5
    assert alert.subjects == ["E0", "E1", "E2", "E3"]
    assert alert.severity == "red"


def test_too_many_tenderer_reps_fire() -> None:
    [alert] = run([*committee(3, 2), evaluation_started()])
    assert alert.evidence["violations"] == ["experts_below_share"]
    assert alert.evidence["experts"] == 3 and alert.evidence["tenderer_reps"] == 2
    [alert] = run([*committee(4, 3), evaluation_started()])  # 4/7 < 2/3
    assert alert.evidence["violations"] == ["experts_below_share"]


def test_not_judged_while_experts_are_still_being_drawn() -> None:
    assert run(committee(1, 0)) == []
    assert run(committee(4, 0)) == []


def test_first_score_completes_the_committee_when_start_was_not_sent() -> None:
    [alert] = run([*committee(3, 0), score("E0", "B1", "t1", 10)])
    assert alert.evidence["members"] == 3


def test_late_assignment_is_rechecked_and_updates_the_same_alert() -> None:
    events = [*committee(5, 0), evaluation_started()]
    assert run(events) == []
    events.append(expert("E9", at=10))  # a sixth member joins after the start
    [alert] = run(events)
    assert alert.evidence["violations"] == ["even_number_of_members"]
    events.append(expert("E8", at=11))  # a seventh: valid again, nothing new is raised
    assert [a.alert_id for a in run(events)] == [alert.alert_id]
    short = [*committee(3, 0), evaluation_started(), expert("E7", at=5)]
    [first, *_] = run(short[:4])
    [second] = run(short)
    assert first.alert_id == second.alert_id  # same committee, same alert, updated
    assert (first.evidence["members"], second.evidence["members"]) == (3, 4)


def test_reassigning_an_expert_does_not_count_twice() -> None:
    events = [*committee(5, 0), expert("E0", at=-500), evaluation_started()]
    assert run(events) == []
