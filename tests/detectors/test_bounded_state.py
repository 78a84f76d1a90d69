"""State that must stay bounded over years (issue 15): REL-RING remembers a window of
years and says so in its evidence; the engine's memory does not grow with archived
projects or with the alerts of rooms."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from detectors import Context
from detectors.alertbook import AlertBook
from detectors.offline import run_detectors
from detectors.rings import RingDetector
from witness.alerts import make_alert
from witness.config import Thresholds
from witness.events import make_event

CST = timezone(timedelta(hours=8))
T0 = datetime(2016, 1, 4, 9, 0, tzinfo=CST)


def tender(pid: str, bidders: list[str], winner: str, at: datetime) -> list:
    events = [
        make_event(
            "bid.submitted",
            pid,
            at - timedelta(days=1, minutes=i),
            {"bidder": {"id": b, "name": f"{b}公司"}, "price": 1_000_000 + i},
            event_id=f"{pid}-bid-{b}",
        )
        for i, b in enumerate(bidders)
    ]
    ranking = [{"bidder_id": winner, "rank": 1}] + [
        {"bidder_id": b, "rank": i + 2} for i, b in enumerate(x for x in bidders if x != winner)
    ]
    events.append(
        make_event(
            "evaluation.finished",
            pid,
            at,
            {"room_id": "E1", "ranking": ranking},
            event_id=f"{pid}-finished",
        )
    )
    return events


def rings(events, years: float | None = None) -> list:
    th = Thresholds()
    if years is not None:
        th = th.with_overrides("REL-RING", window_years=years)
    alerts = run_detectors(events, [RingDetector()], Context(thresholds=th))
    return [a for a in alerts if a.rule == "REL-RING"]


def rotation(step: timedelta) -> list:
    events = []
    for i, w in enumerate("ABCA"):
        events += tender(f"T{i}", ["A", "B", "C", f"X{i}"], w, T0 + i * step)
    return events


def test_a_ring_within_the_window_is_raised_and_the_window_is_in_the_evidence():
    (alert,) = rings(rotation(timedelta(days=90)))
    window = alert.evidence["window"]
    assert window["years"] == 5
    assert window["oldest_finish_remembered"] == T0.isoformat()
    assert alert.evidence["thresholds"]["window_years"] == 5


def test_tenders_older_than_the_window_are_forgotten():
    spread = rotation(timedelta(days=700))  # four tenders over more than five years
    assert rings(spread) == []
    assert len(rings(spread, years=10)) == 1


def test_ring_state_stays_bounded_over_ten_years():
    rng = random.Random(15)
    firms = [f"F{i:04d}" for i in range(3000)]
    detector, th = RingDetector(), Thresholds().with_overrides("REL-RING", window_years=2)
    ctx = Context(thresholds=th)
    state = detector.initial()
    sizes = []
    for n in range(4000):  # 400 tenders a year for ten years
        at = T0 + timedelta(days=365.25 * n / 400)
        bidders = rng.sample(firms, rng.randint(3, 7))
        for e in tender(f"P{n}", bidders, bidders[0], at):
            state, _ = detector.step(state, e, ctx)
        if n % 400 == 399:
            sizes.append((len(state.index.tenders), len(state.names), len(state.pending)))
    assert all(t <= 2 * 400 + 2 for t, _, _ in sizes), sizes  # two years of tenders
    assert sizes[-1][0] >= 700  # and not fewer: the window is kept, not emptied
    assert all(n <= len(firms) for _, n, _ in sizes)
    assert sizes[-1][1] <= sizes[1][1] + 50  # names do not grow after the window filled
    assert all(p == 0 for _, _, p in sizes)


def test_open_projects_are_held_at_most_max_open_projects():
    detector = RingDetector()
    ctx = Context(thresholds=Thresholds().with_overrides("REL-RING", max_open_projects=10))
    state = detector.initial()
    for n in range(50):  # bids that never finish
        e = tender(f"Q{n}", [f"Z{n}"], f"Z{n}", T0 + timedelta(days=n))[0]
        state, _ = detector.step(state, e, ctx)
    assert len(state.pending) == 10 and len(state.names) == 10


def test_room_alerts_are_kept_up_to_the_cap():
    book = AlertBook(loose_cap=100)
    for day in range(1000):
        a = make_alert(
            "VID-AFTERHOURS",
            "*",
            identity={"room": "R1", "idle": f"day{day}"},
            subjects=["R1"],
            evidence={},
            event_ids=[],
            first_seen=T0 + timedelta(days=day),
        )
        book.propose(a)
        book.publish(a)
    assert len(book) == 100
    assert book.pending == {}
