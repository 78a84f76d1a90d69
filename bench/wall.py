"""Wall refresh cost: 36 tiles and 10,000 alerts vs an empty store, in the same run.

Measures (1) the page's data function `dashboards.queries.wall_data` and (2) a full
server-side rerun of the wall page under Streamlit's AppTest (queries + render, no
browser). Prints p50/p95 and the ratio to the baseline; the target is p95 <= 300 ms
for the data function. Figures are indicative on a shared machine; the ratio is the point.

    .venv/bin/python bench/wall.py [--alerts 10000] [--runs 30]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboards import queries  # noqa: E402
from witness.alerts import make_alert  # noqa: E402
from witness.events import make_event  # noqa: E402
from witness.store import Store, accounts  # noqa: E402

PROJECTS = [f"BENCH-{i}" for i in range(4)]
RULES = ["REL-40-6", "REL-40-1", "DOC-40-4", "EXP-DEV", "VID-OFFLINE", "PRICE-40-4"]


def _thumb(i: int) -> str:
    img = np.full((90, 160, 3), (i * 7) % 255, dtype=np.uint8)
    cv2.putText(img, str(i), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 2)
    return base64.b64encode(cv2.imencode(".jpg", img)[1].tobytes()).decode("ascii")


def populate(store: Store, n_alerts: int) -> None:
    """4 projects x 3 rooms x 3 cameras = 36 tiles, thumbnails, n_alerts alerts."""
    t0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    events = []
    for p in PROJECTS:
        rooms = [
            {
                "room_id": f"{p}-R{r}",
                "kind": "evaluation",
                "cameras": [f"{p}-R{r}-C{c}" for c in range(3)],
            }
            for r in range(3)
        ]
        events.append(make_event("project.registered", p, t0, {"name": p, "rooms": rooms}))
        events.append(
            make_event(
                "opening.started", p, t0 + timedelta(hours=1), {"room_id": rooms[0]["room_id"]}
            )
        )
        for r in rooms:
            for cam in r["cameras"]:
                events.append(
                    make_event(
                        "frame.analyzed",
                        "*",
                        t0 + timedelta(hours=2),
                        {
                            "camera_id": cam,
                            "room_id": r["room_id"],
                            "width": 160,
                            "height": 90,
                            "brightness": 100.0,
                            "sharpness": 40.0,
                            "motion": 0.1,
                            "scene_change": 0.0,
                            "persons": 3,
                            "faces": 2,
                            "thumbnail": _thumb(len(events)),
                        },
                    )
                )
    store.write(events)
    batch = []
    for i in range(n_alerts):
        p = PROJECTS[i % 4]
        rule_id = RULES[i % len(RULES)]
        batch.append(
            make_alert(
                rule_id,
                p,
                identity={"n": i},
                subjects=[f"{p}-B{i % 7}", f"{p}-B{(i + 1) % 7}"],
                evidence={"n": i, "bidders": [{"bidder_id": f"{p}-B{i % 7}"}]},
                event_ids=[],
                first_seen=t0 + timedelta(seconds=i),
                room_id=f"{p}-R{i % 3}" if rule_id.startswith("VID") else None,
            )
        )
        if len(batch) == 1000:
            store.write(alerts=batch)
            batch = []
    if batch:
        store.write(alerts=batch)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def time_data(store: Store, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        data = queries.wall_data(store, PROJECTS)
        out.append((time.perf_counter() - t) * 1000)
    assert data is not None
    return out


def time_apptest(url: str, runs: int) -> tuple[list[float], int]:
    from streamlit.testing.v1 import AppTest

    os.environ["WITNESS_DATABASE_URL"] = url
    store = Store(url)
    if accounts.get_account(store.engine, "bench") is None:
        accounts.BCRYPT_ROUNDS = 4
        accounts.add_user(store.engine, "bench", "bench-pw-1", "officer", projects=PROJECTS)
    store.close()
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60)
    at.session_state["username"] = "bench"  # signed in (the account is read from the store)
    at.run()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        out.append((time.perf_counter() - t) * 1000)
    assert not at.exception, at.exception
    return out, _pictures(at)


def _pictures(at) -> int:
    """Tiles that show a picture (tiles are HTML: an <img> with a data URL)."""
    n = 0

    def walk(node):
        nonlocal n
        body = getattr(getattr(node, "proto", None), "body", None)
        if isinstance(body, str) and 'class="wt-tile' in body and "<img" in body:
            n += 1
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--render-runs", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label, n in (
            ("baseline (empty store)", None),
            (f"36 tiles, {args.alerts} alerts", args.alerts),
        ):
            url = f"sqlite:///{tmp}/{'empty' if n is None else 'full'}.db"
            store = Store(url)
            t = time.perf_counter()
            if n is not None:
                populate(store, n)
            fill = time.perf_counter() - t
            data = time_data(store, args.runs)
            render, images = time_apptest(url, args.render_runs)
            tiles = sum(len(p.tiles) for p in queries.wall_data(store, PROJECTS).panels)
            results[label] = (data, render)
            print(
                f"{label:28} tiles={tiles:2} images={images:2} (filled in {fill:.1f}s)\n"
                f"  data  p50 {pct(data, 0.5):7.1f} ms  p95 {pct(data, 0.95):7.1f} ms\n"
                f"  page  p50 {pct(render, 0.5):7.1f} ms  p95 {pct(render, 0.95):7.1f} ms  (AppTest rerun: queries + render)"
            )
            store.close()
        (b_data, b_render), (f_data, f_render) = results.values()
        p95 = pct(f_data, 0.95)
        print(
            f"ratio vs baseline: data p95 x{p95 / max(pct(b_data, 0.95), 1e-6):.1f}, "
            f"page p95 x{pct(f_render, 0.95) / max(pct(b_render, 0.95), 1e-6):.1f}; "
            f"median data {statistics.median(f_data):.1f} ms"
        )
        print(f"target data p95 <= 300 ms: {'OK' if p95 <= 300 else 'MISSED'} ({p95:.1f} ms)")
        return 0 if p95 <= 300 else 1


if __name__ == "__main__":
    sys.exit(main())
