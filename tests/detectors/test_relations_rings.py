"""REL-RING: a group that keeps bidding together while the win rotates; and its look-alikes."""

from __future__ import annotations

from detectors.offline import run_detectors
from detectors.rings import RingDetector, RingIndex, RingThresholds, Tender
from tests.support.relation_events import bid, ts
from witness.events import make_event


def tender(pid: str, bidders: list[str], winner: str, n: int) -> list:
    events = [bid(pid, b, n=n) for b in bidders]
    ranking = [{"bidder_id": winner, "rank": 1}] + [
        {"bidder_id": b, "rank": i + 2} for i, b in enumerate(x for x in bidders if x != winner)
    ]
    events.append(
        make_event(
            "evaluation.finished",
            pid,
            ts(n + 1),
            {"room_id": "E1", "ranking": ranking},
            event_id=f"{pid}-finished",
        )
    )
    return events


def rotation_history() -> list:
    events = []
    plan = [
        (["A", "B", "C", "X1"], "A"),
        (["A", "B", "C", "X2"], "B"),
        (["A", "B", "C"], "C"),
        (["A", "B", "C", "X3", "X4"], "A"),
        (["X1", "X2", "X5"], "X5"),
    ]
    for i, (bidders, winner) in enumerate(plan):
        events += tender(f"T{i}", bidders, winner, n=10 * i)
    return events


def test_rotating_group_is_a_ring():
    alerts = run_detectors(rotation_history(), [RingDetector()])
    assert len(alerts) == 1
    a = alerts[0]
    assert a.rule == "REL-RING" and a.severity == "orange"
    assert a.project_id == "*"
    assert a.subjects == ["A", "B", "C"]
    ev = a.evidence
    assert ev["shared_tenders"] == 4
    assert ev["wins"] == {"A": 2, "B": 1, "C": 1}
    assert ev["group_win_share"] == 1.0
    assert [t["project_id"] for t in ev["tenders"]] == ["T0", "T1", "T2", "T3"]
    assert a.event_ids == ["T0-finished", "T1-finished", "T2-finished", "T3-finished"]


def test_ring_id_stable_as_group_keeps_bidding():
    events = rotation_history()
    first = run_detectors(events, [RingDetector()])
    more = run_detectors(events + tender("T9", ["A", "B", "C"], "B", n=200), [RingDetector()])
    assert [a.alert_id for a in first] == [a.alert_id for a in more]
    assert more[0].evidence["shared_tenders"] == 5


def test_one_member_always_winning_is_not_a_rotation():
    events = []
    for i in range(5):
        events += tender(f"T{i}", ["A", "B", "C"], "A", n=10 * i)
    assert run_detectors(events, [RingDetector()]) == []


def test_outsiders_winning_is_not_a_ring():
    events = []
    winners = ["A", "X", "B", "Y", "Z"]
    for i, w in enumerate(winners):
        events += tender(f"T{i}", ["A", "B", "C", "X", "Y", "Z"][:3] + [w], w, n=10 * i)
    assert run_detectors(events, [RingDetector()]) == []  # group wins 2 of 5 < 0.6


def test_too_few_shared_tenders_is_not_a_ring():
    events = rotation_history()
    cut = next(i for i, e in enumerate(events) if e.event_id == "T2-finished") + 1
    assert run_detectors(events[:cut], [RingDetector()]) == []  # 3 shared tenders < 4
    assert len(run_detectors(events, [RingDetector()])) == 1


def test_core_found_inside_varying_fields():
    """No two tenders have the same field; only the core A,B,C recurs."""
    idx = RingIndex()
    th = RingThresholds()
    fields = [
        ({"A", "B", "C", "D"}, "A"),
        ({"A", "B", "C", "E"}, "B"),
        ({"A", "B", "C", "D", "E"}, "C"),
        ({"A", "B", "C", "F"}, "B"),
    ]
    for i, (b, w) in enumerate(fields):
        idx.add(Tender(f"T{i}", frozenset(b), w))
    rings = idx.rings_at("T3", th)
    assert [r.group for r in rings] == [("A", "B", "C")]
    assert rings[0].rotation > 0.9


def test_ring_pair_below_min_group_size():
    events = []
    for i, w in enumerate("ABAB"):
        events += tender(f"T{i}", ["A", "B"], w, n=10 * i)
    assert run_detectors(events, [RingDetector()]) == []
