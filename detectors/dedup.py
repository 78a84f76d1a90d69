"""Which events the engine has already folded, so a re-delivery is never counted twice.

Two kinds of memory, because the two kinds of events live differently:
- project events (bids, scores, expert activity, ...) are remembered per project for the
  project's whole life and forgotten when it is archived: an `expert.activity` re-delivered
  hours later must not inflate EXP-FOCUS or EXP-FAST, however many frames came between;
- frames, camera status and clock ticks (hundreds a second, no project) and the room
  sessions the workers derive are remembered over a time window of event time that
  covers every video rule, then forgotten, so memory stays bounded by the frame rate, not
  by how long the system runs (a session re-read after the window is harmless: the video
  rules keep each session change once);
Events of no project that are not frames (registry facts) are remembered like a project
that is never archived: there are as many as there are facts, which every worker holds.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from witness.events import FRAME_TYPES, GLOBAL_PROJECT, Event

#: Types remembered by time (see above).
WINDOWED_TYPES = FRAME_TYPES | {"room.session"}

#: How far back (event time) frames are remembered: three times the longest video rule
#: (VID-ABSENT, 10 minutes), so a frame re-delivered within any rule's reach is known.
FRAME_WINDOW = timedelta(minutes=30)
#: Frames always remembered however the clock jumps (one frame stamped far in the future
#: must not make every recent frame look old).
FRAME_FLOOR = 10_000
#: Memory bound whatever the timestamps: ~90 minutes of frames at 300 frames/s.
FRAME_CAP = 1_500_000


class SeenEvents:
    def __init__(
        self,
        *,
        frame_window: timedelta = FRAME_WINDOW,
        frame_floor: int = FRAME_FLOOR,
        frame_cap: int = FRAME_CAP,
    ) -> None:
        self.frame_window = frame_window
        self.frame_floor = frame_floor
        self.frame_cap = frame_cap
        self._window_s = frame_window.total_seconds()
        self._projects: dict[str, set[str]] = {}
        self._frames: OrderedDict[str, float] = OrderedDict()  # event id -> POSIX time
        self._clock = float("-inf")  # newest frame time seen

    def seen(self, event: Event) -> bool:
        """True if `event` was folded before; otherwise remember it and return False."""
        if event.type in WINDOWED_TYPES:
            return self._seen_frame(event.event_id, event.ts)
        ids = self._projects.setdefault(event.project_id, set())
        if event.event_id in ids:
            return True
        ids.add(event.event_id)
        return False

    def take(self, project_id: str) -> set[str]:
        """The project is archived: remove its event ids from memory and return them
        (the engine keeps them with the project's released memory, see `give`)."""
        if project_id == GLOBAL_PROJECT:
            return set()
        return self._projects.pop(project_id, set())

    def give(self, project_id: str, ids: set[str]) -> None:
        """A released project came back: remember its events again."""
        if ids:
            self._projects.setdefault(project_id, set()).update(ids)

    def projects(self) -> int:
        """Projects whose events are remembered (live ones)."""
        return len(self.project_ids())

    def project_ids(self) -> set[str]:
        return set(self._projects) - {GLOBAL_PROJECT}

    def _seen_frame(self, event_id: str, ts: datetime) -> bool:
        frames = self._frames
        if event_id in frames:
            return True
        at = ts.timestamp()
        frames[event_id] = at
        if at > self._clock:
            self._clock = at
        if len(frames) > self.frame_floor:
            horizon = self._clock - self._window_s
            while len(frames) > self.frame_cap or (
                len(frames) > self.frame_floor and next(iter(frames.values())) < horizon
            ):
                frames.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._frames) + sum(len(ids) for ids in self._projects.values())
