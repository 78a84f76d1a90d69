"""Camera frames (`frame.analyzed`) and camera status for rooms in session, generated lazily.

One frame per camera every `interval` seconds of simulated time, from the session's
start to its end, plus planted windows outside sessions (after-hours motion). The
generator yields frames in time order without holding a session in memory, so a
200-project run streams in constant space. Anomalies are small specs applied on the
fly: offline gaps, tampered pictures, head counts above or below the roster.
`plan_video` decides a project's windows and plants VID-* (with honest blinks and breaks).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from witness.simulator.plan import Project, case


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


# ---------------------------------------------------------------- a project's rooms on camera


def _overlaps_absence(windows: list[Window], w: Window) -> bool:
    return any(x.kind == "persons" and x.delta < 0 and x.t0 < w.t1 and w.t0 < x.t1 for x in windows)


def plan_video(
    p: Project, rng: random.Random, frame_interval: int, tamper_mode: str | None = None
) -> None:
    """Camera windows for the opening and the evaluation, with planted anomalies and traps.

    `tamper_mode` fixes how a planted tampering looks (the demo shows each in turn)."""
    spec = p.spec
    ocams, ecams = p.venue.opening[p.opening_room], p.venue.evaluation[p.eval_room]
    opening = RoomWindow(
        p.opening_room,
        ocams,
        p.opening_start,
        p.opening_end,
        4 + len(p.bids),
        False,
        motion=(0.01, 0.06),
    )
    roster = len(p.committee)
    ev = RoomWindow(p.eval_room, ecams, p.eval_start, p.eval_end, roster, True)
    dur = p.eval_end - p.eval_start

    def at(f: float) -> int:
        return p.eval_start + int(dur * f)

    room_all = [p.eval_room, *ecams]
    for kind in spec.vid:
        cam = rng.choice(ecams)
        if kind == "offline":
            t0 = at(rng.uniform(0.45, 0.6))
            ev.windows.append(
                Window(rng.choice(["offline", "silent"]), t0, t0 + rng.randint(150, 300), cam)
            )
            p.truth.append(
                case("VID-OFFLINE", p.pid, [p.eval_room, cam], "planted: camera dark for minutes")
            )
        elif kind == "tamper":
            t0 = at(rng.uniform(0.62, 0.7))
            mode = rng.choice(["black", "blur", "frozen", "covered"])
            mode = tamper_mode or mode
            ev.windows.append(Window("tamper", t0, t0 + rng.randint(90, 180), cam, mode))
            p.truth.append(
                case("VID-TAMPER", p.pid, [p.eval_room, cam], f"planted: {mode} picture")
            )
        elif kind == "absent":
            t0 = at(rng.uniform(0.15, 0.3))
            ev.windows.append(
                Window(
                    "persons",
                    t0,
                    t0 + rng.randint(840, 1080),
                    None,
                    delta=-rng.choice([1, 1, 2]),
                )
            )
            p.truth.append(
                case("VID-ABSENT", p.pid, room_all, "planted: member(s) away for over 10 minutes")
            )
        elif kind == "intruder":
            t0 = at(rng.uniform(0.75, 0.8))
            ev.windows.append(Window("persons", t0, t0 + rng.randint(150, 300), None, delta=1))
            p.truth.append(
                case("VID-INTRUDER", p.pid, room_all, "planted: an extra person for minutes")
            )
    windows = [opening, ev]
    if "afterhours" in spec.vid:
        t0 = p.eval_end + 1200
        windows.append(
            RoomWindow(
                p.eval_room,
                ecams,
                t0,
                t0 + rng.randint(360, 480),
                rng.choice([1, 2]),
                False,
                motion=(0.06, 0.3),
                status_events=False,
            )
        )
        p.truth.append(
            case(
                "VID-AFTERHOURS",
                p.pid,
                room_all,
                "planted: people moving in the room after evaluation",
            )
        )
    # honest traps
    if rng.random() < 0.2:
        t0 = at(rng.uniform(0.05, 0.1))
        ev.windows.append(Window("offline", t0, t0 + 15, rng.choice(ecams)))  # blinks once
    if rng.random() < 0.15:
        t0 = at(rng.uniform(0.1, 0.14))
        ev.windows.append(
            Window(
                "glitch",
                t0,
                t0 + frame_interval,
                rng.choice(ecams),
                rng.choice(["black", "scene"]),
            )
        )
    if rng.random() < 0.1:
        t0 = at(rng.uniform(0.35, 0.4))
        papers = Window("persons", t0, t0 + 25, None, delta=1)  # staff hands over papers
        # Not inside a planted absence: the visitor would fill the empty chair on camera
        # and split the absence in two shorter ones, which the truth does not say.
        if not _overlaps_absence(ev.windows, papers):
            ev.windows.append(papers)
    if rng.random() < 0.15 and "absent" not in spec.vid:
        t0 = at(rng.uniform(0.4, 0.5))
        ev.windows.append(
            Window("persons", t0, t0 + rng.randint(240, 420), None, delta=-1)
        )  # a short break
    if rng.random() < 0.05 and "afterhours" not in spec.vid:
        t0 = p.eval_end + 2400
        windows.append(
            RoomWindow(
                p.eval_room,
                ecams,
                t0,
                t0 + 50,
                1,
                False,
                motion=(0.05, 0.2),
                status_events=False,
            )
        )
    p.windows = windows
