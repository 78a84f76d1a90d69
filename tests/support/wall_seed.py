"""A seeded store for the wall tests: projects in every phase, alerts, frames, accounts."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import cv2
import numpy as np
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from detectors.offline import run_detectors
from witness.alerts import make_alert
from witness.events import make_event
from witness.store import accounts

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PASSWORD = "pw-123456"
#: username -> (role, projects)
USERS = {
    "li": ("officer", ["P1", "P2"]),
    "zhao": ("officer", ["P3"]),
    "audit": ("auditor", []),
    "opsy": ("ops", []),
    "root": ("admin", []),
}
NAMES = {"A": "甲建设公司", "B": "乙工程公司", "C": "丙路桥公司"}
PRICES = {"A": 1000.0, "B": 1010.0, "C": 1020.0}
#: Price offsets per project, so no two projects share a bid price (a leak test must be
#: able to tell whose price it found).
PRICE_OFFSET = {"P1": 0.0, "P2": 7.0, "P3": 3.0}


def bidder_name(pid: str, b: str) -> str:
    """P1's bidders carry NAMES; other projects' names are their own ('甲P2建设公司')."""
    return NAMES[b] if pid == "P1" else f"{NAMES[b][0]}{pid}{NAMES[b][1:]}"


def bid_price(pid: str, b: str) -> float:
    return PRICES[b] + PRICE_OFFSET.get(pid, 0.0)


def thumbnail(shade: int = 120) -> str:
    img = np.full((36, 64, 3), shade, dtype=np.uint8)
    cv2.rectangle(img, (10, 8), (40, 28), (0, 0, 255), -1)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return base64.b64encode(buf.tobytes()).decode("ascii")


def project_events(pid: str, day: int, *, opened: bool, rooms: list[tuple[str, list[str]]]):
    ts = f"2026-11-{day:02d}T"
    evs = [
        make_event(
            "project.registered",
            pid,
            ts + "08:00:00+08:00",
            {
                "name": f"道路工程{pid}",
                "rooms": [
                    {"room_id": r, "kind": "evaluation", "cameras": cams} for r, cams in rooms
                ],
            },
        )
    ]
    for i, b in enumerate("ABC"):
        evs.append(
            make_event(
                "bid.submitted",
                pid,
                ts + f"09:0{i}:00+08:00",
                {
                    "bidder": {"id": f"{pid}-{b}", "name": bidder_name(pid, b)},
                    "price": bid_price(pid, b),
                    "bond": {"payer_account": f"ACC-{pid}"},
                },
            )
        )
    if opened:
        evs.append(
            make_event("opening.started", pid, ts + "10:00:00+08:00", {"room_id": rooms[0][0]})
        )
        for i, b in enumerate("ABC"):
            evs.append(
                make_event(
                    "bid.opened",
                    pid,
                    ts + f"10:0{i + 1}:00+08:00",
                    {"bidder_id": f"{pid}-{b}", "price": bid_price(pid, b)},
                )
            )
        for x in ("E1", "E2", "E3"):
            for b in "ABC":
                score = 90.0 if (x, b) == ("E3", "A") else 60.0
                evs.append(
                    make_event(
                        "score.submitted",
                        pid,
                        ts + "11:00:00+08:00",
                        {
                            "expert_id": x,
                            "bidder_id": f"{pid}-{b}",
                            "item_id": "tech",
                            "kind": "subjective",
                            "score": score,
                            "max_score": 100,
                        },
                    )
                )
    return evs


def frame_event(room: str, cam: str, ts: str, shade: int = 120, thumb: str | None = None):
    return make_event(
        "frame.analyzed",
        "*",
        ts,
        {
            "camera_id": cam,
            "room_id": room,
            "width": 64,
            "height": 36,
            "brightness": float(shade),
            "sharpness": 50.0,
            "motion": 0.1,
            "scene_change": 0.0,
            "persons": 3,
            "faces": 2,
            "thumbnail": thumb or thumbnail(shade),
        },
        event_id=f"frame-{room}-{cam}-{ts}",
    )


def doc_alert(pid: str):
    """A DOC-40-4 alert in the evidence shape detectors/documents.py writes."""
    return make_alert(
        "DOC-40-4",
        pid,
        identity={"bidders": [f"{pid}-A", f"{pid}-B"]},
        subjects=[f"{pid}-A", f"{pid}-B"],
        evidence={
            "bidders": [f"{pid}-A", f"{pid}-B"],
            "similarity": 0.93,
            "documents": [
                {
                    "doc_a": "DA",
                    "doc_b": "DB",
                    "bidder_a": f"{pid}-A",
                    "bidder_b": f"{pid}-B",
                    "similarity": 0.93,
                    "passages": [
                        {
                            "chars": 8,
                            "a": {"start": 0, "end": 8},
                            "b": {"start": 2, "end": 10},
                            "text": "混凝土浇筑养护",
                        },
                    ],
                }
            ],
        },
        event_ids=[],
        first_seen=make_event("project.archived", pid, "2026-11-20T12:00:00+08:00", {}).ts,
        room_id=None,
    )


def seed(store, *, users: bool = True) -> dict[str, str]:
    """P1 opened (alerts visible), P2 sealed (not opened), P3 opened, unassigned to li."""
    evs = (
        project_events("P1", 20, opened=True, rooms=[("R1", ["C1", "C2"]), ("R2", ["C3"])])
        + project_events("P2", 21, opened=False, rooms=[("R3", ["C4"])])
        + project_events("P3", 22, opened=True, rooms=[("R4", ["C5"])])
    )
    frames = [
        frame_event("R1", "C1", "2026-11-20T10:30:00+08:00", 90),
        frame_event("R2", "C3", "2026-11-20T10:30:00+08:00", 160),
    ]
    alerts = run_detectors(evs + frames, every_version=True)
    alerts.append(doc_alert("P1"))
    store.write(evs + frames, alerts)
    if users:
        accounts.BCRYPT_ROUNDS = 4
        for name, (role, projects) in USERS.items():
            accounts.add_user(store.engine, name, PASSWORD, role, projects=projects)
    return {a.project_id + ":" + a.rule: a.alert_id for a in store.alert_models()}


DATA_URL = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")
#: A Markdown escape of an ASCII punctuation mark, however many backslashes carry it.
MARKDOWN_ESCAPE = re.compile(r"\\+([!-/:-@\[-`{-~])")


def as_read(markdown: str) -> str:
    """A Markdown label or body as a person reads it: escaped punctuation as itself, and
    no invisible word joiners (they keep URLs from being linked)."""
    return MARKDOWN_ESCAPE.sub(r"\1", markdown).replace("\u2060", "")


def text_of(at: AppTest) -> str:
    """Everything the page shows, as text (protos for elements, frames for tables)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(text_format.MessageToString(proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    out += [df.value.to_string() for df in at.dataframe]
    # Thumbnails travel as data URLs; their base64 is picture, not text a person reads.
    text = DATA_URL.sub("data:image", "\n".join(out))
    # Markdown shows '\.' as '.' (and the proto text doubles the backslash): read what a
    # person reads, or a canary written with an escaped '-' or '.' would go unseen.
    return as_read(text)


def login(user: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    return at.run()


# ---------------------------------------------------------------- an officer's day: 4 × 9 tiles

DAY_PROJECTS = ["D1", "D2", "D3", "D4"]


def day_rooms(pid: str) -> list[dict]:
    """An opening room with 4 cameras and an evaluation room with 5: nine tiles."""
    return [
        {
            "room_id": f"{pid}-KB",
            "kind": "opening",
            "cameras": [f"{pid}-KB-C{i}" for i in range(1, 5)],
        },
        {
            "room_id": f"{pid}-PB",
            "kind": "evaluation",
            "cameras": [f"{pid}-PB-C{i}" for i in range(1, 6)],
        },
    ]


def seed_day(store, now, *, users: bool = True, picture=None) -> None:
    """Four live projects (evaluation under way, bids opened) with frames on every camera.

    `now` is the wall's now (aware); frames are a few seconds old, so the tiles read live.
    `picture(room, camera, i)` may supply the thumbnail (base64 JPEG).
    """
    from datetime import timedelta

    events = []
    for k, pid in enumerate(DAY_PROJECTS):
        rooms = day_rooms(pid)
        t0 = now - timedelta(hours=2)
        events.append(
            make_event(
                "project.registered",
                pid,
                t0,
                {"name": f"第{k + 1}标段道路工程", "currency": "CNY", "rooms": rooms},
            )
        )
        for i, b in enumerate("ABC"):
            events.append(
                make_event(
                    "bid.submitted",
                    pid,
                    t0 + timedelta(minutes=5 + i),
                    {
                        "bidder": {"id": f"{pid}-{b}", "name": bidder_name(pid, b)},
                        "price": PRICES[b] * 1000,
                        "bond": {"payer_account": f"ACC-{pid}"},
                    },
                )
            )
        events.append(
            make_event("opening.started", pid, t0 + timedelta(minutes=30), {"room_id": f"{pid}-KB"})
        )
        # the opening room's cameras are watched while the opening runs (a dark camera
        # through a whole opening is VID-OFFLINE, rightly)
        kb = rooms[0]
        for step in range(0, 20 * 60 + 1, 30):
            for i, cam in enumerate(kb["cameras"]):
                ts = t0 + timedelta(minutes=30, seconds=step + i)
                events.append(frame_event(kb["room_id"], cam, ts.isoformat(), 120, thumbnail(60)))
        events.append(
            make_event("opening.closed", pid, t0 + timedelta(minutes=50), {"room_id": f"{pid}-KB"})
        )
        for x in range(5):
            events.append(
                make_event(
                    "expert.assigned",
                    pid,
                    t0 + timedelta(minutes=55 + x),
                    {
                        "expert": {"id": f"{pid}-E{x + 1}", "name": f"专家{x + 1}"},
                        "room_id": f"{pid}-PB",
                    },
                )
            )
        events.append(
            make_event(
                "evaluation.started",
                pid,
                t0 + timedelta(minutes=70),
                {"room_id": f"{pid}-PB", "planned_minutes": 120},
            )
        )
        events.append(
            make_event(
                "room.session",
                pid,
                t0 + timedelta(minutes=70),
                {
                    "room_id": f"{pid}-PB",
                    "project_id": pid,
                    "kind": "evaluation",
                    "state": "under_way",
                    "roster": [f"{pid}-E{x + 1}" for x in range(5)],
                    "since": (t0 + timedelta(minutes=70)).isoformat(),
                },
            )
        )
        for r in rooms:
            for i, cam in enumerate(r["cameras"]):
                ts = now - timedelta(seconds=3 + i)
                thumb = picture(r["room_id"], cam, i) if picture else thumbnail(60 + 25 * i)
                events.append(frame_event(r["room_id"], cam, ts.isoformat(), 120, thumb))
    alerts = run_detectors(events, every_version=True)
    store.write(events, alerts)
    if users:
        accounts.BCRYPT_ROUNDS = 4
        accounts.add_user(store.engine, "wang", PASSWORD, "officer", projects=DAY_PROJECTS)


def painted_thumbnail(room: str, camera: str, i: int = 0, persons: int = 5) -> str:
    """A tile's picture as the demo's cameras show it: the footage painter's frame, made
    into a thumbnail by the camera agent's own function."""
    from streams.frame_analysis import thumbnail as agent_thumbnail
    from witness.simulator import footage

    frame = footage.Painter(room, camera).frame(footage.Shot(600 + 10 * i, persons))
    return agent_thumbnail(frame)


def html_bodies(at: AppTest) -> list[str]:
    """The HTML blocks the page rendered (tiles and panel headers are HTML)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        body = getattr(proto, "body", None) if proto is not None else None
        if type(node).__name__ == "Html" or (isinstance(body, str) and body.startswith("<div")):
            out.append(body)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return [b for b in out if isinstance(b, str)]


PANEL_HEAD = re.compile(r'<div class="wt-head" data-project="([^"]+)"><b>([^<]*)</b> ([^<]*)')
TILE = re.compile(r'<div class="wt-tile wt-(hot|live|idle)" data-tile="([^"]+)">(<img)?')


def panel_titles(at: AppTest) -> list[str]:
    """'P1 道路工程P1' for each project panel on the wall, in order."""
    return [
        f"{m.group(2)} {m.group(3).strip()}"
        for body in html_bodies(at)
        if (m := PANEL_HEAD.search(body))
    ]


def tiles(at: AppTest) -> dict[str, tuple[str, bool]]:
    """project/room/camera -> (activity, has a picture) for every tile on the wall."""
    return {
        m.group(2): (m.group(1), bool(m.group(3)))
        for body in html_bodies(at)
        if (m := TILE.search(body))
    }
