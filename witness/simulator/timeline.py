"""Streaming: merge registry, project phases and cameras into one time-ordered event stream.

Each project phase and camera window is rendered when the day it starts is reached and
its events are dropped into per-day buckets; a day is sorted by (time, stream, phase,
sequence) and emitted once no later-starting source can add to it. That order makes the
output byte-identical for the same seed, and memory stays bounded by the projects
active around one day.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from witness.events import canonical_json
from witness.simulator.bids import bid_events
from witness.simulator.cameras import RoomWindow, frame_json, frame_payload, frames
from witness.simulator.clock import DAY, iso
from witness.simulator.companies import Company, registry_facts
from witness.simulator.lifecycle import register_events, session_events
from witness.simulator.plan import Project
from witness.simulator.priced_bills import bill_events

#: When the registry's facts are published: 08:00 the day before the first project.
REGISTRY_AT = -DAY + 8 * 3600


def events(
    projects: list[Project], companies: list[Company], seed: int, frame_interval: int
) -> Iterator[dict[str, Any]]:
    """Every event of the run as a contract dict, in time order."""
    for _, obj in _timeline(projects, companies, seed, frame_interval):
        if isinstance(obj, dict):
            yield obj
        else:
            yield _camera_dict(obj)


def lines(
    projects: list[Project], companies: list[Company], seed: int, frame_interval: int
) -> Iterator[str]:
    """The same events as canonical JSON lines (frames rendered without a dict round-trip)."""
    for _, obj in _timeline(projects, companies, seed, frame_interval):
        if isinstance(obj, dict):
            yield canonical_json(obj)
        elif len(obj) == 4:
            yield canonical_json(_camera_dict(obj))
        else:
            yield frame_json(obj, iso(obj[0]), "camera-agent")


def _camera_dict(obj: tuple) -> dict[str, Any]:
    if len(obj) == 4:
        t, cam, room, status = obj
        return envelope(
            f"cs:{cam}:{t}:{status}",
            "camera.status",
            "*",
            t,
            {"camera_id": cam, "room_id": room, "status": status},
            "camera-agent",
        )
    return envelope(
        f"fa:{obj[1]}:{obj[0]}",
        "frame.analyzed",
        "*",
        obj[0],
        frame_payload(obj),
        "camera-agent",
    )


def _timeline(
    projects: list[Project], companies: list[Company], seed: int, frame_interval: int
) -> Iterator[tuple[tuple, Any]]:
    """(sort key, event) in time order, built one simulated day at a time."""
    n = len(projects)
    triggers: list[tuple[int, int, str, Any]] = [(REGISTRY_AT, 0, "registry", None)]
    triggers += [
        (c.published_at, 0, "registry_late", c) for c in companies if c.published_at is not None
    ]
    for p in projects:
        first_bid = min(b.at for b in p.bids) - 90
        first_session = min([p.opening_start, p.assigned_at] + [a[0] for a in p.activity[:1]])
        triggers += [
            (p.registered, 1 + p.idx, "phase", (p, 0)),
            (first_bid, 1 + p.idx, "phase", (p, 1)),
            (first_session, 1 + p.idx, "phase", (p, 2)),
            (p.registered, 1 + p.idx, "phase", (p, 3)),
        ]
        for k, rw in enumerate(p.windows):
            triggers.append((rw.start, 1 + n + 4 * p.idx + k, "frames", (p, k, rw)))
    triggers.sort(key=lambda tr: (tr[0], tr[1], tr[2]))
    buckets: dict[int, list[tuple[tuple, Any]]] = {}
    i = 0
    while i < len(triggers) or buckets:
        next_trigger_day = triggers[i][0] // DAY if i < len(triggers) else None
        day = min(
            [d for d in (next_trigger_day, min(buckets) if buckets else None) if d is not None]
        )
        while i < len(triggers) and triggers[i][0] // DAY <= day:
            t, rank, kind, ref = triggers[i]
            if kind == "registry":
                rendered = _registry([c for c in companies if c.published_at is None])
            elif kind == "registry_late":
                rendered = _registry([ref], at=t, prefix=f"reg-late:{ref.id}")
            elif kind == "phase":
                rendered = _phase(*ref, rank, seed)
            else:
                rendered = _frames(*ref, rank, seed, frame_interval)
            for key, obj in rendered:
                buckets.setdefault(key[0] // DAY, []).append((key, obj))
            i += 1
        todays = buckets.pop(day, [])
        todays.sort(key=itemgetter(0))
        yield from todays


def _registry(
    companies: list[Company], *, at: int = REGISTRY_AT, prefix: str = "reg"
) -> Iterator[tuple[tuple, Any]]:
    """Every firm's registry facts, in creation order."""
    n = 0
    for c in companies:
        for fact in registry_facts(c):
            yield (
                (at, 0, 0, n),
                envelope(
                    f"{prefix}:{n:06d}", "registry.relation", "*", at, fact, "enterprise-registry"
                ),
            )
            n += 1


def _phase(p: Project, phase: int, rank: int, seed: int) -> Iterator[tuple[tuple, Any]]:
    """One project phase: 0 registration, 1 bids, 2 opening and evaluation, 3 bills."""
    if phase == 0:
        items = register_events(p)
    elif phase == 1:
        items = bid_events(p, seed)
    elif phase == 2:
        items = session_events(p)
    else:
        items = bill_events(p)
    items.sort(key=lambda it: it[0])
    for n, (t, etype, payload) in enumerate(items):
        yield (
            (t, rank, phase, n),
            envelope(f"{p.pid}:{phase}{n:04d}", etype, p.pid, t, payload, "trading-platform"),
        )


def _frames(
    p: Project, k: int, rw: RoomWindow, rank: int, seed: int, frame_interval: int
) -> Iterator[tuple[tuple, Any]]:
    """One camera window's frames and status changes, from its own seeded generator."""
    for n, obj in enumerate(frames(rw, f"witness-sim:{seed}:frames:{p.idx}:{k}", frame_interval)):
        yield (obj[0], rank, 0, n), obj


def envelope(
    event_id: str, etype: str, project_id: str, t: int, payload: dict[str, Any], source: str
) -> dict[str, Any]:
    """The contract envelope (DESIGN §4) around one payload."""
    return {
        "event_id": event_id,
        "type": etype,
        "project_id": project_id,
        "ts": iso(t),
        "source": source,
        "payload": payload,
    }
