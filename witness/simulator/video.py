"""Camera frames (`frame.analyzed`) and camera status for rooms in session, generated lazily.

One frame per camera every `interval` seconds of simulated time, from the session's
start to its end, plus planted windows outside sessions (after-hours motion). The
generator yields frames in time order without holding a session in memory, so a
200-project run streams in constant space. Anomalies are small specs applied on the
fly: offline gaps, tampered pictures, head counts above or below the roster.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Window:
    """An anomaly between t0 and t1 (seconds of simulated time)."""

    kind: str  # offline | silent | tamper | persons | glitch
    t0: int
    t1: int
    camera: str | None = None  # None = every camera of the room
    mode: str = ""  # tamper: black/blur/frozen/covered; glitch: black/scene
    delta: int = 0  # persons: added to the head count


@dataclass
class RoomWindow:
    room_id: str
    cameras: list[str]
    start: int
    end: int
    persons: int  # head count in the room when nothing happens
    evaluation: bool
    windows: list[Window] = field(default_factory=list)
    motion: tuple[float, float] = (0.004, 0.04)
    status_events: bool = True  # emit camera.status online at the start


#: A frame as a tuple (cheap to make, rendered to JSON directly):
#: (ts, camera, room, brightness, sharpness, frozen, motion, scene_change, persons, faces)
Frame = tuple
#: A status change: (ts, camera, room, status)
Status = tuple


def _status(ts: int, camera: str, room: str, status: str) -> Status:
    return (ts, camera, room, status)


def frames(rw: RoomWindow, seed: str, interval: int = 10) -> Iterator[Frame | Status]:
    """Yield frame and status tuples in time order for one room window."""
    rng = random.Random(seed)
    phases = sorted((rng.randrange(interval), cam) for cam in rw.cameras)
    base = {cam: (rng.uniform(105, 150), rng.uniform(150, 420)) for cam in rw.cameras}
    pending: list[tuple[int, str, str]] = []  # (ts, camera, status) status changes
    if rw.status_events:
        pending += [(rw.start, cam, "online") for cam in rw.cameras]
    for w in rw.windows:
        if w.kind == "offline" and w.camera:
            pending += [(w.t0, w.camera, "offline"), (w.t1, w.camera, "online")]
    pending.sort()
    last: dict[str, dict[str, Any]] = {}
    crowd = rw.persons
    k = 0
    while True:
        tick = rw.start + k * interval
        if tick >= rw.end:
            break
        if not rw.evaluation and k % 6 == 0 and k:
            crowd = max(2, crowd + rng.choice((-1, 0, 0, 1)))
        for phase, cam in phases:
            ts = tick + phase
            while pending and pending[0][0] <= ts:
                t, c, st = pending.pop(0)
                yield _status(t, c, rw.room_id, st)
            if ts >= rw.end:
                continue
            frame = _frame(rng, rw, cam, ts, crowd, base[cam], last.get(cam))
            if frame is None:
                continue
            last[cam] = frame
            yield frame
        k += 1
    for t, c, st in pending:
        if t <= rw.end:
            yield _status(t, c, rw.room_id, st)


def _frame(
    rng: random.Random,
    rw: RoomWindow,
    cam: str,
    ts: int,
    crowd: int,
    base: tuple[float, float],
    prev: Frame | None,
) -> Frame | None:
    persons = crowd
    r = rng.random
    brightness = base[0] - 6 + 12 * r()
    sharpness = base[1] * (0.85 + 0.3 * r())
    lo, hi = rw.motion
    motion = lo + (hi - lo) * r()
    scene = 0.05 * r()
    for w in rw.windows:
        if not (w.t0 <= ts < w.t1) or (w.camera is not None and w.camera != cam):
            continue
        if w.kind in ("offline", "silent"):
            return None
        if w.kind == "persons":
            persons = max(0, persons + w.delta)
            motion = max(motion, 0.03)
        elif w.kind == "tamper" or w.kind == "glitch":
            if w.mode == "black":
                brightness, sharpness, persons, motion = (
                    rng.uniform(1, 8),
                    rng.uniform(0.2, 3),
                    0,
                    0.0,
                )
            elif w.mode == "covered":
                brightness, sharpness, persons, motion = (
                    rng.uniform(6, 16),
                    rng.uniform(0.5, 4),
                    0,
                    0.0,
                )
            elif w.mode == "blur":
                sharpness, persons = rng.uniform(2, 9), 0
            elif w.mode == "frozen" and prev is not None:
                return (ts, *prev[1:5], True, 0.0, 0.0, *prev[8:])
            elif w.mode == "scene":
                scene, motion = rng.uniform(0.6, 0.85), rng.uniform(0.3, 0.6)
    faces = max(0, persons - (0, 0, 1, 1, 2)[int(r() * 5)]) if persons else 0
    return (
        ts,
        cam,
        rw.room_id,
        round(brightness, 1),
        round(sharpness, 1),
        False,
        round(motion, 4),
        round(scene, 4),
        persons,
        faces,
    )


def frame_payload(f: Frame) -> dict[str, Any]:
    return {
        "brightness": f[3],
        "camera_id": f[1],
        "faces": f[9],
        "frozen": f[5],
        "height": 720,
        "motion": f[6],
        "persons": f[8],
        "room_id": f[2],
        "scene_change": f[7],
        "sharpness": f[4],
        "width": 1280,
    }


def frame_json(f: Frame, ts: str, source: str) -> str:
    """canonical_json of the frame's envelope, written directly (frames are most of a run)."""
    return (
        f'{{"event_id":"fa:{f[1]}:{f[0]}","payload":{{"brightness":{f[3]!r},"camera_id":"{f[1]}",'
        f'"faces":{f[9]},"frozen":{"true" if f[5] else "false"},"height":720,"motion":{f[6]!r},'
        f'"persons":{f[8]},"room_id":"{f[2]}","scene_change":{f[7]!r},"sharpness":{f[4]!r},'
        f'"width":1280}},"project_id":"*","source":"{source}","ts":"{ts}","type":"frame.analyzed"}}'
    )
