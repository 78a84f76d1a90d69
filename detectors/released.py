"""Where an archived project's memory goes, and how it comes back.

When a project is archived the engine moves everything it holds for the project (every
detector's state, the room bookkeeping, the event ids it has seen, its alerts) out of
memory into a `ReleasedProjects` store, so a worker's memory does not grow with the
years. If a late event for the project arrives, the engine brings the memory back and
folds the event into it as if it had never left: results do not depend on release.

The engine only sees this interface. Replay and tests use `MemoryReleased` (a dict of
pickled bytes); the live worker uses one backed by the SQL store (`streams/units.py`),
which can also answer with the project's recorded events when no memory was kept.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, Protocol

from detectors.alertbook import ProjectAlerts
from witness.events import Event


@dataclass
class ProjectMemory:
    """Everything the engine holds for one project, as it leaves memory."""

    version: str
    states: dict[str, Any] = field(default_factory=dict)  # detector name -> state
    rooms: Any = None  # sessions.ProjectRooms
    seen: set[str] = field(default_factory=set)
    alerts: ProjectAlerts = field(default_factory=ProjectAlerts)

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> ProjectMemory | None:
        """The memory, or None if the bytes are not one (other code version, damage)."""
        try:
            memory = pickle.loads(blob)  # noqa: S301 - our own store, written by this code
        except Exception:  # noqa: BLE001 - any failure means: do not use it
            return None
        return memory if isinstance(memory, ProjectMemory) else None


class ReleasedProjects(Protocol):
    def put(self, project_id: str, blob: bytes) -> None:
        """Keep an archived project's memory."""

    def get(self, project_id: str) -> bytes | None:
        """The memory kept for the project, or None."""

    def history(self, project_id: str) -> list[Event] | None:
        """The project's own events in order, to rebuild from when no memory is usable."""


class MemoryReleased:
    """Released projects kept as pickled bytes in a dict (replay, tests)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, project_id: str, blob: bytes) -> None:
        self.blobs[project_id] = blob

    def get(self, project_id: str) -> bytes | None:
        return self.blobs.get(project_id)

    def history(self, project_id: str) -> list[Event] | None:
        return None
