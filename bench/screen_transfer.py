"""The price score on synthetic markets it was never fitted on, beside the single screens.

    .venv/bin/python bench/screen_transfer.py [--draws 50] [--tenders 90] [--seed 7]

The README's transfer figures come from here. Markets are those of
`witness/simulator/bid_tables.py`, as in `tests/detectors/test_screen_transfer.py`
(tight, phony, all-tight and clustered cover bids; the cartel's share of tenders drawn in 0.15-0.75 per market). For each style it
prints, over the draws, the mean AUC and the share of draws below 0.6 of: the shipped
score on prices alone, the best single price screen of each draw (chosen with the label,
so a ceiling no unlabelled score is promised), CV alone, and the score with bidder ids,
where the ids either name a fixed cartel ("ids: cartel": 8 firms bid every rigged
tender) or say nothing ("ids: nothing": the same 48 firms everywhere, as with a period
label), and with those ids under `--score-model prices` ("nothing, prices").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.screening.batch import screen  # noqa: E402
from detectors.screening.features import directional_percentiles, tender_features  # noqa: E402
from detectors.screening.metrics import auc  # noqa: E402
from detectors.screening.score import CONSENSUS, variant_features  # noqa: E402
from detectors.screening.table import Columns, build_table  # noqa: E402
from witness.simulator.bid_tables import market, with_ids  # noqa: E402

STYLES = ("tight", "phony", "alltight", "clustered")
PRICE = Columns(tender="t", price="p")
IDS = Columns(tender="t", price="p", bidder="b")
PRICE_SCREENS = variant_features(CONSENSUS)
COLUMNS = ("score", "best single", "cv", "ids: cartel", "ids: nothing", "nothing, prices")
#: Printed width of a column.
WIDTH = 17


def _score(rows, labels, columns, model=None) -> float:
    res = screen(build_table(rows, columns), model=model)
    return auc([r["score"] for r in res.tenders], [labels[r["tender"]] for r in res.tenders])[0]


def one_market(style: str, seed: int, share: float, tenders: int) -> dict[str, float] | None:
    rows, labels = market(style, seed, tenders=tenders, share=share)
    if len(set(labels.values())) < 2:
        return None
    table = build_table(rows, PRICE)
    pct = directional_percentiles(tender_features(table), PRICE_SCREENS)
    y = [labels[t] for t in table.tenders]
    singles = {m: auc(list(pct[m]), y)[0] for m in PRICE_SCREENS}
    quiet = with_ids(rows, labels, seed, cartel_firms=False)
    return {
        "score": _score(rows, labels, PRICE),
        "best single": max(singles.values()),
        "cv": singles["cv"],
        "ids: cartel": _score(with_ids(rows, labels, seed, cartel_firms=True), labels, IDS),
        "ids: nothing": _score(quiet, labels, IDS),
        "nothing, prices": _score(quiet, labels, IDS, model="prices"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=50, help="markets per style (default 50)")
    ap.add_argument("--tenders", type=int, default=90, help="tenders per market (default 90)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the draws (default 7)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{args.draws} markets per style, {args.tenders} tenders each; mean AUC (share < 0.6)")
    print(f"{'style':10}" + "".join(f"{c:>{WIDTH}}" for c in COLUMNS))
    for style in STYLES:
        got = []
        for i in range(args.draws):
            seed, share = int(rng.integers(0, 10**6)), float(rng.uniform(0.15, 0.75))
            if (r := one_market(style, seed, share, args.tenders)) is not None:
                got.append(r)
            print(f"\r{style}: {i + 1}/{args.draws}", end="", file=sys.stderr, flush=True)
        print("\r", end="", file=sys.stderr)
        cells = []
        for c in COLUMNS:
            v = np.array([r[c] for r in got])
            cells.append(f"{v.mean():.3f} ({np.mean(v < 0.6):.0%})")
        print(f"{style:10}" + "".join(f"{c:>{WIDTH}}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
