"""Batch screens over a historical bid table (`witness screen`).

Reads one row per bid (tender, bidder, price, optional winner), and writes
- one row per tender: the price screens of `detectors.price_screens` (the same
  functions the live PRICE-* rules use), the rule ids that would fire, and a score;
- one row per bidder group that bid together in enough tenders: the co-bidding and
  win-rotation analysis of REL-RING (`detectors.rings.RingIndex`, same search as live).

Score (0-1, higher = more suspicious): the mean, over the screens defined for the
tender, of its percentile rank *within this file* on CV, SPD, SKEW (lower is more
suspicious) and DIFFP, RD, KURT (higher is more suspicious). The directions are the
ones the screens literature reports for bid rigging (Imhof 2017; Huber & Imhof 2019);
nothing is fitted to any labelled data. It ranks tenders for a closer look; it is not a
probability. Tenders with fewer than two bids get no score.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from detectors.price_screens import Screens, identical_prices, imhof_flag, regularity, screens
from detectors.rings import RingIndex, RingStats, RingThresholds, Tender
from witness.config import Thresholds

SCREEN_COLUMNS = ("cv", "spd", "diffp", "rd", "kurt", "skew", "ks")
TENDER_COLUMNS = ("tender", "n_bids", *SCREEN_COLUMNS, "flags", "score")
GROUP_COLUMNS = (
    "group",
    "size",
    "shared_tenders",
    "group_wins",
    "distinct_winners",
    "group_win_share",
    "rotation",
    "wins",
    "tenders",
    "flags",
)
#: Screen -> +1 if a higher value is more suspicious, -1 if a lower one is.
DIRECTIONS = {"cv": -1, "spd": -1, "skew": -1, "diffp": 1, "rd": 1, "kurt": 1}
_TRUE = {"1", "true", "yes", "y", "t", "won", "winner"}
#: Files larger than this get a progress bar on stderr.
PROGRESS_BYTES = 1_000_000


class ColumnError(ValueError):
    """A column the user named is not in the file."""

    def __init__(self, column: str, option: str, file: str, columns: Sequence[str]) -> None:
        self.column, self.option, self.file = column, option, file
        self.columns = ", ".join(columns[:40]) + (" ..." if len(columns) > 40 else "")
        super().__init__(
            f"column {column!r} ({option}) is not in {file}; its columns are: {self.columns}"
        )


@dataclass
class TenderBids:
    tender: str
    bids: dict[str, float] = field(default_factory=dict)
    winner: str | None = None
    label: str | None = None


@dataclass
class ReadResult:
    tenders: dict[str, TenderBids]
    rows: int = 0
    skipped_empty: int = 0
    skipped_bad: int = 0


@dataclass
class ScreenResult:
    tenders: list[dict]
    groups: list[dict]
    read: ReadResult


def _progress(iterable: Iterable, *, enabled: bool, desc: str, total: int | None = None):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=" rows", leave=False, mininterval=0.5)


def read_bids(
    path: str | Path,
    *,
    tender: str,
    bidder: str,
    price: str,
    winner: str | None = None,
    label: str | None = None,
    progress: bool | None = None,
) -> ReadResult:
    """Read the bid table; rows with an empty or non-numeric/non-positive price are skipped.

    `winner` may be a 0/1 (true/false) flag per row or the winning bidder's id; without it
    the lowest bid is taken as the winner (lowest-price award). `label` is an optional
    0/1 column per tender (e.g. known cartel cases) kept only to compute AUCs.
    """
    path = Path(path)
    if progress is None:
        progress = path.stat().st_size > PROGRESS_BYTES
    out = ReadResult(tenders={})
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        for option, col in (
            ("--tender", tender),
            ("--bidder", bidder),
            ("--price", price),
            ("--winner", winner),
            ("--label", label),
        ):
            if col is not None and col not in columns:
                raise ColumnError(col, option, path.name, columns)
        for row in _progress(reader, enabled=progress, desc=f"reading {path.name}"):
            out.rows += 1
            tid = (row[tender] or "").strip()
            bid_by = (row[bidder] or "").strip()
            raw = (row[price] or "").strip().replace(",", "")
            if not tid:
                out.skipped_empty += 1
                continue
            t = out.tenders.setdefault(tid, TenderBids(tid))  # a tender with no valid bid stays
            if label is not None:
                t.label = (row[label] or "").strip() or t.label
            if not raw or not bid_by:
                out.skipped_empty += 1
                continue
            try:
                value = float(raw)
            except ValueError:
                out.skipped_bad += 1
                continue
            if not math.isfinite(value) or value <= 0:
                out.skipped_bad += 1
                continue
            t.bids[bid_by] = min(value, t.bids.get(bid_by, math.inf))
            if winner is not None:
                w = (row[winner] or "").strip()
                if w.lower() in _TRUE or w == bid_by:
                    t.winner = bid_by
                elif w and w.lower() not in {"0", "false", "no", "n", "f"} and t.winner is None:
                    t.winner = w  # a column that names the winner
    for t in out.tenders.values():
        if winner is None and t.bids:
            t.winner = min(t.bids, key=lambda b: (t.bids[b], b))
    return out


def percentile_scores(values: Sequence[Screens]) -> list[float | None]:
    """Mean directional percentile rank per tender (see the module docstring)."""
    n = len(values)
    sums = np.zeros(n)
    counts = np.zeros(n)
    for name, sign in DIRECTIONS.items():
        idx = [i for i, s in enumerate(values) if getattr(s, name) is not None]
        if not idx:
            continue
        x = np.array([sign * getattr(values[i], name) for i in idx])
        pct = rankdata(x, method="average") / len(x)
        sums[idx] += pct
        counts[idx] += 1
    return [float(sums[i] / counts[i]) if counts[i] else None for i in range(n)]


def tender_flags(t: TenderBids, s: Screens, th: Thresholds) -> list[str]:
    flags = []
    sec = th.section("PRICE-40-4")
    reg = regularity(
        list(t.bids.values()),
        min_bids=sec["min_bids"],
        diff_cv=sec["diff_cv"],
        ratio_cv=sec["ratio_cv"],
    )
    if reg.regular or identical_prices(t.bids):
        flags.append("PRICE-40-4")
    sec = th.section("PRICE-SCREEN")
    if imhof_flag(s, min_bids=sec["min_bids"], cv_max=sec["cv_max"], rd_min=sec["rd_min"]):
        flags.append("PRICE-SCREEN")
    return flags


def ring_groups(
    tenders: dict[str, TenderBids], th: RingThresholds, *, progress: bool
) -> list[RingStats]:
    """Every candidate group seen in >= min_shared_tenders tenders, ring or not, sorted."""
    index = RingIndex()
    for t in tenders.values():
        index.add(Tender(t.tender, frozenset(t.bids), t.winner))
    seen: set[frozenset[str]] = set()
    out = []
    items = _progress(
        list(index.tenders), enabled=progress, desc="groups", total=len(index.tenders)
    )
    for tid in items:
        for g in index.candidates(tid, th.min_group_size):
            if g in seen:
                continue
            seen.add(g)
            s = index.stats(g, th)
            if len(s.tenders) >= th.min_shared_tenders:
                out.append(s)
    return sorted(out, key=lambda s: (not s.ring, -len(s.tenders), s.group))


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def screen(
    read: ReadResult, thresholds: Thresholds | None = None, *, progress: bool = False
) -> ScreenResult:
    th = thresholds or Thresholds.defaults()
    ring_th = th.typed(RingThresholds)
    tenders = list(read.tenders.values())
    stats = [screens(list(t.bids.values())) for t in tenders]
    scores = percentile_scores(stats)
    groups = ring_groups(read.tenders, ring_th, progress=progress)
    in_ring = {tid for g in groups if g.ring for tid in g.tenders}
    rows = []
    for t, s, score in zip(tenders, stats, scores, strict=True):
        flags = tender_flags(t, s, th)
        if t.tender in in_ring:
            flags.append("REL-RING")
        rows.append(
            {
                "tender": t.tender,
                "n_bids": s.n,
                **{c: getattr(s, c) for c in SCREEN_COLUMNS},
                "flags": ";".join(flags),
                "score": score,
                "_label": t.label,
            }
        )
    group_rows = [
        {
            "group": ";".join(g.group),
            "size": len(g.group),
            "shared_tenders": len(g.tenders),
            "group_wins": g.group_wins,
            "distinct_winners": g.distinct_winners,
            "group_win_share": g.group_win_share,
            "rotation": g.rotation,
            "wins": ";".join(f"{m}:{c}" for m, c in g.wins.items()),
            "tenders": ";".join(g.tenders),
            "flags": "REL-RING" if g.ring else "",
        }
        for g in groups
    ]
    return ScreenResult(rows, group_rows, read)


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    tmp = Path(f"{path}.tmp-{os.getpid()}")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([_fmt(r[c]) if isinstance(r[c], float) else r[c] for c in columns])
    tmp.replace(path)


def auc(
    scores: Sequence[float | None], labels: Sequence[str | int | None]
) -> tuple[float, int] | None:
    """Area under the ROC curve of `scores` for labels 1 vs 0 (Mann-Whitney, ties half).

    Rows with no score or no 0/1 label are left out; returns (auc, rows used), or None
    when one class is missing. AUC > 0.5 means higher values go with label 1.
    """
    pairs = [
        (float(s), str(lab).strip() in ("1", "1.0", "true", "True"))
        for s, lab in zip(scores, labels, strict=True)
        if s is not None and lab is not None and str(lab).strip() != ""
    ]
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    ranks = rankdata([s for s, _ in pairs], method="average")
    rank_sum = sum(r for r, (_, y) in zip(ranks, pairs, strict=True) if y)
    return float((rank_sum - pos * (pos + 1) / 2) / (pos * neg)), len(pairs)


def aucs(result: ScreenResult) -> dict[str, tuple[float, int] | None]:
    """AUC against the label column of every screen, the score, and each flag (as 0/1)."""
    labels = [r["_label"] for r in result.tenders]
    out = {c: auc([r[c] for r in result.tenders], labels) for c in (*SCREEN_COLUMNS, "score")}
    for rule_id in ("PRICE-40-4", "PRICE-SCREEN", "REL-RING"):
        flag = [float(rule_id in r["flags"].split(";")) for r in result.tenders]
        out[rule_id] = auc(flag, labels)
    return out
