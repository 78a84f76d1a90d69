"""A simulated trading day that happens now: the demo's day, shifted onto the demo's clock.

`witness demo` plays one `LiveDay` run after another. Each day is shifted so its first
opening is a minute or two after the moment the day begins on the demo's clock: every
timestamp in it (envelope and payload; dates by whole days) moves by the same amount,
so durations, deadlines and the order of everything stay as planned. What lies before
the day's start (registrations, tenders, bids of the past weeks) is history, sent at
once; the rest is sent as the clock reaches it. The platform's own camera frames are
left out: the demo renders video for each planned stretch (`footage`) and plays it
through the real camera agent, so frames carry real thumbnails and measurements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from witness.simulator import footage
from witness.simulator.clock import BASE
from witness.simulator.plan import LiveDay
from witness.simulator.scenario import Simulation

#: Simulated seconds between a day's start on the clock and its first opening.
LEAD_S = 120
#: Types the demo does not send from the plan: its cameras send them.
CAMERA_TYPES = frozenset({"frame.analyzed", "camera.status"})

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def shift_times(obj: Any, delta: timedelta) -> Any:
    """A copy with every ISO timestamp moved by `delta` (ISO dates by whole days)."""
    if isinstance(obj, dict):
        return {k: shift_times(v, delta) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shift_times(v, delta) for v in obj]
    if isinstance(obj, str):
        if _DATETIME.match(obj):
            ts = datetime.fromisoformat(obj.replace("Z", "+00:00"))
            return (ts + delta).isoformat()
        if _DATE.match(obj):
            try:
                day = datetime.fromisoformat(obj)
            except ValueError:
                return obj
            return (day + timedelta(days=round(delta.total_seconds() / 86_400))).date().isoformat()
    return obj


@dataclass(frozen=True)
class CameraStretch:
    """One camera's planned footage without a gap, on the demo's clock."""

    room_id: str
    camera_id: str
    start: datetime
    seconds: float
    shots: tuple[footage.Shot, ...] = field(repr=False)

    def render(self, folder: Path, interval: int) -> Path:
        return footage.render(self.room_id, self.camera_id, list(self.shots), interval, folder)


class DemoDay:
    """Day number `number` (0, 1, ...) of a demo, starting at `start` on the demo's clock."""

    def __init__(
        self, number: int, start: datetime, *, projects: int, seed: int, frame_interval: int = 10
    ) -> None:
        self.number = number
        self.interval = frame_interval
        self.sim = Simulation(
            projects,
            seed + number,
            frame_interval=frame_interval,
            day=LiveDay(first_number=1 + number * projects),
        )
        first_opening = BASE + timedelta(seconds=self.sim.live_day_start() - LEAD_S)
        self.delta = start - first_opening
        self.start = start
        self.project_ids = [p.pid for p in self.sim.projects]

    def _event(self, raw: dict[str, Any]) -> dict[str, Any]:
        ev = shift_times(raw, self.delta)
        if self.number:  # registry facts and the like reuse ids from day to day
            ev["event_id"] = f"{ev['event_id']}~d{self.number + 1}"
        return ev

    def events(self) -> Iterator[dict[str, Any]]:
        """The day's platform and registry events, shifted, in time order (no camera frames)."""
        for raw in self.sim.events():
            if raw["type"] not in CAMERA_TYPES:
                yield self._event(raw)

    def end(self) -> datetime:
        """When the day's last project is archived, on the demo's clock."""
        last = max(p.archived for p in self.sim.projects)
        return BASE + timedelta(seconds=last) + self.delta

    def cameras(self) -> list[CameraStretch]:
        """Every camera's footage of every planned session and after-hours window."""
        out = []
        for p in self.sim.projects:
            for rw in p.windows:
                for cam in rw.cameras:
                    for shots in footage.script(rw, cam, self.interval):
                        start = BASE + timedelta(seconds=shots[0].t) + self.delta
                        out.append(
                            CameraStretch(
                                rw.room_id,
                                cam,
                                start,
                                float(len(shots) * self.interval),
                                tuple(shots),
                            )
                        )
        return sorted(out, key=lambda c: (c.start, c.room_id, c.camera_id))


def bad_lines(day: DemoDay) -> list[bytes]:
    """A few records a real platform or camera gateway sends wrong, for the dead letters.

    Each breaks the contract in one way a person can fix on the ops page: a camera
    status outside online/offline, a frame without a time offset, a type the contract
    does not know, and a line cut off in transit.
    """
    ts = day.start.isoformat()
    tag = f"demo-bad-{day.number + 1}"
    room = day.sim.projects[0].eval_room
    return [
        (
            f'{{"event_id":"{tag}-1","type":"camera.status","project_id":"*","ts":"{ts}",'
            f'"source":"camera-gateway","payload":{{"camera_id":"{room}-C9","room_id":"{room}",'
            f'"status":"broken"}}}}'
        ).encode(),
        (
            f'{{"event_id":"{tag}-2","type":"frame.analyzed","project_id":"*",'
            f'"ts":"{ts[:19]}","source":"camera-gateway","payload":{{"camera_id":"{room}-C9",'
            f'"room_id":"{room}","width":320,"height":240,"brightness":120.0,"sharpness":300.0,'
            f'"frozen":false,"motion":0.01,"scene_change":0.0,"persons":0,"faces":0}}}}'
        ).encode(),
        (
            f'{{"event_id":"{tag}-3","type":"expert.checkin","project_id":"*","ts":"{ts}",'
            f'"source":"trading-platform","payload":{{"room_id":"{room}"}}}}'
        ).encode(),
        f'{{"event_id":"{tag}-4","type":"camera.status","project_id":"*","ts":"{ts}","sou'.encode(),
    ]
