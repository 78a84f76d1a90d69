"""Wall-clock ticks for the rooms a worker watches, so silence is noticed (VID-OFFLINE).

A room whose only camera went dark sends nothing; without another event of the room the
video rules would never see the time pass. The worker that owns a rooms partition keeps
that partition's clock (the newest event time it folded, advanced by the wall time since
it arrived, so a simulated or delayed feed keeps its own time) and, for every room with a
session under way that has been quiet for `every` seconds of wall time, publishes a
`clock.tick` event for the room. The tick travels like a frame (key: the room, topic
`witness.frames`), so the worker folds it as it folds frames, the recorder records it and
replay sees the very same clock: detectors stay pure (event time only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from witness.events import GLOBAL_PROJECT, Event, make_event


@dataclass
class RoomClock:
    every: float = 10.0
    newest: datetime | None = None  # newest event time folded in this partition
    newest_wall: float = 0.0
    heard: dict[str, float] = field(default_factory=dict)  # room -> wall time of its last event
    sessions: dict[str, tuple[datetime, bool]] = field(
        default_factory=dict
    )  # room -> (since, under way)

    def observe(self, event: Event, wall: float) -> None:
        if self.newest is None or event.ts > self.newest:
            self.newest, self.newest_wall = event.ts, wall
        room = event.room_id
        if room is None:
            return
        self.heard[room] = wall
        if event.type == "room.session":
            p = event.payload
            known = self.sessions.get(room)
            if known is None or p.since >= known[0]:
                self.sessions[room] = (p.since, p.state == "under_way")

    def now(self, wall: float) -> datetime | None:
        if self.newest is None:
            return None
        return self.newest + timedelta(seconds=max(0.0, wall - self.newest_wall))

    def due(self, wall: float) -> list[Event]:
        """Ticks for rooms under way that have been quiet for `every` seconds."""
        if self.every <= 0:
            return []
        now = self.now(wall)
        if now is None:
            return []
        ticks = []
        for room, (_since, under_way) in sorted(self.sessions.items()):
            if not under_way or wall - self.heard.get(room, float("-inf")) < self.every:
                continue
            ticks.append(tick(room, now))
            self.heard[room] = wall
        return ticks


def tick(room_id: str, at: datetime) -> Event:
    return make_event(
        "clock.tick",
        GLOBAL_PROJECT,
        at,
        {"room_id": room_id},
        event_id=f"clock.tick:{room_id}:{at.isoformat()}",
        source="witness-clock",
    )
