"""A project for the record tests, recorded into a store through the real engine.

`project_events(stage)` builds one project up to `stage`:
- "bidding": registered, three bids paid from one account (REL-40-6, sealed), no opening;
- "archived": the whole lifecycle: opening, read-out, a committee, scores with a wrong
  total in the report (EVAL-TOTAL), camera C2 silent for five minutes during the
  evaluation (VID-OFFLINE), evaluation finished, archived.

Fixtures of the witness-record tests.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import detectors
from witness.events import Event, make_event

CST = timezone(timedelta(hours=8))
PID = "JY-2026-0777"
NAME = "滨江路&综合管廊<一期>工程"
BIDDERS = {
    "91320100MA1XAAAA1A": ("甲建设集团有限公司", 9_876_543.21),
    "91320100MA1XBBBB2B": ("乙工程有限公司", 9_912_345.00),
    "91320100MA1XCCCC3C": ("丙路桥股份有限公司", 10_023_456.78),
}
EXPERTS = {"ZJ001": "王评审", "ZJ002": "李评审", "ZJ003": "赵评审"}
ITEMS = {"tech": 60.0, "service": 20.0}
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CST)


def need(what: str) -> None:
    """Skip locally, fail in CI (as tests/conftest.py `unavailable`)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} not available")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ev(type_: str, minutes: float, payload: dict, pid: str = PID) -> Event:
    return make_event(type_, pid, at(minutes), payload, event_id=f"{pid}-{type_}-{minutes}")


def frame(room: str, cam: str, minutes: float) -> Event:
    return make_event(
        "frame.analyzed",
        "*",
        at(minutes),
        {
            "camera_id": cam,
            "room_id": room,
            "width": 640,
            "height": 360,
            "brightness": 120.0,
            "sharpness": 80.0,
            "motion": 0.05,
            "scene_change": 0.0,
            "persons": 3,
            "faces": 3,
        },
        event_id=f"f-{room}-{cam}-{minutes:.3f}",
    )


def score_value(expert: str, bidder: str, item: str) -> float:
    base = {"91320100MA1XAAAA1A": 50.0, "91320100MA1XBBBB2B": 46.0, "91320100MA1XCCCC3C": 40.0}
    k = sorted(EXPERTS).index(expert)
    return base[bidder] * ITEMS[item] / 60 + k * 0.5


def project_events(stage: str = "archived") -> list[Event]:
    rooms = [
        {"room_id": "KB-1", "kind": "opening", "cameras": ["KB-1-C1"]},
        {"room_id": "PB-1", "kind": "evaluation", "cameras": ["PB-1-C1", "PB-1-C2"]},
    ]
    evs = [
        ev(
            "project.registered",
            -30 * 24 * 60,
            {
                "name": NAME,
                "category": "工程",
                "ceiling_price": 12_000_000,
                "currency": "CNY",
                "bid_deadline": at(0).isoformat(),
                "opening_at": at(0).isoformat(),
                "evaluation_method": "综合评分法",
                "rooms": rooms,
                "tenderer": "滨江城投集团",
            },
        )
    ]
    for i, (bid, (name, price)) in enumerate(BIDDERS.items()):
        evs.append(
            ev(
                "bid.submitted",
                -600 + i * 10,
                {
                    "bidder": {"id": bid, "name": name},
                    "price": price,
                    "bond": {"payer_account": "6222-0000-1111", "payer_name": "某代理人"},
                },
            )
        )
    if stage == "bidding":
        return evs
    evs.append(ev("opening.started", 2, {"room_id": "KB-1"}))
    evs += [frame("KB-1", "KB-1-C1", 2 + m * 0.5) for m in range(0, 40)]
    for i, (bid, (_, price)) in enumerate(BIDDERS.items()):
        evs.append(ev("bid.opened", 5 + i, {"bidder_id": bid, "price": price}))
    evs.append(ev("opening.closed", 21, {"room_id": "KB-1"}))
    for i, (eid, name) in enumerate(EXPERTS.items()):
        evs.append(
            ev(
                "expert.assigned",
                25 + i * 0.1,
                {"expert": {"id": eid, "name": name, "specialty": "市政"}, "room_id": "PB-1"},
            )
        )
    evs.append(ev("evaluation.started", 30, {"room_id": "PB-1", "planned_minutes": 60}))
    for cam in ("PB-1-C1", "PB-1-C2"):
        for k in range(0, 6 * 50 + 1):  # every 10 s for 50 minutes
            m = 30 + k / 6
            if cam == "PB-1-C2" and 40 <= m < 45:
                continue  # C2 silent for five minutes
            evs.append(frame("PB-1", cam, m))
    n = 0
    for eid in EXPERTS:
        for bid in BIDDERS:
            for item, mx in ITEMS.items():
                n += 1
                evs.append(
                    ev(
                        "score.submitted",
                        40 + n * 0.05,
                        {
                            "expert_id": eid,
                            "bidder_id": bid,
                            "item_id": item,
                            "kind": "subjective",
                            "score": score_value(eid, bid, item),
                            "max_score": mx,
                        },
                    )
                )
    ranking = []
    for r, bid in enumerate(BIDDERS, start=1):
        total = sum(score_value(e, bid, i) for e in EXPERTS for i in ITEMS) / len(EXPERTS)
        if r == 2:
            total += 3.0  # the report adds three points to the runner-up
        ranking.append({"bidder_id": bid, "total": round(total, 2), "rank": r})
    evs.append(ev("evaluation.finished", 80, {"room_id": "PB-1", "ranking": ranking}))
    evs.sort(key=lambda e: e.ts)
    if stage == "archived":
        evs.append(ev("project.archived", 24 * 60, {}))
    return evs


def record_into(store, events: list[Event]) -> list:
    """Fold events through every detector and write events, sessions and alerts."""
    eng = detectors.Engine(detectors.all_detectors())
    batch, alerts = [], []
    for e in events:
        out = eng.process(e)
        batch.append(e)
        batch.extend(out.sessions)
        alerts.extend(out.alerts)
    store.write(batch, alerts)
    return alerts


def pdf_text(data: bytes) -> str:
    """All pages' text, whitespace removed (table cells wrap anywhere)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(p.extract_text().split()) for p in reader.pages)


def squash(s: str) -> str:
    return "".join(s.split())


def render_page_png(pdf: Path, out_prefix: Path, dpi: int = 60) -> Path:
    """Page 1 as PNG through poppler's pdftoppm (skips locally, fails in CI without it)."""
    if shutil.which("pdftoppm") is None:
        need("pdftoppm (Debian package poppler-utils)")
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", str(dpi), "-png", str(pdf), str(out_prefix)],
        check=True,
        timeout=60,
    )
    pngs = sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))
    assert pngs, "pdftoppm wrote no page"
    return pngs[0]


def ink_share(png: Path) -> float:
    """Share of pixels that are not (near) white."""
    from PIL import Image

    img = Image.open(png).convert("L")
    hist = img.histogram()
    total = sum(hist)
    return sum(hist[:200]) / total


@pytest.fixture
def archived_store(store):
    """The archived project recorded into a fresh store (SQLite and PostgreSQL)."""
    record_into(store, project_events("archived"))
    return store


@pytest.fixture
def bidding_store(store):
    """The project before its opening: bids in, one sealed alert."""
    record_into(store, project_events("bidding"))
    return store
