"""Memory bench (issue 15 item 5): a worker's resident memory after 1 and 10 simulated
years, beside the same process before the first event (the baseline of this run).

What is measured: one `detectors.Engine` with every detector (per-project, video and
cross-project: what a detector worker and the cross-project worker hold between them,
so an upper bound for either process), fed year after year of a simulated trading
centre. A year is one simulated season (`--per-year` projects, frames included) moved
on by 365 days with new project and event ids; the firms and experts stay the same, as
they do in a real centre, so the cross-project rules (REL-RING's window of years, the
tallies) see a growing history. Archived projects leave memory as the live worker
makes them (detectors/released.py) into a SQLite file standing in for the store; the
document texts come from the store too (not kept in memory), as in the live worker.
No broker: ten years through Kafka would take hours on 2 cores; the state and the code
that folds it are the worker's own.

    .venv/bin/python bench/memory_years.py [--per-year 50] [--years 10] [--seed 3]

Prints resident memory (VmRSS after a full garbage collection), the engine's pickled
state, projects held in memory and projects released, after year 1 and after the last.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors import Context, Engine, all_detectors  # noqa: E402
from witness.events import GLOBAL_PROJECT, Event, parse_event  # noqa: E402
from witness.simulator import Simulation  # noqa: E402


class FileReleased:
    """Released projects in a SQLite file: out of the process, as the store keeps them."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("create table released (project text primary key, blob blob)")

    def put(self, project_id: str, blob: bytes) -> None:
        self.db.execute("insert or replace into released values (?, ?)", (project_id, blob))

    def get(self, project_id: str) -> bytes | None:
        row = self.db.execute(
            "select blob from released where project = ?", (project_id,)
        ).fetchone()
        return row[0] if row else None

    def history(self, project_id: str) -> list | None:
        return None

    def count(self) -> int:
        return self.db.execute("select count(*) from released").fetchone()[0]


def season(per_year: int, seed: int) -> list[Event]:
    return [parse_event(e) for e in Simulation(per_year, seed, frame_interval=60).events()]


def year_of(events: list[Event], year: int) -> list[Event]:
    """The season again, `year` years on, with its own project and event ids."""
    if year == 0:
        return events
    shift = timedelta(days=365 * year)
    out = []
    for e in events:
        pid = e.project_id if e.project_id == GLOBAL_PROJECT else f"{e.project_id}~{year}"
        out.append(
            e.model_copy(
                update={"ts": e.ts + shift, "project_id": pid, "event_id": f"{e.event_id}~{year}"}
            )
        )
    return out


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def state_parts(engine: Engine) -> dict[str, int]:
    """Pickled bytes of each part of the state (detector states by detector), so a figure
    that grows says what grows."""

    def size(obj) -> int:
        return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    parts: dict[str, int] = {}
    for (detector, _key), state in engine.states.items():
        parts[detector] = parts.get(detector, 0) + size(state)
    for name, obj in (
        ("corpus", engine.ctx.corpus),
        ("registry", engine.ctx.registry),
        ("seen ids", engine.seen),
        ("alert book", engine.book),
    ):
        parts[name] = size(obj)
    return parts


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--per-year", type=int, default=50, help="projects a simulated year")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    t0 = time.monotonic()
    base = season(args.per_year, args.seed)
    work = Path(tempfile.mkdtemp(prefix="witness-memory-"))
    released = FileReleased(work / "released.db")
    engine = Engine(all_detectors(), Context(), released=released)
    rows = [("before the first event", rss_mb(), 0, 0, 0, 0)]
    parts: list[dict[str, int]] = []
    folded = 0
    for year in range(args.years):
        for e in year_of(base, year):
            engine.process(e)
            folded += 1
        released.db.commit()
        if year in (0, args.years - 1):
            state = len(pickle.dumps(engine.export_state(), protocol=pickle.HIGHEST_PROTOCOL))
            held = len({pid for _, pid in engine.states})
            rows.append((f"after year {year + 1}", rss_mb(), state, held, released.count(), folded))
            parts.append(state_parts(engine))
        print(
            f"year {year + 1}: {folded} events folded ({time.monotonic() - t0:.0f} s)", flush=True
        )
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"{args.per_year} projects and {len(base)} events a simulated year; "
        f"bench {time.monotonic() - t0:.0f} s"
    )
    print(
        f"{'':24}{'RSS, MB':>9}{'state, MB':>11}{'projects held':>15}"
        f"{'released':>10}{'events folded':>15}"
    )
    for label, rss, state, held, gone, n in rows:
        print(f"{label:24}{rss:>9.0f}{state / 1e6:>11.1f}{held:>15}{gone:>10}{n:>15}")
    first, last = rows[1], rows[-1]
    print(
        f"year {args.years} / year 1: RSS {last[1] / first[1]:.2f}x, state "
        f"{last[2] / max(1, first[2]):.2f}x, for {last[5] / max(1, first[5]):.0f}x the events "
        f"(over the process before any event: +{first[1] - rows[0][1]:.0f} MB after year 1, "
        f"+{last[1] - rows[0][1]:.0f} MB after year {args.years})"
    )
    grew = sorted(parts[-1], key=lambda k: parts[0].get(k, 0) - parts[-1][k])[:4]
    print(
        f"largest growth of the state, year 1 -> year {args.years} (MB): "
        + ", ".join(f"{k} {parts[0].get(k, 0) / 1e6:.2f} -> {parts[-1][k] / 1e6:.2f}" for k in grew)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
