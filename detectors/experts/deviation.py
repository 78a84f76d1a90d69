"""EXP-DEV's measure on one cell: a score against the other experts' scores of it.

Pure arithmetic, apart from the detector (`scoring.py`) that decides when a cell has
enough of the committee's scores to be judged.
"""

from __future__ import annotations

import statistics
from typing import Any

from detectors.experts.shared import rounded


def deviation(score: float, others: list[float], min_points: float, mean_share: float) -> dict:
    """EXP-DEV measure for one score against the other experts' scores of the same cell."""
    mean = statistics.fmean(others)
    limit = max(min_points, mean_share * mean)
    dev = score - mean
    return {
        "others_mean": rounded(mean),
        "deviation": rounded(dev),
        "limit": rounded(limit),
        "hit": abs(dev) > limit,
    }


def cell_deviations(
    scores: dict[str, float], min_peers: int, min_points: float, mean_share: float
) -> dict[str, dict[str, Any]]:
    """EXP-DEV on one cell: expert -> {others, others_mean, deviation, limit, hit, left_out}.

    Plain leave-one-out would let one wild score drag the others' mean far enough to make
    an honest neighbour "deviate". So deviating scores are taken out one at a time,
    largest deviation first (ties by expert id), and everyone else is measured against the
    scores that remain. Experts with fewer than `min_peers` comparable scores get no row.
    """
    pool = dict(scores)
    rows: dict[str, dict[str, Any]] = {}
    left_out: list[str] = []
    while True:
        best: tuple[str, dict] | None = None
        for e, v in sorted(pool.items()):
            others = [x for o, x in pool.items() if o != e]
            if len(others) < min_peers:
                continue
            m = deviation(v, others, min_points, mean_share)
            if m["hit"] and (best is None or abs(m["deviation"]) > abs(best[1]["deviation"])):
                best = (e, m)
        if best is None:
            break
        e, m = best
        others = {o: x for o, x in sorted(pool.items()) if o != e}
        rows[e] = {**m, "others": others, "left_out": list(left_out)}
        left_out.append(e)
        del pool[e]
    for e, v in sorted(scores.items()):
        if e in rows:
            continue
        others = {o: x for o, x in sorted(pool.items()) if o != e}
        if len(others) < min_peers:
            continue
        rows[e] = {
            **deviation(v, list(others.values()), min_points, mean_share),
            "others": others,
            "left_out": list(left_out),
        }
    return rows
