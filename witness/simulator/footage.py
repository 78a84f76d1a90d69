"""Synthetic room video for the demo, drawn with OpenCV, to run through the real camera agent.

The simulator plans what each camera sees (`cameras.RoomWindow`: a session's time span,
its head count, planted windows where people leave or enter, a lens is covered, a
camera goes dark, freezes or blurs). This module turns that plan into video files that
`witness camera` decodes and measures like any footage, so the demo's frames carry
real thumbnails and real measurements instead of made-up numbers.

One frame per `interval` simulated seconds (files play at fps = 1 / interval); a camera
that goes silent is a gap between two files. Views by camera position: C1 faces the
committee (its Haar face count is the room's head count), C2 looks from behind, C3 at
the door (people walk past when they leave or enter), C4 at the desk, C5 from above.
Faces are drawn large enough (about 54 px tall in the agent's 320 px working copy) for
OpenCV's frontal-face cascade; `tests/simulator/test_demo_day.py` checks the counts.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from witness.simulator.cameras import RoomWindow

W, H = 320, 240
#: Bump when the drawing changes, so cached files are rendered again.
VERSION = 4
#: Face radius (px) and seats of the camera facing the committee: two rows of four.
FACE_R = 27
SEATS = [(40, 66), (120, 66), (200, 66), (280, 66), (50, 176), (130, 176), (210, 176), (290, 176)]
#: Where a person stands who is not on the roster (drawn after the seats are full).
STANDING = (160, 120)
SKIN = [(150, 175, 205), (135, 165, 200), (120, 150, 190), (160, 185, 215)]
HAIR = [(30, 30, 40), (45, 40, 35), (25, 25, 25), (70, 70, 80)]
SUIT = [(90, 60, 40), (60, 60, 60), (110, 80, 50), (50, 70, 90)]
VIEWS = ("front", "back", "door", "desk", "above")


@dataclass(frozen=True)
class Shot:
    """One frame: simulated second, people in the room, what the picture looks like."""

    t: int
    persons: int
    mode: str = "normal"  # normal | black | covered | blur | frozen | scene
    walking: bool = False  # someone is leaving or entering


def view_of(camera_id: str) -> str:
    """The view a camera id stands for (C1 faces the committee, C2 from behind ...)."""
    digits = "".join(c for c in camera_id.rsplit("C", 1)[-1] if c.isdigit())
    k = int(digits) - 1 if digits else 0
    return VIEWS[k % len(VIEWS)]


def script(rw: RoomWindow, camera: str, interval: int) -> list[list[Shot]]:
    """The camera's frames over the window, split where it sends nothing (segments)."""
    segments: list[list[Shot]] = []
    current: list[Shot] = []
    previous = None
    t = rw.start
    while t < rw.end:
        persons = rw.persons
        mode = "normal"
        silent = False
        for w in rw.windows:
            if not (w.t0 <= t < w.t1) or (w.camera is not None and w.camera != camera):
                continue
            if w.kind in ("offline", "silent"):
                silent = True
            elif w.kind == "persons":
                persons = max(0, persons + w.delta)
            elif w.kind in ("tamper", "glitch"):
                mode = w.mode
        if silent:
            if current:
                segments.append(current)
            current, previous = [], None
        else:
            walking = previous is not None and previous.persons != persons
            shot = Shot(t, persons, mode, walking)
            current.append(shot)
            previous = shot
        t += interval
    if current:
        segments.append(current)
    return segments


def key(room_id: str, camera: str, segment: list[Shot], interval: int) -> str:
    """A stable name for a segment's file: what it shows decides the name (the cache)."""
    h = hashlib.sha256(f"{VERSION}|{room_id}|{camera}|{interval}".encode())
    for s in segment:
        h.update(f"{s.t},{s.persons},{s.mode},{s.walking};".encode())
    return f"{room_id}_{camera}_{segment[0].t}_{h.hexdigest()[:12]}"


def render(room_id: str, camera: str, segment: list[Shot], interval: int, folder: Path) -> Path:
    """Write the segment as an MPEG-4 file (once; later calls reuse it)."""
    path = folder / f"{key(room_id, camera, segment, interval)}.mp4"
    if path.is_file() and path.stat().st_size > 0:
        path.touch()  # recently used: pruned last
        return path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), 1.0 / interval, (W, H))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write MPEG-4 video to {tmp}")
    painter = Painter(room_id, camera)
    last = None
    try:
        for shot in segment:
            # frozen: the encoder repeats itself, nothing changes at all
            frozen = shot.mode == "frozen" and last is not None
            frame = last if frozen else painter.frame(shot)
            writer.write(frame)
            last = frame
    finally:
        writer.release()
    tmp.replace(path)
    return path


def prune(folder: Path, keep_bytes: int) -> None:
    """Keep the cache under `keep_bytes`: the least recently used files go first."""
    if not folder.is_dir():
        return
    files = sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for f in files:
        total += f.stat().st_size
        if total > keep_bytes:
            f.unlink(missing_ok=True)


class Painter:
    """Draws one camera's view; people keep their looks from frame to frame."""

    def __init__(self, room_id: str, camera: str) -> None:
        self.room_id = room_id
        self.view = view_of(camera)
        seed = int(hashlib.sha256(f"{room_id}/{camera}".encode()).hexdigest()[:8], 16)
        rng = random.Random(seed)
        self.looks = [(rng.choice(SKIN), rng.choice(HAIR), rng.choice(SUIT)) for _ in SEATS]
        self.phase = [rng.uniform(0, 2 * math.pi) for _ in SEATS]
        self.wall = tuple(int(c) for c in np.clip(np.array(rng.choice(SUIT)) + 120, 0, 255))
        self.rng = np.random.default_rng(seed)
        self.background = self._background()

    # ------------------------------------------------------------ scenes

    def _background(self) -> np.ndarray:
        img = np.full((H, W, 3), self.wall, np.uint8)
        cv2.rectangle(img, (0, int(H * 0.78)), (W, H), (95, 105, 115), -1)  # floor
        if self.view in ("front", "back"):
            cv2.rectangle(img, (200, 12), (300, 52), (225, 225, 215), -1)  # window
            cv2.line(img, (250, 12), (250, 52), (160, 160, 160), 2)
        if self.view == "door":  # a double door seen at an angle, a notice board beside it
            pts = np.array([[110, 60], [230, 40], [230, 200], [110, 186]], np.int32)
            cv2.fillPoly(img, [pts], (70, 90, 120))
            cv2.line(img, (170, 50), (170, 193), (50, 60, 80), 2)
            cv2.rectangle(img, (250, 70), (305, 120), (200, 210, 220), -1)
        if self.view == "desk":
            cv2.rectangle(img, (20, 120), (300, 235), (60, 95, 140), -1)  # desk top
            cv2.rectangle(img, (60, 60), (180, 140), (40, 40, 40), -1)  # screen
            for k in range(4):
                cv2.rectangle(
                    img, (200 + 8 * k, 150 + 5 * k), (280 + 8 * k, 210), (235, 235, 230), -1
                )
        if self.view == "above":
            cv2.rectangle(img, (40, 80), (280, 170), (60, 95, 140), -1)
        cv2.putText(img, self.room_id, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (60, 60, 60), 1)
        return img

    def frame(self, shot: Shot) -> np.ndarray:
        if shot.mode == "black":
            return self._noise(np.zeros((H, W, 3), np.uint8), 3)
        img = self.background.copy()
        getattr(self, f"_draw_{self.view}")(img, shot)
        self._clock(img, shot.t)
        if shot.mode == "covered":  # a hand over the lens: dark, no edges
            img = cv2.GaussianBlur(img // 14 + np.uint8(3), (0, 0), 14)
        elif shot.mode == "blur":
            img = cv2.GaussianBlur(img, (0, 0), 9)
        elif shot.mode == "scene":  # knocked aside: the camera sees a wall of bricks
            img = self._bricks()
        return self._flicker(img, shot.t)

    def _draw_front(self, img: np.ndarray, shot: Shot) -> None:
        cv2.rectangle(img, (0, 120), (W, 140), (60, 95, 140), -1)  # the back row's table
        seated = min(shot.persons, len(SEATS))
        for k in range(len(SEATS)):
            x, y = SEATS[k]
            if k >= seated:
                cv2.rectangle(img, (x - 16, y + 20), (x + 16, y + 46), (40, 40, 60), -1)  # chair
                continue
            skin, hair, suit = self.looks[k]
            face(img, x, y, FACE_R, skin, hair, suit)  # heads keep still: the cascade is picky
            # hands and papers move on the table in front of each member
            hx = x - 14 + int(round(10 * math.sin(shot.t / 17.0 + self.phase[k])))
            hy = y + 58 if y < 100 else min(H - 8, y + 50)
            cv2.rectangle(img, (hx, hy), (hx + 16, hy + 6), (235, 235, 230), -1)
        if shot.persons > len(SEATS):  # someone standing in the room
            face(img, *STANDING, FACE_R, SKIN[1], HAIR[0], SUIT[1])

    def _draw_back(self, img: np.ndarray, shot: Shot) -> None:
        cv2.rectangle(img, (20, 150), (300, 175), (60, 95, 140), -1)
        for k in range(min(shot.persons, 7)):
            x = 40 + 40 * k
            dy = int(round(1.5 * math.sin(shot.t / 19.0 + self.phase[k])))
            _, hair, suit = self.looks[k]
            cv2.ellipse(img, (x, 200 + dy), (22, 30), 0, 180, 360, suit, -1, cv2.LINE_AA)
            cv2.circle(img, (x, 160 + dy), 15, hair, -1, cv2.LINE_AA)  # heads from behind

    def _draw_door(self, img: np.ndarray, shot: Shot) -> None:
        if shot.walking:  # someone passes the door: a moving figure, no face to the camera
            x = 60 + (shot.t // 10) % 200
            cv2.ellipse(img, (x, 130), (18, 60), 0, 0, 360, SUIT[2], -1, cv2.LINE_AA)
            cv2.circle(img, (x, 60), 14, HAIR[1], -1, cv2.LINE_AA)

    def _draw_desk(self, img: np.ndarray, shot: Shot) -> None:
        shade = 80 + (shot.t // 10) % 5 * 25  # the screen's content changes as pages turn
        cv2.rectangle(img, (66, 66), (174, 134), (shade, shade + 20, shade + 30), -1)
        for row in range(5):
            cv2.line(
                img, (74, 76 + row * 12), (160 - (row * 13) % 40, 76 + row * 12), (30, 30, 30), 2
            )

    def _draw_above(self, img: np.ndarray, shot: Shot) -> None:
        for k in range(min(shot.persons, 8)):
            x = 60 + (k % 4) * 60
            y = 70 if k < 4 else 182
            _, hair, _ = self.looks[k]
            cv2.circle(img, (x, y), 9, hair, -1, cv2.LINE_AA)

    def _clock(self, img: np.ndarray, t: int) -> None:
        c = (30, 30)
        cv2.circle(img, c, 12, (240, 240, 240), -1)
        a = 2 * math.pi * ((t % 3600) / 3600.0)
        cv2.line(
            img, c, (int(c[0] + 10 * math.sin(a)), int(c[1] - 10 * math.cos(a))), (20, 20, 20), 1
        )

    def _bricks(self) -> np.ndarray:
        img = np.full((H, W, 3), (60, 70, 150), np.uint8)
        for r in range(0, H, 16):
            off = 0 if (r // 16) % 2 else 16
            cv2.line(img, (0, r), (W, r), (200, 200, 200), 2)
            for c in range(off, W, 32):
                cv2.line(img, (c, r), (c, r + 16), (200, 200, 200), 2)
        return img

    def _flicker(self, img: np.ndarray, t: int) -> np.ndarray:
        """Sensor noise: a live picture never repeats exactly (else it reads as frozen)."""
        return cv2.add(img, np.full_like(img, 2 + 2 * ((t // 10) % 3)))

    def _noise(self, img: np.ndarray, amp: int) -> np.ndarray:
        small = self.rng.integers(0, amp, (H // 8, W // 8, 3), dtype=np.uint8)
        return cv2.add(img, cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR))


def face(
    img: np.ndarray,
    cx: int,
    cy: int,
    r: int,
    skin: tuple[int, int, int],
    hair: tuple[int, int, int],
    suit: tuple[int, int, int],
) -> None:
    """A frontal head and shoulders the Haar frontal-face cascade finds at r >= 27."""
    cv2.ellipse(img, (cx, cy + int(r * 2.1)), (int(r * 1.2), int(r * 1.2)), 0, 180, 360, suit, -1)
    cv2.ellipse(img, (cx, cy), (int(r * 0.8), r), 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(
        img,
        (cx, cy - int(r * 0.55)),
        (int(r * 0.85), int(r * 0.5)),
        0,
        180,
        360,
        hair,
        -1,
        cv2.LINE_AA,
    )
    for s in (-1, 1):
        ex = cx + s * int(r * 0.33)
        cv2.line(
            img,
            (ex - int(r * 0.18), cy - int(r * 0.25)),
            (ex + int(r * 0.18), cy - int(r * 0.25)),
            (40, 40, 50),
            max(1, r // 10),
            cv2.LINE_AA,
        )
        cv2.ellipse(
            img,
            (ex, cy - int(r * 0.08)),
            (int(r * 0.16), int(r * 0.09)),
            0,
            0,
            360,
            (40, 35, 35),
            -1,
            cv2.LINE_AA,
        )
    cv2.line(
        img,
        (cx, cy - int(r * 0.05)),
        (cx, cy + int(r * 0.3)),
        (120, 140, 170),
        max(1, r // 12),
        cv2.LINE_AA,
    )
    cv2.ellipse(
        img,
        (cx, cy + int(r * 0.5)),
        (int(r * 0.28), int(r * 0.08)),
        0,
        0,
        360,
        (70, 70, 140),
        -1,
        cv2.LINE_AA,
    )
