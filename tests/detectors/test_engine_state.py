"""Engine state for recovery (issue 15): a snapshot restores exactly, a state of another
shape is refused, an archived project leaves memory and comes back whole, and splitting
the work the way the live worker does (per-partition engines, cross-project engine)
gives the very alerts of one engine."""

from __future__ import annotations

import dataclasses
import pickle
from functools import lru_cache
from zlib import crc32

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import detectors
from detectors import Context, Engine, all_detectors
from detectors.engine import StateError
from detectors.released import MemoryReleased
from witness.alerts import Alert
from witness.config import Thresholds
from witness.events import GLOBAL_PROJECT, Event, make_event, parse_event
from witness.simulator import Simulation


@lru_cache(maxsize=1)
def stream() -> tuple[Event, ...]:
    """A simulated day: 12 projects with planted misconduct of every family, frames too."""
    return tuple(parse_event(e) for e in Simulation(12, 3).events())


@lru_cache(maxsize=1)
def reference() -> tuple[Alert, ...]:
    return tuple(Engine(all_detectors()).run(stream()))


def keys(alerts) -> set[str]:
    return {a.content_key() for a in alerts}


def finals(*runs: list[Alert]) -> list[Alert]:
    """The last version of each alert over consecutive runs."""
    out: dict[str, Alert] = {}
    for run in runs:
        for a in run:
            out[a.alert_id] = a
    return list(out.values())


def test_the_stream_covers_every_family():
    rules = {a.rule.split("-")[0] for a in reference()}
    assert {"REL", "DOC", "PRICE", "EXP", "PROC", "VID", "REJ"} <= rules
    assert any(a.rule == "REL-RING" for a in reference())


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # each example folds the whole day
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cut=st.floats(min_value=0.01, max_value=0.99))
@example(cut=0.02)  # registry read, no project finished yet
@example(cut=0.97)  # most projects archived and released
def test_a_snapshot_at_any_point_restores_exactly(cut):
    events = stream()
    k = int(len(events) * cut)
    first = Engine(all_detectors())
    before = first.run(events[:k])
    blob = pickle.dumps(first.export_state())  # what a snapshot holds
    # the registry is a global table with a snapshot of its own: the worker keeps it
    second = Engine(all_detectors(), Context(registry=first.ctx.registry), released=first.released)
    second.load_state(pickle.loads(blob))
    after = second.run(events[k:])
    assert keys(finals(before, after)) == keys(reference())


def test_a_state_of_another_version_is_refused():
    engine = Engine(all_detectors())
    engine.run(stream()[:2000])
    state = engine.export_state()
    stricter = Context(thresholds=Thresholds().with_overrides("REL-RING", min_group_size=4))
    other = Engine(all_detectors(), stricter)
    assert other.version != engine.version
    with pytest.raises(StateError, match="version"):
        other.load_state(state)
    with pytest.raises(StateError):
        Engine(all_detectors()).load_state({"version": engine.version, "states": {}})
    with pytest.raises(StateError):
        Engine(all_detectors()).load_state(["not", "a", "state"])


def test_a_changed_state_class_changes_the_version(monkeypatch):
    import detectors.rings as rings

    before = Engine(all_detectors()).version

    @dataclasses.dataclass
    class RingState(rings.RingState):
        extra: int = 0  # an upgrade added a field

    RingState.__module__ = rings.__name__
    monkeypatch.setattr(rings, "RingState", RingState)
    assert Engine(all_detectors()).version != before
    monkeypatch.undo()
    assert Engine(all_detectors()).version == before


def test_a_pending_alert_blocks_a_snapshot():
    engine = Engine(all_detectors())
    out = None
    for e in stream():
        out = engine.compute(e)
        if out.alerts:
            break
    assert out is not None and out.alerts
    with pytest.raises(StateError, match="not yet published"):
        engine.export_state()
    engine.mark_published(out.alerts)
    engine.export_state()


# ---------------------------------------------------------------- archived projects


def late_bid(project: str, bidder: str, account: str, ts: str) -> Event:
    return make_event(
        "bid.submitted",
        project,
        ts,
        {
            "bidder": {"id": bidder, "name": f"{bidder}有限公司"},
            "price": 1_000_000,
            "bond": {"payer_account": account, "payer_name": "付款人"},
        },
        event_id=f"late-{project}-{bidder}",
    )


def test_an_archived_project_leaves_memory_and_a_late_event_brings_it_back():
    events = list(stream())
    archived = [e.project_id for e in events if e.type == "project.archived"]
    assert len(archived) == 12
    engine = Engine(all_detectors())
    engine.run(events)
    assert engine.live_projects() == set()  # every project is archived
    assert set(engine.released.blobs) == set(archived) == engine.released_ids
    assert not any(k in archived for (_, k) in engine.states)
    assert set(engine.sessions.projects) == set() and engine.book.projects == {}
    assert not any(k in archived for (_, k) in engine.states)

    # a late bid reusing the bond account of a bid of the project: REL-40-6, exactly as an
    # engine that never released anything says
    p = archived[3]
    bid = next(e for e in events if e.project_id == p and e.type == "bid.submitted")
    late = late_bid(p, "LATE-1", bid.payload.bond.payer_account, events[-1].ts.isoformat())
    kept = Engine(all_detectors(), release_archived=False)
    kept.run(events)
    assert kept.live_projects() >= set(archived)
    expected = kept.process(late).alerts
    got = engine.process(late).alerts
    assert keys(got) == keys(expected) and any(a.rule == "REL-40-6" for a in got)
    assert p in engine.live_projects() and p not in engine.released_ids
    # a redelivered event of the project is still known after the round trip
    assert engine.process(bid).duplicate


def test_released_memory_of_another_version_rebuilds_from_history():
    events = list(stream())
    p = next(e.project_id for e in events if e.type == "project.archived")
    own = [e for e in events if e.project_id == p]

    class History(MemoryReleased):
        def get(self, project_id):
            return b"garbage"  # damaged or written by other code

        def history(self, project_id):
            return own if project_id == p else None

    engine = Engine(all_detectors(), released=History())
    engine.run(events)
    bid = next(e for e in own if e.type == "bid.submitted")
    late = late_bid(p, "LATE-2", bid.payload.bond.payer_account, events[-1].ts.isoformat())
    out = engine.process(late)
    assert any(a.rule == "REL-40-6" for a in out.alerts)
    # the history's own alerts were published long ago: none of them comes out again
    assert {a.rule for a in out.alerts} <= {"REL-40-6", "PROC-ORDER", "PROC-LATE"}


# ---------------------------------------------------------------- partitioned like live


def partition_of(key: str, n: int) -> int:
    return crc32(key.encode()) % n


@pytest.mark.parametrize("n", [1, 2, 3])
def test_per_partition_engines_and_a_cross_engine_give_one_engines_alerts(n):
    """What the worker does: an engine per events partition (per-project rules, sessions
    derived), one per rooms partition (video, fed the derived sessions), one for the
    cross-project rules over everything."""
    from detectors.neardup import Params, corpus_shape

    per_project = [d for d in all_detectors() if not detectors.is_cross_project(d)]
    shared = Context()  # one registry and one corpus, read whole by every worker
    events_engines = [
        Engine(per_project, shared, fold_sessions=False, count_documents=False) for _ in range(n)
    ]
    rooms_engines = [
        Engine(per_project, shared, fold_sessions=False, derive_sessions=False) for _ in range(n)
    ]
    cross = Engine(detectors.cross_project_detectors(), derive_sessions=False)
    registry = shared.registry
    shape = corpus_shape(shared.thresholds.typed(Params))
    out: list[list[Alert]] = []
    for e in stream():
        if e.type == "document.submitted":  # the worker's corpus feed, every partition
            shared.corpus.add(e.payload.text, shape, ts=e.ts, key=e.event_id)
        if e.type == "registry.relation":  # the worker's registry feed
            if registry.add(e.payload):
                for engine in events_engines:  # live projects re-judge (REL-34)
                    rejudged = engine.refold(e).alerts
                    engine.mark_published(rejudged)
                    out.append(rejudged)
            continue
        if e.project_id == GLOBAL_PROJECT:
            out.append(rooms_engines[partition_of(e.key, n)].process(e).alerts)
            continue
        res = events_engines[partition_of(e.key, n)].process(e)
        out.append(res.alerts)
        for session in res.sessions:
            out.append(rooms_engines[partition_of(session.key, n)].process(session).alerts)
        out.append(cross.process(e).alerts)
    assert keys(finals(*out)) == keys(reference())
