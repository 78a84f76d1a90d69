"""The camera agent: video sources -> `frame.analyzed` + `camera.status` events.

One process serves many cameras, a thread each (OpenCV decodes and analyses outside the
GIL). A camera reads a video file, an RTSP/HTTP URL or a device index, samples frames
at `fps`, analyses them (`streams.frame_analysis`) and hands events to a sink: the
Kafka `Producer` of `streams.bus`, or a JSON-lines file for tests and offline work.

Time: a file is replayed on its own clock (start time + the frame's position in the
video), so the same file always gives the same events; live sources use the wall
clock. A live source that drops is reported `offline` at once and every heartbeat
while it stays down, and is reopened with exponential backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from streams.camera_config import (  # re-exported: the agent's callers name them here
    AgentOptions,
    CameraSpec,
    check_unique,
)
from streams.frame_analysis import FrameAnalyzer
from witness import i18n
from witness.events import GLOBAL_PROJECT, Event, derived_id, make_event

i18n.register(
    {
        "camera.cannot_decode": (
            "无法解码：不是视频文件，或本机缺少它的解码器",
            "cannot decode it: not a video, or no decoder for it here",
        ),
    }
)

log = logging.getLogger("witness.camera")

SOURCE_NAME = "witness-camera"


class Sink(Protocol):
    """Where events go: `streams.bus.Producer` or `JsonlSink`."""

    def publish(self, event: Event) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class JsonlSink:
    """Write events as JSON lines (one per event); thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        line = event.to_json() + "\n"
        with self._lock:
            self._fh.write(line)

    def flush(self) -> None:
        with self._lock:
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()


class LockedSink:
    """Serialise calls to a sink that is not known to be thread-safe."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self._lock = threading.Lock()

    def publish(self, event: Event) -> None:
        with self._lock:
            self.inner.publish(event)

    def flush(self) -> None:
        with self._lock:
            self.inner.flush()

    def close(self) -> None:
        with self._lock:
            self.inner.close()


def _now() -> datetime:
    return datetime.now(UTC).astimezone()


def frame_event(spec: CameraSpec, ts: datetime, payload: dict) -> Event:
    body = {"camera_id": spec.camera_id, "room_id": spec.room_id, **payload}
    return make_event(
        "frame.analyzed",
        GLOBAL_PROJECT,
        ts,
        body,
        event_id=derived_id("frame", spec.room_id, spec.camera_id, ts.isoformat()),
        source=SOURCE_NAME,
    )


def status_event(spec: CameraSpec, ts: datetime, status: str) -> Event:
    return make_event(
        "camera.status",
        GLOBAL_PROJECT,
        ts,
        {"camera_id": spec.camera_id, "room_id": spec.room_id, "status": status},
        event_id=derived_id("status", spec.room_id, spec.camera_id, ts.isoformat(), status),
        source=SOURCE_NAME,
    )


@dataclass
class CameraWorker:
    """Runs one camera until its file ends, `max_frames` is reached or `stop` is set."""

    spec: CameraSpec
    sink: Sink
    options: AgentOptions = field(default_factory=AgentOptions)
    phase: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    sleep: Callable[[float], None] = time.sleep
    frames_sent: int = 0
    statuses_sent: int = 0
    result: int | None = None
    #: Why a file camera stopped without its video, in the user's language (the summary)
    problem: str | None = None
    #: monotonic time of the last frame read from a live source (for the watchdog)
    last_frame_mono: float | None = None
    _last_status_ts: datetime | None = None
    _status: str | None = None
    _status_lock: threading.Lock = field(default_factory=threading.Lock)
    _started_mono: float = field(default_factory=time.monotonic)

    def run(self) -> int:
        analyzer = FrameAnalyzer(phase=self.phase)
        if self.spec.is_file:
            return self._run_file(analyzer)
        return self._run_live(analyzer)

    # ---------------------------------------------------------------- helpers

    def _emit_status(self, ts: datetime, status: str, *, force: bool = False) -> None:
        with self._status_lock:  # the watchdog calls this from another thread
            due = (
                force
                or self._status != status
                or self._last_status_ts is None
                or (ts - self._last_status_ts).total_seconds() >= self.options.heartbeat_s
            )
            if not due:
                return
            self.sink.publish(status_event(self.spec, ts, status))
            self._status = status
            self._last_status_ts = ts
            self.statuses_sent += 1

    def watchdog(self, now_mono: float) -> bool:
        """Report a live source that has delivered nothing for too long as offline.

        A stalled stream can block inside OpenCV; the worker thread cannot speak for
        itself then, so the agent's main loop asks every live worker here.
        """
        if self.spec.is_file or self.stop.is_set():
            return False
        limit = max(self.options.heartbeat_s, 3.0 / self.options.fps)
        last = self.last_frame_mono if self.last_frame_mono is not None else self._started_mono
        if now_mono - last <= limit:
            return False
        self._emit_status(_now(), "offline")
        return True

    def _emit_frame(
        self, analyzer: FrameAnalyzer, frame: np.ndarray, ts: datetime, t: float
    ) -> None:
        metrics = analyzer.analyze(frame, t)
        self.sink.publish(frame_event(self.spec, ts, metrics.payload()))
        self.frames_sent += 1

    def _done(self) -> bool:
        return self.stop.is_set() or (
            self.options.max_frames is not None and self.frames_sent >= self.options.max_frames
        )

    # ---------------------------------------------------------------- files

    def _run_file(self, analyzer: FrameAnalyzer) -> int:
        """Sample a file on its own clock: ts = start + position in the video."""
        path = Path(self.spec.source)
        if not path.is_file():
            log.error("camera %s: %s is no file", self.spec.camera_id, self.spec.source)
            self.problem = i18n.t("error.is_dir" if path.is_dir() else "error.no_file")
            self._emit_status(self.options.start or _now(), "offline", force=True)
            return 1
        start = self.options.start or _now()
        step = 1.0 / self.options.fps
        offset = 0.0  # seconds of video played in earlier loops
        wall0 = time.monotonic()
        while not self._done():
            cap = self.spec.open()
            if not cap.isOpened():
                log.error("camera %s: cannot decode %s", self.spec.camera_id, self.spec.source)
                self.problem = i18n.t("camera.cannot_decode")
                self._emit_status(start + timedelta(seconds=offset), "offline", force=True)
                return 1
            native = cap.get(cv2.CAP_PROP_FPS) or 0.0
            native = native if 0 < native < 1000 else 25.0
            index = 0
            next_t = 0.0
            pos = 0.0
            self._emit_status(start + timedelta(seconds=offset), "online", force=True)
            while not self._done():
                if not cap.grab():
                    break
                pos = index / native
                index += 1
                if pos + 1e-9 < next_t:
                    continue
                ok, frame = cap.retrieve()
                if not ok:
                    break
                t = offset + pos
                ts = start + timedelta(seconds=t)
                if self.options.realtime:
                    lag = t / self.options.speed - (time.monotonic() - wall0)
                    if lag > 0:
                        self.sleep(lag)
                self._emit_status(ts, "online")
                self._emit_frame(analyzer, frame, ts, t)
                while next_t <= pos + 1e-9:  # a fixed grid: no drift between rates
                    next_t += step
            cap.release()
            if not self.options.loop or index == 0:
                break
            offset += index / native
        return 0

    # ---------------------------------------------------------------- live

    def _run_live(self, analyzer: FrameAnalyzer) -> int:
        """Wall-clock sampling with reconnects; silence is reported as offline."""
        step = 1.0 / self.options.fps
        delay = self.options.backoff_initial_s
        t0 = time.monotonic()
        while not self._done():
            cap = self.spec.open()
            if not cap.isOpened():
                self._emit_status(_now(), "offline")
                log.warning("camera %s: cannot open, retry in %.0fs", self.spec.camera_id, delay)
                self._wait(delay)
                delay = min(delay * 2, self.options.backoff_max_s)
                continue
            self._emit_status(_now(), "online", force=True)
            next_t = 0.0
            while not self._done():
                if not cap.grab():  # the stream dropped
                    self._emit_status(_now(), "offline", force=True)
                    break
                delay = self.options.backoff_initial_s
                self.last_frame_mono = time.monotonic()
                t = self.last_frame_mono - t0
                if t < next_t:
                    continue
                ok, frame = cap.retrieve()
                if not ok:
                    self._emit_status(_now(), "offline", force=True)
                    break
                ts = _now()
                self._emit_status(ts, "online")
                self._emit_frame(analyzer, frame, ts, t)
                next_t = t + step
            cap.release()
            if not self._done():
                log.warning("camera %s: source dropped, retry in %.0fs", self.spec.camera_id, delay)
                self._wait(delay)
                delay = min(delay * 2, self.options.backoff_max_s)
        return 0

    def _wait(self, seconds: float) -> None:
        """Sleep in heartbeat-sized steps so a long outage keeps being reported."""
        remaining = seconds
        while remaining > 0 and not self.stop.is_set():
            chunk = min(remaining, self.options.heartbeat_s)
            self.stop.wait(chunk)
            remaining -= chunk
            if remaining > 0:
                self._emit_status(_now(), "offline")


def run_agent(
    specs: list[CameraSpec],
    sink: Sink,
    options: AgentOptions | None = None,
    *,
    stop: threading.Event | None = None,
) -> list[CameraWorker]:
    """Run every camera in its own thread until all finish (or `stop` is set)."""
    options = options or AgentOptions()
    stop = stop or threading.Event()
    check_unique(specs)
    safe = LockedSink(sink)
    workers = [
        CameraWorker(spec, safe, options, phase=i, stop=stop) for i, spec in enumerate(specs)
    ]
    threads = []
    for w in workers:

        def target(w: CameraWorker = w) -> None:
            try:
                w.result = w.run()
            except Exception:  # one camera's crash must not stop the others
                log.exception("camera %s crashed", w.spec.camera_id)
                w.result = 1

        th = threading.Thread(target=target, name=f"camera-{w.spec.camera_id}", daemon=True)
        th.start()
        threads.append(th)
    try:
        while alive := [th for th in threads if th.is_alive()]:
            alive[0].join(0.5)
            now = time.monotonic()
            for w, th in zip(workers, threads, strict=True):
                if th.is_alive():
                    w.watchdog(now)
    except KeyboardInterrupt:
        stop.set()
        for th in threads:
            th.join(5)
        raise
    finally:
        safe.flush()
    return workers
