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
        return {self.registry, self.sessions}

    def for_type(self, event_type: str) -> str:
        """Where `witness ingest` routes an event of this type."""
        if event_type in FRAME_TYPES:
            return self.frames
        if event_type == "registry.relation":
            return self.registry
        if event_type == "room.session":
            return self.sessions
        return self.events
