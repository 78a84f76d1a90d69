"""Helpers for recovery and scale-out tests: a simulated day, workers driven in one
thread, and the alerts a run left on the alerts topic."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from functools import lru_cache

from helpers_pipeline import read_topic

from detectors.sessions import SessionDeriver
from streams.bus import Producer, parse_alert
from streams.cross_worker import CrossProjectWorker
from streams.worker import DetectorWorker
from witness.alerts import Alert
from witness.config import Settings
from witness.events import FRAME_TYPES, Event, parse_event
from witness.simulator import Simulation

#: Ticks off: they follow the wall clock, and these runs compare alerts exactly.
SETTINGS = Settings(partitions=3, tick_seconds=0, snapshot_every_events=400)


@lru_cache(maxsize=1)
def day() -> tuple[Event, ...]:
    """12 projects with planted misconduct of every family (REL-RING too), frames every 30 s."""
    return tuple(parse_event(e) for e in Simulation(12, 3, frame_interval=30).events())


def project_part(events) -> list[Event]:
    return [e for e in events if e.type not in FRAME_TYPES]


def frame_part(events) -> list[Event]:
    return [e for e in events if e.type in FRAME_TYPES]


def publish(bootstrap: str, topics, events, **kw) -> None:
    producer = Producer(bootstrap, topics)
    for e in events:
        producer.publish(e, **kw)
    producer.flush()
    producer.close()


def workers(bootstrap, topics, n: int, store=None, settings: Settings = SETTINGS, cross: int = 1):
    """`n` per-project workers and `cross` cross-project workers of one deployment."""
    out: list[DetectorWorker] = [
        DetectorWorker(bootstrap, settings, topics, state_store=store) for _ in range(n)
    ]
    out += [
        CrossProjectWorker(bootstrap, settings, topics, state_store=store) for _ in range(cross)
    ]
    return out


def settled(group: list[DetectorWorker], partitions: int = 3) -> bool:
    """Every unit is running somewhere and has folded everything on its partitions."""
    detectors_ = [w for w in group if not isinstance(w, CrossProjectWorker)]
    cross = [w for w in group if isinstance(w, CrossProjectWorker)]
    if detectors_ and sum(len(w.units) for w in detectors_) < 2 * partitions:
        return False
    if cross and sum(len(w.units) for w in cross) != 1:
        return False
    for w in group:
        if w._outbox or w._computed:
            return False
        for unit in w.units.values():
            if unit.merge.held():
                return False
            end = w.consumer.end_offsets(unit.tps)
            if any(unit.position.get(tp, 0) < end[tp] for tp in unit.tps):
                return False
    return True


def drive(group: list[DetectorWorker], until, timeout: float = 180.0) -> bool:
    """Poll every worker in turn (one thread) until `until()`; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in group:
            w.poll_once(timeout_ms=50)
        if until():
            # a last round: what a settled unit published (sessions) is read too
            for _ in range(3):
                for w in group:
                    w.poll_once(timeout_ms=50)
            if until():
                return True
    return False


def sessions_of(events) -> list[Event]:
    """The room sessions the workers derive from the project events."""
    deriver = SessionDeriver()
    return [s for e in events if e.project_id != "*" for s in deriver.step(e)]


def publish_sessions(bootstrap: str, topics, events) -> None:
    """The day's room sessions on their topic before any frame is judged. Live, a room's
    frames may be judged before the worker reading the project has published the
    session they fall in (that race is the cameras' and the network's); these runs
    compare alerts exactly, so the sessions are out first, as a worker that already read
    the projects would have left them. The workers publish them again (same ids)."""
    producer = Producer(bootstrap, topics)
    for s in sessions_of(events):
        producer.publish(s, topics.sessions)
    producer.flush()
    producer.close()


def run_day(bootstrap, topics, group, events, timeout: float = 240.0) -> None:
    publish_sessions(bootstrap, topics, events)
    publish(bootstrap, topics, project_part(events))
    publish(bootstrap, topics, frame_part(events))
    assert drive(group, lambda: settled(group), timeout), "the day was not folded in time"


def moment(events, fraction: float):
    """The event time `fraction` of the way through `events`."""
    return events[int(len(events) * fraction)].ts


def publish_between(bootstrap: str, topics, events, lo=None, hi=None) -> int:
    """The part of the day in [lo, hi) of event time, as it would have arrived by then:
    the sessions first (see `publish_sessions`), then project events, then frames. The
    whole registry comes with the first part (it is reference data every worker reads
    first; late facts re-judged on arrival would make the run depend on poll timing).
    Returns how many records the units will fold (registry facts and sessions aside)."""

    def inside(ts) -> bool:
        return (lo is None or ts >= lo) and (hi is None or ts < hi)

    producer = Producer(bootstrap, topics)
    for s in sessions_of(events):
        if inside(s.ts):
            producer.publish(s, topics.sessions)
    registry = [e for e in events if e.type == "registry.relation"] if lo is None else []
    part = [e for e in events if inside(e.ts) and e.type != "registry.relation"]
    for e in registry + project_part(part) + frame_part(part):
        producer.publish(e)
    producer.flush()
    producer.close()
    return sum(1 for e in part if e.type != "registry.relation")


def expected(phases: list[list[Event]], cross: bool = True) -> set[str]:
    """What the workers must raise for a day published in `phases`, each read before the
    next was written: replay, with reference data as the workers hold it. The registry
    (all in the first phase) is known before any bid; the document corpus DOC-40-4 judges
    rarity against holds every document published by then (the workers read it whole,
    every partition, before they judge a record of the phase). The cross-project rules
    count their own corpus in event order, like their worker."""
    from detectors import Context, Engine, cross_project_detectors, project_detectors
    from detectors.base import EventDocumentTexts
    from detectors.neardup import Params, corpus_shape

    ctx = Context(documents=EventDocumentTexts())
    per_project = Engine(project_detectors(), ctx, count_documents=False)
    across = Engine(cross_project_detectors(), Context(documents=EventDocumentTexts()))
    shape = corpus_shape(ctx.thresholds.typed(Params))
    for e in (e for phase in phases for e in phase if e.type == "registry.relation"):
        ctx.registry.add(e.payload)
    runs: list[list[Alert]] = []
    for phase in phases:
        for e in phase:
            if e.type == "document.submitted":
                ctx.documents.observe(e)
                ctx.corpus.add(e.payload.text, shape)
        for e in phase:
            if e.type == "registry.relation":
                continue
            runs.append(per_project.process(e).alerts)
            if cross and e.type not in FRAME_TYPES:
                runs.append(across.process(e).alerts)
    final: dict[str, Alert] = {}
    for run in runs:
        for a in run:
            final[a.alert_id] = a
    return content(final)


def phases_at(events, *cuts) -> list[list[Event]]:
    """The day split at event times `cuts` (as `publish_between` publishes it)."""
    bounds = [None, *cuts, None]
    return [
        [e for e in events if (lo is None or e.ts >= lo) and (hi is None or e.ts < hi)]
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]


def final_alerts(bootstrap: str, topics) -> dict[str, Alert]:
    """The last version of each alert on the alerts topic."""
    out: dict[str, Alert] = {}
    for rec in read_topic(bootstrap, topics.alerts):
        alert = parse_alert(rec.value)
        out[alert.alert_id] = alert
    return out


def content(alerts) -> set[str]:
    values = alerts.values() if isinstance(alerts, dict) else alerts
    return {a.content_key() for a in values}


def close_all(group) -> None:
    for w in group:
        with contextlib.suppress(Exception):  # closing what is left after a failure
            w.close()


def with_settings(**kw) -> Settings:
    return replace(SETTINGS, **kw)
