"""Room sessions derived from project events (DESIGN §3, `witness.sessions`).

Frames do not know their project. This pure fold watches project events and says, per
room, which project holds it, which session is under way and who is on the roster, as
`room.session` events. The live worker publishes them to `witness.sessions` (co-
partitioned with `witness.frames` by room id); replay folds them straight back in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from witness.events import Event, derived_id, make_event


@dataclass
class ProjectRooms:
    rooms: dict[str, str] = field(default_factory=dict)  # room_id -> kind
    cameras: dict[str, list[str]] = field(default_factory=dict)  # room_id -> camera ids
    roster: list[str] = field(default_factory=list)  # expert ids (role expert or rep)


def _session(
    event: Event,
    room_id: str,
    kind: str,
    state: str,
    roster: list[str],
    cameras: list[str],
    since: datetime,
) -> Event:
    return make_event(
        "room.session",
        event.project_id,
        since,
        {
            "room_id": room_id,
            "project_id": event.project_id,
            "kind": kind,
            "state": state,
            "roster": roster,
            "cameras": cameras,
            "since": since.isoformat(),
        },
        event_id=derived_id("room.session", event.event_id, room_id),
        source="witness-sessions",
    )


class SessionDeriver:
    """Fold project events; emit `room.session` events when a session starts or ends."""

    START = {
        "opening.started": ("opening", "under_way"),
        "evaluation.started": ("evaluation", "under_way"),
    }
    END = {"opening.closed": ("opening", "ended"), "evaluation.finished": ("evaluation", "ended")}

    def __init__(self) -> None:
        self.projects: dict[str, ProjectRooms] = {}

    #: Types that change what a project's rooms are or say.
    TYPES = frozenset({"project.registered", "expert.assigned", *START, *END})

    def step(self, event: Event) -> list[Event]:
        if event.type not in self.TYPES:
            return []
        p = self.projects.setdefault(event.project_id, ProjectRooms())
        if event.type == "project.registered":
            for room in event.payload.rooms:
                p.rooms[room.room_id] = room.kind
                p.cameras[room.room_id] = list(room.cameras)
            return []
        if event.type == "expert.assigned":
            eid = event.payload.expert.id
            if eid not in p.roster:
                p.roster.append(eid)
            return []
        if event.type in self.START or event.type in self.END:
            kind, state = (self.START | self.END)[event.type]
            room_id = event.payload.room_id
            roster = list(p.roster) if kind == "evaluation" else []
            cameras = p.cameras.get(room_id, [])
            return [_session(event, room_id, kind, state, roster, cameras, event.ts)]
        return []

    def take(self, project_id: str) -> ProjectRooms | None:
        """Remove an archived project's rooms from memory (the engine keeps them)."""
        return self.projects.pop(project_id, None)

    def give(self, project_id: str, rooms: ProjectRooms | None) -> None:
        if rooms is not None:
            self.projects[project_id] = rooms
