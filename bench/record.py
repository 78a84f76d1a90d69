"""Witness records: how long one takes to make, piece by piece, beside reading the project.

A simulated run (default 8 projects, nothing downloaded) goes through every detector into
a fresh SQLite store; then for each project, in one run:

- baseline: `store.events(project)` (the project's own events, parsed: the least any
  record must read);
- read: `sources.from_store` (events, its rooms' frames, alerts, decisions, dead letters,
  chain head and a full chain verification);
- build: `gather.build` (timeline, camera coverage, sealing);
- pdf / html: layout and rendering (the first PDF also loads the font);
- make: `make_record` end to end (read + build + pdf + chaining the hash).

Target on 2 cores: a record in under 5 s for a simulated project (the recorder makes them
beside its loop, so ingest does not wait for them).

    .venv/bin/python bench/record.py [--projects N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import detectors  # noqa: E402
from witness.events import parse_event  # noqa: E402
from witness.record import make_record, render  # noqa: E402
from witness.record.compose import record_document  # noqa: E402
from witness.record.gather import build  # noqa: E402
from witness.record.sources import from_store  # noqa: E402
from witness.simulator import Simulation  # noqa: E402
from witness.store import Store  # noqa: E402


def _fill(store: Store, projects: int) -> list[str]:
    sim = Simulation(projects, seed=7)
    engine = detectors.Engine(detectors.all_detectors())
    batch, alerts = [], []
    for line in sim.lines():
        event = parse_event(line)
        out = engine.process(event)
        batch += [event, *out.sessions]
        alerts += out.alerts
        if len(batch) >= 5000:
            store.write(batch, alerts)
            batch, alerts = [], []
    store.write(batch, alerts)
    return [p.pid for p in sim.projects]


def _timed(fn):
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        t0 = time.perf_counter()
        pids = _fill(store, args.projects)
        print(f"store filled: {args.projects} projects in {time.perf_counter() - t0:.1f} s")
        rows: dict[str, list[float]] = {
            k: [] for k in ("baseline", "read", "build", "pdf", "html", "make")
        }
        sizes, events, pages = [], [], []
        for pid in pids:
            own, dt = _timed(lambda pid=pid: store.events(pid))
            rows["baseline"].append(dt)
            inp, dt = _timed(lambda pid=pid: from_store(store, pid))
            rows["read"].append(dt)
            events.append(len(inp.events))
            data, dt = _timed(lambda inp=inp: build(inp, "zh-CN"))
            rows["build"].append(dt)
            doc = record_document(data)
            pdf, dt = _timed(lambda doc=doc: render(doc, "pdf"))
            rows["pdf"].append(dt)
            pages.append(pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page"))
            _, dt = _timed(lambda doc=doc: render(doc, "html"))
            rows["html"].append(dt)
            (row, _new), dt = _timed(lambda pid=pid: make_record(store, pid))
            rows["make"].append(dt)
            sizes.append(row.size)
        store.close()
    print(
        f"per project: {statistics.median(events):.0f} events read (median, own + frames), "
        f"PDF {statistics.median(sizes) / 1024:.0f} KiB"
    )
    base = statistics.median(rows["baseline"])
    print(f"{'step':10} {'median s':>9} {'max s':>8} {'x baseline':>11}")
    for name, values in rows.items():
        med = statistics.median(values)
        print(f"{name:10} {med:9.3f} {max(values):8.3f} {med / base:11.1f}")
    worst = max(rows["make"])
    print(f"target: a record in < 5 s -> worst {worst:.2f} s {'OK' if worst < 5 else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
