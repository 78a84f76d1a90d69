"""The lifecycle timeline of a record (进场 → 开标 → 评标 → 归档) and what was wrong with it.

A step is
- `missing` when it never happened although a later step did (or the project is archived),
- `out_of_order` when it happened before a step that should precede it, or the opening
  started before the bid deadline,
- `late` when the opening started more than `late_minutes` after `opening_at`,
- `overran` when the evaluation took longer than its `planned_minutes`.
The times are the events' own times, so a record made offline shows the same timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from witness.events import Event
from witness.record.model import Milestone

#: step key -> the event type that marks it, in lifecycle order.
STEPS: tuple[tuple[str, str], ...] = (
    ("registered", "project.registered"),
    ("opening", "opening.started"),
    ("opening_closed", "opening.closed"),
    ("evaluation", "evaluation.started"),
    ("evaluation_finished", "evaluation.finished"),
    ("archived", "project.archived"),
)

#: An opening this long after its scheduled time is late.
LATE_MINUTES = 15


def _first(events: Sequence[Event], etype: str) -> Event | None:
    return next((e for e in events if e.type == etype), None)


def milestones(events: Sequence[Event], late_minutes: float = LATE_MINUTES) -> list[Milestone]:
    """The six steps with their times, due times and flags."""
    firsts = {key: _first(events, etype) for key, etype in STEPS}
    reg = firsts["registered"]
    deadline = getattr(reg.payload, "bid_deadline", None) if reg else None
    opening_at = getattr(reg.payload, "opening_at", None) if reg else None
    evaluation = firsts["evaluation"]
    planned = getattr(evaluation.payload, "planned_minutes", None) if evaluation else None
    due: dict[str, datetime | None] = {
        "opening": opening_at,
        "evaluation_finished": (
            evaluation.ts + timedelta(minutes=planned) if evaluation and planned else None
        ),
    }
    keys = [k for k, _ in STEPS]
    out: list[Milestone] = []
    for i, key in enumerate(keys):
        ev = firsts[key]
        flags: list[str] = []
        if ev is None:
            if any(firsts[k] is not None for k in keys[i + 1 :]):
                flags.append("missing")
            out.append(Milestone(key, None, due.get(key), tuple(flags)))
            continue
        earlier = [firsts[k] for k in keys[:i] if firsts[k] is not None]
        if any(e.ts > ev.ts for e in earlier) or (
            key == "opening" and deadline is not None and ev.ts < deadline
        ):
            flags.append("out_of_order")
        if key == "opening" and opening_at and ev.ts > opening_at + timedelta(minutes=late_minutes):
            flags.append("late")
        finish_due = due["evaluation_finished"]
        if key == "evaluation_finished" and finish_due is not None and ev.ts > finish_due:
            flags.append("overran")
        out.append(Milestone(key, ev.ts, due.get(key), tuple(flags)))
    return out
