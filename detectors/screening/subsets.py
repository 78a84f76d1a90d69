"""Summary screens over every subset of 3 or 4 bids (Wallimann, Imhof & Huber 2023).

An incomplete cartel hides among honest bids: the screens of the whole tender mix the
cartel's tight, cover-bid pattern with the competitors' spread. Computing the screens
for every subset of k bids and summarising them (min, median, max, mean) keeps the
signal of the colluding subset: the minimum CV over 4-bid subsets is low when any four
bids sit tightly together, whatever the others do.

Names are `<screen><k>_<stat>`, e.g. `cv4_min`. Screens per subset follow
`detectors.price_screens` (CV, SPD, DIFFP, RD; SKEW with k >= 3). Above
`MAX_SUBSET_BIDS` bids only the lowest ones are used: the contest for the award is at
the low end, and C(n, 4) grows fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

import numpy as np

MAX_SUBSET_BIDS = 16
SUBSET_SIZES = (3, 4)
SUBSET_SCREENS = ("cv", "spd", "diffp", "rd", "skew")
STATS = ("min", "med", "max", "mean")


@lru_cache(maxsize=64)
def _index(n: int, k: int) -> np.ndarray:
    return np.array(list(combinations(range(n), k)), dtype=np.intp)


def _per_subset(b: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Screens of every k-subset of the sorted bids b (rows = subsets, sorted within)."""
    s = b[_index(len(b), k)]  # (m, k), each row ascending because b is sorted
    mean = s.mean(axis=1)
    low, second = s[:, 0], s[:, 1]
    flat = s[:, -1] == low  # all equal: no spread, whatever the mean's rounding says
    sd = np.where(flat, 0.0, s.std(axis=1, ddof=1))
    out = {
        "cv": sd / mean,
        "spd": (s[:, -1] - low) / low,
        "diffp": (second - low) / low,
    }
    sd_losing = np.where(s[:, -1] == second, 0.0, s[:, 1:].std(axis=1, ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rd"] = np.where(sd_losing > 0, (second - low) / sd_losing, np.nan)
        d = s - mean[:, None]
        m2 = np.where(flat, 0.0, (d**2).mean(axis=1))
        m3 = (d**3).mean(axis=1)
        g1 = np.where(m2 > 0, m3 / m2**1.5, np.nan)
    out["skew"] = np.sqrt(k * (k - 1)) / (k - 2) * g1
    return out


def summary_screens(prices: Sequence[float]) -> dict[str, float | None]:
    """Every `<screen><k>_<stat>` of one tender; None where fewer than k bids."""
    b = np.sort(np.asarray(prices, dtype=float))[:MAX_SUBSET_BIDS]
    out: dict[str, float | None] = {}
    for k in SUBSET_SIZES:
        per = _per_subset(b, k) if len(b) >= k else {}
        for name in SUBSET_SCREENS:
            values = per.get(name)
            if values is not None:
                values = values[np.isfinite(values)]
            for stat in STATS:
                key = f"{name}{k}_{stat}"
                if values is None or not len(values):
                    out[key] = None
                    continue
                fn = {"min": np.min, "med": np.median, "max": np.max, "mean": np.mean}[stat]
                out[key] = float(fn(values))
    return out
