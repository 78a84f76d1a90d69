"""BOQ rules: 20 bidders x 5,000 items, all six rules, beside baselines from the same run.

Bills (generated, deterministic, nothing downloaded: witness/simulator/bill_pricing.py): one
5,000-item works with components, its control bill, and 20 bills: 11 honest, a copied
file (BOQ-SAME), a scaled one (BOQ-RATIO), a re-weighted one (BOQ-MIX), two sharing an
edited skeleton (BOQ-ERROR), three unbalancing the same items (BOQ-UNBAL), and two of
the honest ones sharing a lock number (BOQ-LOCK). Measured, best of `--repeat`:

1. parse: the 21 `boq.submitted` events from their JSON bytes through the contract
   (pydantic), as the worker reads them; baseline: `json.loads` of the same bytes;
2. judge: `Engine([BoqDetector()])` folding the 21 bills and `opening.started`, which
   judges every rule over all 190 pairs with evidence; baseline: one plain-Python
   BOQ-SAME over the same 190 pairs (dicts of code -> price, no fixed or public items);
3. a late bill after the opening: re-judges the whole project.

Target on 2 cores: the six rules (judge) <= 5 s, every planted rule found, no honest pair
named; parse + judge is printed beside it. Wall and CPU seconds are both printed: when
other work shares the two cores, CPU time is the figure to compare.

    .venv/bin/python bench/boq.py              # 5,000 items
    .venv/bin/python bench/boq.py --items 1000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.base import Context  # noqa: E402
from detectors.boq import BoqDetector  # noqa: E402
from detectors.engine import Engine  # noqa: E402
from witness.events import make_event, parse_event  # noqa: E402
from witness.simulator import bill_pricing as sb  # noqa: E402

PROJECT = "JY-2026-BENCH"
TARGET_SECONDS = 5.0
PLANTED = {
    "BOQ-SAME": ["C1", "C2"],
    "BOQ-RATIO": ["C1", "R1"],
    "BOQ-MIX": ["C1", "M1"],
    "BOQ-ERROR": ["E1", "E2"],
    "BOQ-LOCK": ["H01", "H02"],
    "BOQ-UNBAL": ["U1", "U2", "U3"],
}


def bills(items: int, seed: int = 7) -> tuple[list[dict], dict[str, list[dict]], dict]:
    rng = random.Random(seed)
    w = sb.make_works(rng, items)
    tender = sb.control_bill(w)
    out: dict[str, list[dict]] = {}
    for i in range(1, 12):
        out[f"H{i:02d}"] = sb.bill(w, sb.own_pricing(rng))
    master = sb.bill(w, sb.own_pricing(rng))
    out["C1"] = master
    out["C2"] = sb.copied(rng, master, 0.1)
    out["R1"] = sb.scaled(master, 0.937)
    out["M1"] = sb.remixed(rng, master)
    edited, _, units = sb.skeleton_slips(rng, w, 3)
    out["E1"] = sb.apply_units(sb.bill(edited, sb.own_pricing(rng)), units)
    out["E2"] = sb.apply_units(sb.bill(edited, sb.own_pricing(rng)), units)
    plan = sb.unbalance_plan(rng, w, 12)
    for name in ("U1", "U2", "U3"):
        lines = sb.bill(w, sb.own_pricing(rng))
        sb.unbalanced(rng, lines, plan)
        out[name] = lines
    software = {name: sb.software(rng) for name in out}
    software["H02"] = {**software["H02"], "lock_id": software["H01"]["lock_id"]}
    return tender, out, software


def raw_events(tender, by_bidder, software) -> list[bytes]:
    evs = [
        make_event(
            "boq.submitted",
            PROJECT,
            "2026-09-01T09:00:00+08:00",
            {"bidder_id": "tender", "doc_id": "T", "items": tender},
        )
    ]
    for n, (b, lines) in enumerate(by_bidder.items(), 1):
        evs.append(
            make_event(
                "boq.submitted",
                PROJECT,
                f"2026-09-01T09:{n:02d}:00+08:00",
                {"bidder_id": b, "doc_id": f"D-{b}", "software": software[b], "items": lines},
            )
        )
    return [e.to_bytes() for e in evs]


def plain_same(by_bidder: dict[str, list[dict]]) -> int:
    """Baseline: BOQ-SAME written plainly (dicts, one loop per pair)."""
    prices = {b: {ln["code"]: ln["unit_price"] for ln in lines} for b, lines in by_bidder.items()}
    fired = 0
    for a, b in combinations(sorted(prices), 2):
        pa, pb = prices[a], prices[b]
        both = [c for c in pa if c in pb and pa[c] and pb[c]]
        same = sum(1 for c in both if abs(pa[c] - pb[c]) < 0.005)
        fired += bool(both) and same >= 0.8 * len(both)
    return fired


def best(fn, repeat: int):
    """(wall seconds, CPU seconds, result), best of `repeat` (the machine is shared)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=5000, help="items per bill (default 5,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure, best kept")
    args = ap.parse_args()

    tender, by_bidder, software = bills(args.items)
    raw = raw_events(tender, by_bidder, software)
    mb = sum(len(r) for r in raw) / 2**20
    opening = make_event(
        "opening.started", PROJECT, "2026-09-01T10:00:00+08:00", {"room_id": "KB-101"}
    )
    print(
        f"{len(by_bidder)} bidders x {args.items:,} items + control bill: "
        f"{len(raw)} events, {mb:.1f} MiB of JSON"
    )

    t_json, c_json, _ = best(lambda: [json.loads(r) for r in raw], args.repeat)
    t_parse, c_parse, events = best(lambda: [parse_event(r) for r in raw], args.repeat)
    print(
        f"parse  {t_parse:6.2f} s wall {c_parse:6.2f} s CPU  (baseline json.loads "
        f"{t_json:.2f} s wall {c_json:.2f} s CPU: {c_parse / c_json:.1f} x)"
    )

    def judge():
        engine = Engine([BoqDetector()], Context())
        for e in events:
            engine.process(e)
        engine.process(opening)
        return engine

    t_judge, c_judge, engine = best(judge, args.repeat)
    t_plain, c_plain, _ = best(lambda: plain_same(by_bidder), args.repeat)
    print(
        f"judge  {t_judge:6.2f} s wall {c_judge:6.2f} s CPU  six rules, 190 pairs, evidence "
        f"(baseline plain-Python BOQ-SAME alone {t_plain:.2f} s wall {c_plain:.2f} s CPU: "
        f"{c_judge / c_plain:.1f} x)"
    )

    late = make_event(
        "boq.submitted",
        PROJECT,
        "2026-09-01T11:00:00+08:00",
        {"bidder_id": "LATE", "doc_id": "D-LATE", "items": by_bidder["H03"]},
    )
    t_late, c_late, _ = best(lambda: engine.process(late), 1)
    print(
        f"late   {t_late:6.2f} s wall {c_late:6.2f} s CPU  one bill after the opening "
        "re-judges all 21"
    )

    alerts = [a for a in engine.alerts() if "LATE" not in a.subjects]
    counts = Counter(a.rule for a in alerts)
    found = {
        r: any(set(s) <= set(a.subjects) for a in alerts if a.rule == r) for r, s in PLANTED.items()
    }
    planted_names = {b for s in PLANTED.values() for b in s} | {"R1", "M1", "C2"}
    honest_named = sorted(
        {
            tuple(a.subjects)
            for a in alerts
            if a.rule != "BOQ-LOCK" and not set(a.subjects) <= planted_names
        }
    )
    print("alerts: " + ", ".join(f"{r} {counts[r]}" for r in sorted(counts)))
    print("planted found: " + ", ".join(f"{r} {'yes' if ok else 'NO'}" for r, ok in found.items()))
    if honest_named:
        print(f"honest bidders named: {honest_named}")
    # Wall time on an idle machine; CPU time when other work shares the two cores.
    rules = min(t_judge, c_judge)
    total = min(t_parse + t_judge, c_parse + c_judge)
    ok = all(found.values()) and not honest_named
    ok = ok and (args.items != 5000 or rules <= TARGET_SECONDS)
    print(
        f"six rules {rules:.2f} s, with parsing {total:.2f} s "
        f"(target: the rules <= {TARGET_SECONDS:g} s at 5,000 items)"
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
