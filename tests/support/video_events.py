"""Pictures, videos and event streams for the camera and video-rule tests.

Frames are composed from photographs shipped with scikit-image: `coffee()` stands in
for the empty room, `astronaut()` (a frontal face the Haar cascade finds) for a person
at the table. A little deterministic sensor noise keeps live footage from looking
frozen, as a real camera's does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from witness.events import Event, make_event, parse_event

W, H = 320, 180
START = datetime.fromisoformat("2026-11-20T09:00:00+08:00")


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2BGR)


def empty_room(w: int = W, h: int = H) -> np.ndarray:
    return cv2.resize(_bgr(data.coffee()), (w, h), interpolation=cv2.INTER_AREA)


def person_in_room(w: int = W, h: int = H) -> np.ndarray:
    """The astronaut's head and shoulders filling most of the frame height."""
    frame = empty_room(w, h)
    size = h * 5 // 6
    x = (w - size) // 2
    frame[h - size :, x : x + size] = cv2.resize(
        _bgr(data.astronaut()), (size, size), interpolation=cv2.INTER_AREA
    )
    return frame


def other_view(w: int = W, h: int = H) -> np.ndarray:
    """What a re-aimed camera sees instead of the room (a wall of bricks)."""
    return cv2.resize(_bgr(np.stack([data.brick()] * 3, -1)), (w, h), interpolation=cv2.INTER_AREA)


def black(w: int = W, h: int = H) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def covered(w: int = W, h: int = H) -> np.ndarray:
    """A hand over the lens: dark, no edges."""
    return cv2.GaussianBlur(person_in_room(w, h) // 8, (0, 0), 12)


def noisy(frame: np.ndarray, rng: np.random.Generator, amp: int = 6) -> np.ndarray:
    noise = rng.integers(0, amp, frame.shape, dtype=np.uint8)
    return cv2.add(frame, noise)


def write_video(
    path: Path, segments: Sequence[tuple[np.ndarray, int, bool]], fps: float = 1.0
) -> Path:
    """Write (frame, count, add_noise) segments to an MJPG AVI; returns the path."""
    h, w = segments[0][0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    rng = np.random.default_rng(7)
    noise = [rng.integers(0, 6, (h, w, 3), dtype=np.uint8) for _ in range(7)]
    n = 0
    for frame, count, live in segments:
        for _ in range(count):
            writer.write(cv2.add(frame, noise[n % len(noise)]) if live else frame)
            n += 1
    writer.release()
    return path


def read_jsonl(path: Path) -> list[Event]:
    lines = path.read_text("utf-8").splitlines()
    return [parse_event(line, line=i) for i, line in enumerate(lines, 1) if line.strip()]


def camera_events(
    video: Path, out: Path, room: str, camera: str, fps: float = 1.0, start: datetime = START
) -> list[Event]:
    """Run `witness camera` on a file, return the events it wrote."""
    from witness.cli import main

    rc = main(
        [
            "camera",
            str(video),
            "--room",
            room,
            "--camera",
            camera,
            "--fps",
            str(fps),
            "--start",
            start.isoformat(),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    return read_jsonl(out)


# ---------------------------------------------------------------- project side


def project_events(
    project: str,
    room: str,
    cameras: Sequence[str],
    experts: int,
    started: datetime,
    finished: datetime | None = None,
) -> list[Event]:
    """A project holding `room` for an evaluation from `started` to `finished`."""
    t0 = started - timedelta(hours=1)
    events = [
        make_event(
            "project.registered",
            project,
            t0,
            {
                "name": "教学楼改造工程",
                "rooms": [{"room_id": room, "kind": "evaluation", "cameras": list(cameras)}],
            },
        )
    ]
    for i in range(experts):
        events.append(
            make_event(
                "expert.assigned",
                project,
                t0 + timedelta(minutes=1 + i),
                {"expert": {"id": f"E{i + 1}", "name": f"专家{i + 1}"}, "room_id": room},
            )
        )
    events.append(
        make_event(
            "evaluation.started", project, started, {"room_id": room, "planned_minutes": 120}
        )
    )
    if finished is not None:
        events.append(
            make_event("evaluation.finished", project, finished, {"room_id": room, "ranking": []})
        )
    return events


def frame(
    room: str,
    camera: str,
    ts: datetime,
    *,
    persons: int = 0,
    motion: float = 0.0,
    brightness: float = 110.0,
    sharpness: float = 900.0,
    frozen: bool = False,
    scene_change: float = 0.01,
    thumbnail: str | None = None,
    event_id: str | None = None,
) -> Event:
    """A `frame.analyzed` event as the agent would send it."""
    payload = {
        "camera_id": camera,
        "room_id": room,
        "width": W,
        "height": H,
        "brightness": brightness,
        "sharpness": sharpness,
        "frozen": frozen,
        "motion": motion,
        "scene_change": scene_change,
        "persons": persons,
        "faces": persons,
    }
    if thumbnail:
        payload["thumbnail"] = thumbnail
    return make_event("frame.analyzed", "*", ts, payload, event_id=event_id)


def merged(*streams: Iterable[Event]) -> list[Event]:
    """Interleave streams by event time (stable: earlier streams first on ties)."""
    tagged = [(e.ts, i, n, e) for i, s in enumerate(streams) for n, e in enumerate(s)]
    return [e for *_, e in sorted(tagged, key=lambda x: (x[0], x[1], x[2]))]
