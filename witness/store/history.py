"""A project's history as the live worker saw it, read back from the store.

Replay (`detectors.offline`) and the archive need the same ordering the worker had: the
registry first (reference data), then the project's events in recorded order with its
rooms' frames interleaved by time.
"""

from __future__ import annotations

from witness.events import FRAME_TYPES, Event


def project_history(store, project_id: str) -> list[Event]:
    """What the live worker saw for one project: the registry (reference data, first),
    then the project's events in recorded order with its rooms' frames interleaved by time."""
    own = store.events(project_id)
    if not own:
        return []
    registry = store.events("*", types=["registry.relation"])
    rooms = sorted(
        {r.room_id for e in own if e.type == "project.registered" for r in e.payload.rooms}
        | {e.room_id for e in own if e.room_id}
    )
    start = min(e.ts for e in own)
    end = max(e.ts for e in own)
    frames = store.events("*", types=sorted(FRAME_TYPES), rooms=rooms, since=start, until=end)
    frames.sort(key=lambda e: e.ts)
    merged: list[Event] = list(registry)
    i = 0
    for event in own:
        while i < len(frames) and frames[i].ts < event.ts:
            merged.append(frames[i])
            i += 1
        merged.append(event)
    merged.extend(frames[i:])
    return merged


def recorded_event(store, event_id: str) -> Event | None:
    """One recorded event by id, parsed back (e.g. a document whose text a detector let go)."""
    from sqlalchemy import select

    from witness.events import parse_event
    from witness.store.models import EventRow, LedgerEntry

    q = (
        select(LedgerEntry.body)
        .join(EventRow, (EventRow.chain == LedgerEntry.chain) & (EventRow.seq == LedgerEntry.seq))
        .where(EventRow.event_id == event_id)
    )
    with store.session() as s:
        body = s.execute(q).scalars().first()
    return None if body is None else parse_event(body)
