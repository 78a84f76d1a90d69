"""The state the video rules keep per room: sessions seen, cameras, open episodes.

Split from `detectors/video.py` (the rules) so each file keeps one job; the shapes here
are what a snapshot of a room holds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Closed episodes kept in an alert's evidence, newest last.
MAX_EPISODES = 20
#: Session changes remembered per room.
MAX_SESSIONS = 32
#: Cases whose episode history a room keeps (idle cases are per day, so this bounds memory).
MAX_CASES = 64


@dataclass(frozen=True)
class Session:
    since: datetime
    project_id: str
    kind: str
    state: str
    roster: tuple[str, ...]
    cameras: tuple[str, ...]

    @property
    def under_way(self) -> bool:
        return self.state == "under_way"


@dataclass
class Episode:
    """A condition that holds from `start` to `end` (the last sample where it held)."""

    start: datetime
    end: datetime
    start_event: str
    end_event: str
    fired: bool = False
    stats: dict[str, Any] = field(default_factory=dict)

    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def window(self, ongoing: bool) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": round(self.seconds(), 3),
            "ongoing": ongoing,
        }


@dataclass
class CameraState:
    last_frame_ts: datetime | None = None
    last_heard: datetime | None = None  # a frame or an `online` status
    status: str | None = None
    status_ts: datetime | None = None
    persons: int | None = None
    tampered: bool = False
    thumb: dict[str, Any] | None = None  # {camera_id, ts, jpeg_base64}
    tamper: Episode | None = None
    offline: Episode | None = None
    offline_session: Session | None = None


@dataclass
class RoomState:
    sessions: list[Session] = field(default_factory=list)
    cameras: dict[str, CameraState] = field(default_factory=dict)
    absent: Episode | None = None
    intruder: Episode | None = None
    afterhours: Episode | None = None
    people_session: Session | None = None
    #: case key -> closed episode windows (oldest first)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def session_at(self, ts: datetime) -> Session | None:
        """The latest session change at or before `ts` (under way or ended)."""
        i = bisect.bisect_right([s.since for s in self.sessions], ts)
        return self.sessions[i - 1] if i else None

    def add_session(self, s: Session) -> bool:
        """Keep a session change; False if it was known already (a re-delivery)."""
        if s in self.sessions:
            return False
        keys = [(x.since, x.state == "under_way") for x in self.sessions]
        self.sessions.insert(bisect.bisect_right(keys, (s.since, s.under_way)), s)
        del self.sessions[:-MAX_SESSIONS]
        return True
