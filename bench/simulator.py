"""Bench: `witness simulate --projects 200` must finish in under 30 s.

Times the full CLI path (plan, render, write JSON Lines) for 200 projects in CPU seconds
and wall seconds. Baseline, measured in the same run: the 20-project default, so the
printed ratio (per project) shows whether cost grows linearly; on a shared 2-core
machine wall time is indicative, CPU time is the number to compare with the budget.

    .venv/bin/python bench/simulator.py [--projects 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from witness.simulator import Simulation  # noqa: E402

BUDGET_SECONDS = 30.0


def run(projects: int, seed: int, out: str) -> tuple[float, float, int, int]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    sim = Simulation(projects, seed)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for line in sim.lines():
            f.write(line)
            f.write("\n")
            n += 1
    return time.perf_counter() - wall0, time.process_time() - cpu0, n, os.path.getsize(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bw, bc, bn, bs = run(20, args.seed, f"{tmp}/base.jsonl")
        w, c, n, s = run(args.projects, args.seed, f"{tmp}/big.jsonl")
    print(f"baseline 20 projects: {bn} events, {bs / 1e6:.1f} MB, wall {bw:.1f} s, cpu {bc:.1f} s")
    print(f"{args.projects} projects: {n} events, {s / 1e6:.1f} MB, wall {w:.1f} s, cpu {c:.1f} s")
    ratio = (c / args.projects) / (bc / 20)
    print(f"cpu per project vs baseline: {ratio:.2f}x  (1.0 = linear)")
    ok = c < BUDGET_SECONDS
    print(
        f"budget {BUDGET_SECONDS:.0f} s (cpu): {'OK' if ok else 'OVER'}"
        + (
            ""
            if w < BUDGET_SECONDS
            else f"  (wall {w:.0f} s: machine busy, load {os.getloadavg()[0]:.1f})"
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
