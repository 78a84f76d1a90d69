"""Topic names (DESIGN §3). A prefix lets tests share one broker with fresh topics."""

from __future__ import annotations

from dataclasses import dataclass

from witness.events import FRAME_TYPES


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    @property
    def events(self) -> str:
        return f"{self.prefix}witness.events"

    @property
    def frames(self) -> str:
        return f"{self.prefix}witness.frames"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}witness.alerts"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}witness.deadletter"

    @property
    def registry(self) -> str:
        return f"{self.prefix}witness.registry"

    @property
    def sessions(self) -> str:
        return f"{self.prefix}witness.sessions"

    def all(self) -> list[str]:
        return [
            self.events,
            self.frames,
            self.alerts,
            self.deadletter,
            self.registry,
            self.sessions,
        ]

    def compacted(self) -> set[str]:
        """Tables: only the newest record of each key matters (registry facts)."""
        return {self.registry}

    def kept_whole(self) -> set[str]:
        """Logs re-read from the start on a rebuild, so never expired nor compacted:
        every project's events, and every room's sessions (a rooms unit judging a frame
        of last Tuesday needs the session under way then, not only the newest one; with
        the sessions compacted by room, bench/faults.py's rooms units lost 27 of 56)."""
        return {self.events, self.sessions}

    def for_type(self, event_type: str) -> str:
        """Where `witness ingest` routes an event of this type."""
        if event_type in FRAME_TYPES:
            return self.frames
        if event_type == "registry.relation":
            return self.registry
        if event_type == "room.session":
            return self.sessions
        return self.events
