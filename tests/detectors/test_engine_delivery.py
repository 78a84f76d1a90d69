"""The engine's delivery guarantees: a failing detector costs only its own alerts, nothing
is taken as published before it was, and re-deliveries are recognised for a project's
whole life however many frames came between."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import NamedTuple

import pytest

import detectors
from detectors.dedup import FRAME_WINDOW, SeenEvents
from detectors.relations import BondAccountDetector
from tests.support.relation_events import TZ, bid
from witness.events import make_event

P = "JY-ENG"


class Boom(Exception):
    pass


class ExplodingDetector:
    """Raises on every bid, after a first event that set its state."""

    name = "exploding"
    rules = ()

    def key(self, event):
        return event.project_id if event.project_id != "*" else None

    def initial(self):
        return {"events": 0}

    def step(self, state, event, ctx):
        if event.type == "bid.submitted":
            raise Boom(f"cannot judge {event.event_id}")
        state["events"] += 1
        return state, []


def _bond_bids():
    return [bid(P, b, n=i, account="6222-01") for i, b in enumerate("AB")]


@pytest.mark.parametrize("order", ["bad first", "bad last"])
def test_a_failing_detector_costs_only_its_own_alerts(order):
    good, bad = BondAccountDetector(), ExplodingDetector()
    eng = detectors.Engine([bad, good] if order == "bad first" else [good, bad])
    reg = make_event("project.registered", P, "2026-11-20T08:00:00+08:00", {"name": "x"})
    assert eng.process(reg).failures == []
    first = eng.process(_bond_bids()[0])
    out = eng.process(_bond_bids()[1])
    assert [f.detector for f in first.failures] == ["exploding"]
    assert [a.rule for a in out.alerts] == ["REL-40-6"]  # the other detector's alert goes out
    (failure,) = out.failures
    assert failure.detector == "exploding"
    assert failure.error == f"Boom: cannot judge {P}-bid-B-1"
    assert "test_engine_delivery.py" in failure.where and "in step" in failure.where
    assert "detector exploding failed" in failure.describe()
    assert eng.states[("exploding", P)] == {"events": 1}  # its state is left as it was
    assert [a.rule for a in eng.alerts()] == ["REL-40-6"]


def test_replay_reports_detector_failures():
    eng = detectors.Engine([ExplodingDetector(), BondAccountDetector()])
    alerts = eng.run(_bond_bids())
    assert [a.rule for a in alerts] == ["REL-40-6"]
    assert [(eid, f.detector) for eid, f in eng.failures] == [
        (f"{P}-bid-A-0", "exploding"),
        (f"{P}-bid-B-1", "exploding"),
    ]


def test_computed_alerts_are_not_published_until_marked():
    eng = detectors.Engine([BondAccountDetector()])
    outs = [eng.compute(e) for e in _bond_bids()]
    (alert,) = outs[1].alerts
    assert eng.alerts() == []  # computed, not yet confirmed by the broker
    eng.mark_published([alert])
    assert eng.alerts() == [alert]


def _stream():
    """Bids whose alerts change version by version (a third and fourth bidder join)."""
    reg = make_event("project.registered", P, "2026-11-20T08:00:00+08:00", {"name": "x"})
    bids = [bid(P, b, n=i, account="6222-01") for i, b in enumerate("ABCD")]
    opening = make_event("opening.started", P, "2026-11-20T10:00:00+08:00", {"room_id": "R1"})
    return [reg, *bids[:3], opening, bids[3]]


@pytest.mark.parametrize("seed", range(5))
def test_marking_after_each_batch_gives_what_marking_at_once_gives(seed):
    """The worker marks a poll's alerts only after the broker confirmed them; the alerts
    it sends must be those `process` gives event by event (what replay does)."""
    events = _stream()
    at_once = detectors.Engine(detectors.all_detectors())
    expected = [a for e in events for a in at_once.process(e).alerts]

    rng = random.Random(seed)
    live = detectors.Engine(detectors.all_detectors())
    sent, batch = [], []
    for e in events:
        batch.extend(live.compute(e).alerts)
        if rng.random() < 0.5:  # the end of a poll: confirmed, marked
            sent.extend(batch)
            live.mark_published(batch)
            batch = []
    sent.extend(batch)
    live.mark_published(batch)
    assert [a.content_key() for a in sent] == [a.content_key() for a in expected]
    assert [a.content_key() for a in live.alerts()] == [a.content_key() for a in at_once.alerts()]
    assert any(a.sealed for a in expected) and any(not a.sealed for a in expected)


class _Frame(NamedTuple):
    """Just what the engine reads of a frame when no detector wants it (fast to make)."""

    event_id: str
    type: str
    project_id: str
    ts: datetime


@pytest.mark.slow
def test_two_million_frames_do_not_make_the_engine_forget_a_project_event():
    activity = make_event(
        "expert.activity",
        P,
        "2026-11-20T09:00:00+08:00",
        {"expert_id": "E1", "action": "open_file", "bidder_id": "A"},
    )
    eng = detectors.Engine([])
    assert not eng.process(activity).duplicate
    t, step = activity.ts, timedelta(milliseconds=3)  # 300+ frames a second for 100 minutes
    for i in range(2_000_000):
        t += step
        eng.process(_Frame(f"frame-{i}", "frame.analyzed", "*", t))
    assert eng.process(activity).duplicate  # the re-delivery is recognised
    assert len(eng.seen) < 700_000  # frames older than the window were let go


def _frame(i: int, at: datetime) -> _Frame:
    return _Frame(f"f{i}", "frame.analyzed", "*", at)


def test_frames_are_remembered_over_the_window_and_then_let_go():
    seen = SeenEvents(frame_floor=10)
    t0 = datetime(2026, 11, 20, 9, tzinfo=TZ)
    assert not seen.seen(_frame(0, t0))
    for i in range(1, 100):
        assert not seen.seen(_frame(i, t0 + timedelta(seconds=i)))
    assert seen.seen(_frame(0, t0))  # within the window: a re-delivery
    late = t0 + FRAME_WINDOW + timedelta(seconds=50)
    assert not seen.seen(_frame(1000, late))
    assert len(seen) == 51  # frames 0..49 fell out of the window; 50..99 and the late one stay
    assert not seen.seen(_frame(0, t0))  # forgotten: the window bounds memory


def test_a_frame_stamped_far_ahead_does_not_wipe_recent_frames():
    seen = SeenEvents(frame_floor=1000)
    t0 = datetime(2026, 11, 20, 9, tzinfo=TZ)
    for i in range(500):
        seen.seen(_frame(i, t0 + timedelta(seconds=i)))
    seen.seen(_frame(9999, t0 + timedelta(days=365)))
    assert all(seen.seen(_frame(i, t0 + timedelta(seconds=i))) for i in range(500))


def test_frame_memory_has_a_hard_cap():
    seen = SeenEvents(frame_floor=10, frame_cap=100)
    t0 = datetime(2026, 11, 20, 9, tzinfo=TZ)
    for i in range(1000):
        seen.seen(_frame(i, t0))  # all at one instant: the window alone would keep them
    assert len(seen) == 100


def test_project_events_are_remembered_until_the_project_is_archived():
    eng = detectors.Engine([])
    events = _stream()
    for e in events:
        eng.process(e)
    assert all(eng.process(e).duplicate for e in events)
    assert len(eng.seen) == len(events)
    eng.process(make_event("project.archived", P, "2026-11-30T08:00:00+08:00", {}))
    assert len(eng.seen) == 0  # released with the project
