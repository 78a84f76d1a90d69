"""PRICE-40-4's ladders: a subset of bids whose prices step evenly (报价呈规律性差异).

A cartel of three whose prices step evenly hides among honest bids, so the whole set of
prices is not the unit to judge: every subset that forms a ladder is. Honest prices form
near-ladders by chance, and the more bids a tender has, the more subsets can, so the
tolerance shrinks with the number of subsets that could have matched:

- a *ladder* of k >= 3 distinct prices p1 < ... < pk has gaps g_i = p(i+1) - p(i)
  (arithmetic: "differences") or g_i = ln p(i+1) - ln p(i) ("ratios");
  its irregularity is r = (max g - min g + one rounding unit) / mean g (near 0 for an
  exact ladder; the rounding unit is the resolution of the prices themselves);
- candidate ladders are seeded by every pair of prices and extended while the next price
  lies within `search_tolerance` x the first gap of where the ladder says it should be;
- a ladder of k fires when r <= t(n, k) = min(max_irregularity,
  base_k x C(n, k) ** (-1 / (k - 2))): for random honest prices r's lower tail behaves
  like c x r ** (k - 2), so dividing the allowed chance by the C(n, k) subsets keeps the
  false-alarm rate per tender flat in n. `base` was calibrated on random honest tenders
  (bench/price_ladders.py measures the rate at every n and prints it);
- gaps smaller than `min_gap_units` x the prices' rounding unit are not judged;
- the rounding unit of a ladder is the coarsest power of ten (up to its own prices'
  unit) that at least `rounding_share` of the tender's other bids are multiples of:
  real bidders round (Tsuchiura: most tenders entirely in ten-thousands of yen), and
  three round bids a round step apart among round bidders is arithmetic, while one
  bid priced to the yen must not make every round bid look precise. Three round bids
  among bids priced to the fen do stand out, and are judged to the fen.

With n = 3 the only subset is all of them and t(3, 3) = base_3: three bids must step
far more evenly than a loose "CV < 5 %" to be called regular.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: base_k of the tolerance, k = 3, 4, 5 (longer ladders are judged on their first five).
DEFAULT_BASE = (0.002, 0.035, 0.12)


@dataclass(frozen=True)
class Ladder:
    pattern: str  # "differences" or "ratios"
    prices: tuple[float, ...]
    irregularity: float
    tolerance: float
    subsets_considered: int  # C(n, k)
    resolution: float = 0.01  # the rounding unit the ladder was judged at (yuan)


UNITS = (0.01, 1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0)


def _on(p: float, u: float) -> bool:
    return abs(p / u - round(p / u)) < 1e-9


def rounding_unit(prices: Sequence[float]) -> float:
    """The largest of 0.01, 1, 10, 100 ... yuan that divides every price."""
    unit = 0.01
    for u in UNITS[1:]:
        if all(_on(p, u) for p in prices):
            unit = u
        else:
            break
    return unit


def ladder_resolution(
    ladder: Sequence[float], prices: Sequence[float], share: float = 0.5
) -> float:
    """The rounding unit a ladder is judged at: the coarsest unit, up to the ladder's own,
    that at least `share` of the other distinct bids are multiples of. With fewer than
    two other bids nothing shows how this tender's bidders round: the ladder's own."""
    own = rounding_unit(ladder)
    rungs = set(ladder)
    others = [p for p in set(prices) if p not in rungs]
    if len(others) < 2:
        return own
    return min(own, unit_of_most(others, share))  # every unit divides the next


def unit_of_most(prices: Sequence[float], share: float = 0.5) -> float:
    """The coarsest rounding unit at least `share` of the distinct prices are multiples of."""
    distinct = set(prices)
    for u in reversed(UNITS):
        if sum(_on(p, u) for p in distinct) >= share * len(distinct):
            return u
    return 0.01


def collision_chance(n: int, low: float, high: float, unit: float) -> tuple[float, int]:
    """How likely n independent bids on a `unit` grid over [low, high] share a price at all
    (the birthday problem over the grid's slots), and the number of slots."""
    slots = int(round((high - low) / unit)) + 1
    if n > slots:
        return 1.0, slots
    log_none = sum(math.log1p(-i / slots) for i in range(n))
    return 1.0 - math.exp(log_none), slots


def close_gap_chance(prices: Sequence[float], share: float = 0.5) -> tuple[float, float]:
    """How often chance alone puts the two lowest of these bids this close: (chance, unit).

    Given the lowest and highest bid, the others fall anywhere between; the lowest gap is
    then at most d with probability 1 - (1 - d/R)^(n-2). The gap counts one rounding unit
    more than it shows, since bids on a 10,000-yen grid can be no closer than one step
    (the grid most bids use, never coarser than the pair's own).
    """
    p = sorted(prices)
    unit = min(unit_of_most(p, share), rounding_unit(p[:2]))  # never coarser than the pair
    spread = p[-1] - p[0]
    if len(p) < 3 or spread <= 0:
        return 1.0, unit
    d = min(1.0, (p[1] - p[0] + unit) / spread)
    return 1.0 - (1.0 - d) ** (len(p) - 2), unit


def tolerance(n: int, k: int, base: Sequence[float], cap: float) -> float:
    k_eff = min(k, 2 + len(base))
    b = base[k_eff - 3]
    return min(cap, b * math.comb(n, k_eff) ** (-1.0 / (k_eff - 2)))


def _chains(x: np.ndarray, search: float) -> list[list[int]]:
    n = len(x)
    out = []
    for i in range(n - 1):
        for j in range(i + 1, n):
            d = x[j] - x[i]
            chain = [i, j]
            while True:
                target = x[chain[-1]] + d
                m = int(np.searchsorted(x, target))
                best = None
                for c in (m - 1, m):
                    near = chain[-1] < c < n and abs(x[c] - target) <= search * d
                    if near and (best is None or abs(x[c] - target) < abs(x[best] - target)):
                        best = c
                if best is None:
                    break
                chain.append(best)
            if len(chain) >= 3:
                out.append(chain)
    return out


def _irregularity(gaps: np.ndarray, resolution: float) -> float:
    """(max - min + resolution) / mean: one rounding unit of spread is always allowed for,
    since prices rounded to thousands agree on gaps by arithmetic, not by design."""
    return float((gaps.max() - gaps.min() + resolution) / gaps.mean())


def find_ladder(
    prices: Sequence[float],
    *,
    base: Sequence[float] = DEFAULT_BASE,
    max_irregularity: float = 0.05,
    search_tolerance: float = 0.2,
    min_gap_units: float = 50.0,
    rounding_share: float = 0.5,
) -> Ladder | None:
    """The most convincing ladder among `prices` (longest, then most regular), or None."""
    distinct = np.unique(np.asarray([p for p in prices if p > 0], dtype=float))
    n = len(distinct)
    if n < 3:
        return None
    values = distinct.tolist()
    best: Ladder | None = None
    for pattern, x in (("differences", distinct), ("ratios", np.log(distinct))):
        for chain in _chains(x, search_tolerance):
            for k in range(len(chain), 2, -1):
                members = chain[:k]
                raw = np.diff(distinct[members])
                unit = ladder_resolution([values[m] for m in members], values, rounding_share)
                if raw.min() < min_gap_units * unit:
                    continue
                resolution = unit if pattern == "differences" else unit / distinct[members[0]]
                r = _irregularity(np.diff(x[members]), resolution)
                t = tolerance(n, k, base, max_irregularity)
                if r <= t:
                    cand = Ladder(
                        pattern,
                        tuple(float(v) for v in distinct[members]),
                        r,
                        t,
                        math.comb(n, min(k, 2 + len(base))),
                        unit,
                    )
                    if best is None or (k, -r) > (len(best.prices), -best.irregularity):
                        best = cand
                    break
    return best
