"""PROC-ORDER, PROC-LATE, PROC-FEW, PROC-CAND on hand-made lifecycles."""

from __future__ import annotations

from detectors.offline import run_detectors
from detectors.procedure import TRANSITIONS, ProcedureDetector, advance
from tests.detectors.conftest import (
    PID,
    bid,
    by_rule,
    ev,
    expert,
    expert_detectors,
    fold,
    score,
)

DEADLINE = 0  # minutes after T0


def registered(at: float = -10_000, deadline: float = DEADLINE) -> object:
    payload = {
        "name": "某道路改造工程",
        "bid_deadline": ev("project.archived", {}, deadline).ts.isoformat(),
        "rooms": [{"room_id": "R1", "kind": "opening"}, {"room_id": "R2", "kind": "evaluation"}],
    }
    return ev("project.registered", payload, at)


def room(type_: str, at: float, room_id: str = "R1", **extra: object) -> object:
    return ev(type_, {"room_id": room_id, **extra}, at)


def opened(bidder: str, at: float = 5) -> object:
    return ev("bid.opened", {"bidder_id": bidder, "price": 900_000}, at)


def ranking(n: int, flags: list[bool] | None = None, at: float = 300) -> object:
    rows = []
    for i in range(n):
        row = {"bidder_id": f"B{i + 1}", "total": 90 - i, "rank": i + 1}
        if flags is not None:
            row["candidate"] = flags[i]
        rows.append(row)
    return ev("evaluation.finished", {"room_id": "R2", "ranking": rows}, at)


def honest(bidders: int = 3) -> list:
    names = [f"B{i + 1}" for i in range(bidders)]
    return [
        registered(),
        *(bid(b, at=-100 - i) for i, b in enumerate(names)),
        *(expert(f"E{i}", at=-50) for i in range(5)),
        room("opening.started", 1),
        *(opened(b) for b in names),
        room("opening.closed", 10),
        room("evaluation.started", 60, room_id="R2", planned_minutes=120),
        *(score(f"E{i}", b, "tech", 10, at=90) for i in range(5) for b in names),
        ev("expert.activity", {"expert_id": "E0", "action": "open_file", "bidder_id": "B1"}, 80),
        ranking(bidders),
        ev("project.archived", {}, 400),
    ]


def run(events: list) -> dict:
    return fold(ProcedureDetector(), events)


def steps(alerts: dict) -> set[tuple[str, str]]:
    return {(a.evidence["step"], a.evidence["phase"]) for a in by_rule(alerts, "PROC-ORDER")}


def test_transition_table_covers_every_project_event_type() -> None:
    assert set(TRANSITIONS) >= {"project.registered", "score.submitted", "project.archived"}
    assert advance("bidding", "opening.started") == ("opening", True)
    assert advance("bidding", "score.submitted") == ("bidding", False)
    assert advance("evaluation", "opening.started") == ("evaluation", False)


def test_honest_lifecycle_is_quiet() -> None:
    assert run(honest()) == {}
    assert [
        a for a in run_detectors(honest(), expert_detectors()) if a.rule.startswith("PROC")
    ] == []


def test_scores_before_opening_are_one_step_however_many() -> None:
    events = honest()
    early = [score("E1", "B1", f"i{k}", 5, at=-20) for k in range(4)]
    events = events[:4] + early + events[4:]
    [alert] = by_rule(run(events), "PROC-ORDER")
    assert (alert.evidence["step"], alert.evidence["phase"]) == ("score.submitted", "bidding")
    assert alert.evidence["occurrences"] == 4 and alert.evidence["allowed_phases"] == ["evaluation"]
    assert alert.subjects == [] and alert.severity == "red"
    assert len(alert.event_ids) == 4


def test_opening_before_the_bid_deadline() -> None:
    events = [registered(deadline=30), bid("B1", at=-5), room("opening.started", 10)]
    [alert] = by_rule(run(events), "PROC-ORDER")
    assert alert.evidence["check"] == "opening_before_bid_deadline"
    assert alert.evidence["early_by_minutes"] == 20


def test_archive_before_finish_and_evaluation_before_opening() -> None:
    events = [registered(), bid("B1", at=-5), room("evaluation.started", 10, room_id="R2")]
    events.append(ev("project.archived", {}, 20))
    assert steps(run(events)) == {
        ("evaluation.started", "bidding"),
        ("project.archived", "evaluation"),
    }


def test_bid_after_opening_is_out_of_order_and_late() -> None:
    events = [registered(), bid("B1", at=-5), room("opening.started", 1), bid("B9", at=3)]
    alerts = run(events)
    assert steps(alerts) == {("bid.submitted", "opening")}
    [late] = by_rule(alerts, "PROC-LATE")
    assert late.subjects == ["B9"]
    assert late.evidence["late_by_minutes"] == 3
    assert late.evidence["threshold"] == {"grace_seconds": 0, "backdate_seconds": 300}


def _stamped(bidder: str, submitted_at: float, published: float, price: float = 1.0) -> object:
    return ev(
        "bid.submitted",
        {
            "bidder": {"id": bidder, "name": bidder},
            "price": price,
            "submission": {"submitted_at": ev("project.archived", {}, submitted_at).ts.isoformat()},
        },
        published,
    )


def test_late_is_judged_by_the_later_of_submitted_at_and_event_time() -> None:
    on_time = _stamped("B1", -30, -29)
    published_late = _stamped("B2", 0, 2)  # stamped at the deadline, accepted two minutes late
    stamped_late = _stamped("B3", 1, -30)  # event early, declared submission after the deadline
    alerts = by_rule(run([registered(), on_time, published_late, stamped_late]), "PROC-LATE")
    assert [a.subjects for a in alerts] == [["B2"], ["B3"]]
    [b2] = alerts[0].evidence["late_submissions"]
    assert b2["judged_by"] == "event.ts" and b2["late_by_minutes"] == 2
    [b3] = alerts[1].evidence["late_submissions"]
    assert b3["judged_by"] == "submission.submitted_at" and b3["late_by_minutes"] == 1


def test_a_modification_after_the_deadline_is_late_and_the_original_is_not_blamed() -> None:
    events = [
        registered(),
        _stamped("B1", -60, -60),
        _stamped("B2", -50, -50),
        _stamped("B1", 7, 7, price=0.9),
    ]
    [alert] = by_rule(run(events), "PROC-LATE")
    assert alert.subjects == ["B1"]
    assert alert.evidence["submissions"] == 2
    [late] = alert.evidence["late_submissions"]
    assert late["modification"] is True and late["late_by_minutes"] == 7
    assert events[3].event_id in alert.event_ids and events[1].event_id not in alert.event_ids


def test_a_backdated_submitted_at_is_noted() -> None:
    # declared 10 minutes before the deadline, but the platform accepted it 20 minutes after
    [alert] = by_rule(run([registered(), _stamped("B1", -10, 20)]), "PROC-LATE")
    [row] = alert.evidence["late_submissions"]
    assert alert.evidence["backdated"] is True and row["backdated_by_minutes"] == 30
    # a few seconds of clock skew are not backdating
    quiet = by_rule(run([registered(), _stamped("B1", -10, -9.5)]), "PROC-LATE")
    assert quiet == []


def test_bid_seen_before_the_registration_is_checked_when_the_deadline_arrives() -> None:
    alerts = run([bid("B1", at=5), registered(at=6)])
    [late] = by_rule(alerts, "PROC-LATE")
    assert late.subjects == ["B1"]
    assert steps(alerts) == {("bid.submitted", "unregistered")}


def test_few_bidders_counted_from_the_readout() -> None:
    [alert] = by_rule(run(honest(2)), "PROC-FEW")
    assert alert.evidence["bidders"] == 2 and alert.evidence["counted_from"] == "bid.opened"
    assert alert.evidence["threshold"] == {"min_bidders": 3}
    # three bids submitted but only two read out: the readout decides
    events = [e for e in honest(3) if not (e.type == "bid.opened" and e.payload.bidder_id == "B3")]
    [alert] = by_rule(run(events), "PROC-FEW")
    assert alert.evidence["bidder_ids"] == ["B1", "B2"]


def test_few_without_readout_counts_on_time_bids_only() -> None:
    events = [
        registered(),
        bid("B1", at=-9),
        bid("B2", at=-8),
        bid("B3", at=2),  # late
        room("opening.started", 5),
        room("opening.closed", 6),
    ]
    [alert] = by_rule(run(events), "PROC-FEW")
    assert alert.evidence["counted_from"] == "bid.submitted (on time)"
    assert alert.evidence["bidders"] == 2


def test_a_full_ranking_is_not_a_candidate_list() -> None:
    """A real evaluation report ranks every bidder; with no candidate named, nothing fires."""
    assert by_rule(run([*honest(3)[:-2], ranking(8)]), "PROC-CAND") == []


def test_candidates_named_by_flag_or_list() -> None:
    quiet = run([*honest(3)[:-2], ranking(5, [True, True, True, False, False])])
    assert by_rule(quiet, "PROC-CAND") == []
    [alert] = by_rule(run([*honest(3)[:-2], ranking(5, [True] * 4 + [False])]), "PROC-CAND")
    assert alert.evidence["candidates"] == 4
    assert alert.evidence["counted_from"] == "ranking rows flagged candidate"
    assert alert.evidence["threshold"] == {"max_candidates": 3}
    listed = ranking(6)
    listed = ev(
        "evaluation.finished",
        {**listed.payload.model_dump(), "candidates": ["B1", "B2", "B3", "B4", "B4"]},
        300,
    )
    [alert] = by_rule(run([*honest(3)[:-2], listed]), "PROC-CAND")
    assert alert.evidence["candidates"] == 4  # distinct bidders
    assert alert.evidence["counted_from"] == "payload.candidates"
    assert [r["rank"] for r in alert.evidence["ranking"]] == [1, 2, 3, 4]


def test_a_candidates_field_that_is_not_a_list_is_refused_by_the_contract() -> None:
    import pytest

    from witness.events import ContractError, parse_event

    bad = ranking(3).model_dump(mode="json")
    bad["payload"]["candidates"] = "B1,B2"
    with pytest.raises(ContractError, match="candidates"):
        parse_event(__import__("json").dumps(bad).encode())


def test_strange_sequences_do_not_crash() -> None:
    other = "JY-OTHER"
    events = [
        ev("score.submitted", score("E1", "B1", "t", 1).payload.model_dump(), 0, pid=other),
        ev("project.archived", {}, 1, pid=other),
        ev("project.archived", {}, 2, pid=other),
        ev("evaluation.finished", {"room_id": "R2", "ranking": []}, 3, pid=other),
        ev("project.registered", {"name": "x"}, 4, pid=other),
        ev("opening.closed", {"room_id": "R1"}, 5, pid=other),
    ]
    alerts = run(events)
    assert ("score.submitted", "unregistered") in steps(alerts)
    assert ("project.registered", "archived") in steps(alerts)
    assert len(alerts) == len(steps(alerts)) + len(by_rule(alerts, "PROC-FEW"))


def test_redelivered_events_do_not_make_second_alerts() -> None:
    events = [registered(), score("E1", "B1", "t", 1, at=-5)]
    once = run_detectors(events, expert_detectors())
    twice = run_detectors(events + events, expert_detectors())
    assert [a.alert_id for a in once] == [a.alert_id for a in twice]
    assert [a.evidence for a in once] == [a.evidence for a in twice]
    assert once[0].project_id == PID
