"""Video files that start at set times on a clock, each played through the camera agent.

The demo's cameras: every planned stretch of footage (one camera, one session, no gap)
is a file that must start playing when the demo's clock reaches its start, paced at
the clock's speed, and stamped by the agent as `start + position in the file`. Each
file gets the agent's own `CameraWorker` (decode, `FrameAnalyzer`, `frame.analyzed`
events to the sink), so the demo's frames take the same path as a real camera's.

Files are rendered lazily by a callback a little ahead of their start; a stretch whose
start has long passed (a very fast demo, a late start) is skipped, not played late.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from streams.camera_agent import AgentOptions, CameraSpec, CameraWorker, LockedSink, Sink
from witness.timebase import Clock

log = logging.getLogger("witness.camera.schedule")


@dataclass(frozen=True)
class Stretch:
    """One camera's footage from `start` for `seconds` (clock time); `render` makes the file."""

    room_id: str
    camera_id: str
    start: datetime
    seconds: float
    render: Callable[[], Path] = field(compare=False, repr=False)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass
class ScheduleStats:
    played: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0


class CameraSchedule:
    """Start each stretch's worker on time; `stop` ends them all."""

    def __init__(
        self,
        sink: Sink,
        clock: Clock,
        *,
        fps: float,
        stop: threading.Event,
        heartbeat_s: float = 60.0,
        lead_real_s: float = 20.0,
        late_s: float = 60.0,
    ) -> None:
        self.sink = LockedSink(sink)
        self.clock = clock
        self.fps = fps
        self.stop = stop
        self.heartbeat_s = heartbeat_s
        self.lead_real_s = lead_real_s  # render this long (real seconds) before the start
        self.late_s = late_s  # clock seconds a stretch may start late before it is skipped
        self.stats = ScheduleStats()
        self.playing = 0  # workers decoding a file right now
        self._render = threading.Semaphore(1)  # one file drawn at a time: the CPU is shared
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def add(self, stretches: list[Stretch]) -> None:
        """Schedule stretches (each waits in its own thread until shortly before its start)."""
        for s in sorted(stretches, key=lambda s: s.start):
            th = threading.Thread(
                target=self._run, args=(s,), name=f"cam-{s.camera_id}", daemon=True
            )
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(th)
            th.start()

    def active(self) -> int:
        with self._lock:
            return sum(t.is_alive() for t in self._threads)

    def join(self, timeout: float = 10.0) -> None:
        with self._lock:
            threads = list(self._threads)
        for th in threads:
            th.join(timeout / max(1, len(threads)))

    def _wait_until(self, at: datetime, early_real_s: float = 0.0) -> bool:
        """Sleep until the clock reads `at` (minus `early_real_s` real seconds); False if stopped."""
        while not self.stop.is_set():
            left = self.clock.real_seconds((at - self.clock.now()).total_seconds()) - early_real_s
            if left <= 0:
                return True
            self.stop.wait(min(left, 5.0))
        return False

    def _run(self, s: Stretch) -> None:
        if not self._wait_until(s.start, self.lead_real_s):
            return
        late = (self.clock.now() - s.start).total_seconds()
        if late > self.late_s:
            self._count("skipped")
            return
        try:
            with self._render:
                path = s.render()
        except Exception:  # one camera's bad file must not stop the others
            log.exception("camera %s: cannot render its footage", s.camera_id)
            self._count("failed")
            return
        if not self._wait_until(s.start):
            return
        late = (self.clock.now() - s.start).total_seconds()
        if late > self.late_s:
            self._count("skipped")
            return
        options = AgentOptions(
            fps=self.fps,
            heartbeat_s=self.heartbeat_s,
            start=s.start,
            realtime=True,
            speed=self.clock.speed,
        )
        worker = CameraWorker(
            CameraSpec(s.room_id, s.camera_id, str(path)),
            self.sink,
            options,
            stop=self.stop,
            sleep=lambda secs: self.stop.wait(secs),
        )
        with self._lock:
            self.playing += 1
        try:
            result = worker.run()
        except Exception:
            log.exception("camera %s crashed", s.camera_id)
            result = 1
        with self._lock:
            self.playing -= 1
            self.stats.frames += worker.frames_sent
        self._count("played" if result == 0 else "failed")

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self.stats, what, getattr(self.stats, what) + 1)
