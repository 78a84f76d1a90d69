"""Price screens as pure functions, shared by PRICE-* detectors and `witness screen`.

Definitions follow the screens literature (Imhof 2017 "Simple statistical screens to
detect bid rigging"; Huber & Imhof 2019). With the bids of one tender sorted ascending,
b1 <= b2 <= ... <= bn, and sd the sample standard deviation (ddof = 1):

- CV    = sd(bids) / mean(bids)                      variance screen; collusion: lower
- SPD   = (bn - b1) / b1                             spread; collusion: lower
- DIFFP = (b2 - b1) / b1                             gap winner/first loser; collusion: higher
- RD    = (b2 - b1) / sd(b2..bn)                     relative distance (cover bids); collusion: higher
- KURT  = sample excess kurtosis (Fisher, bias-corrected, n >= 4); collusion: higher
- SKEW  = sample skewness (bias-corrected, n >= 3); cover bidding: negative
- KS    = Kolmogorov-Smirnov statistic of the bids against the *uniform* distribution on
          [b1, bn] (sup |F_n - U|); large when bids bunch together inside their range.

A statistic that is undefined for the tender (too few bids, zero spread) is None.
PRICE-40-4's "regular differences" test lives here too.

RD > 1 alone is no evidence: among n independent bids the lowest stands that far apart
by chance in 45 % of tenders at n = 4 and 26 % at n = 8, and real markets whose bids sit
tightly under a ceiling price pass CV <= 0.06 as a rule (277 of the 321 Tsuchiura auctions
of >= 4 bids not called cartelised; Imhof's two thresholds flagged 169 of them).
PRICE-SCREEN therefore also asks how often chance reaches the tender's RD
(`rd_chance`): the share of tenders of n independent normal bids with an RD at least as
large, from a fixed-seed table per n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Screens:
    n: int
    cv: float | None = None
    spd: float | None = None
    diffp: float | None = None
    rd: float | None = None
    kurt: float | None = None
    skew: float | None = None
    ks: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def screens(prices: Sequence[float]) -> Screens:
    """All screens of one tender's bids (any order; non-positive prices are rejected)."""
    b = np.sort(np.asarray(prices, dtype=float))
    n = len(b)
    if n and b[0] <= 0:
        raise ValueError("prices must be positive")
    if n < 2:
        return Screens(n=n)
    mean = b.mean()
    sd = _sd(b)
    out: dict[str, float | None] = {
        "cv": _finite(sd / mean),
        "spd": _finite((b[-1] - b[0]) / b[0]),
        "diffp": _finite((b[1] - b[0]) / b[0]),
    }
    if n >= 3:
        sd_losing = _sd(b[1:])
        out["rd"] = _finite((b[1] - b[0]) / sd_losing) if sd_losing > 0 else None
        if sd > 0:
            out["skew"], out["kurt"] = _skew_kurt(b)
            out["ks"] = _ks_uniform(b)
    return Screens(n=n, **out)


def _sd(b: np.ndarray) -> float:
    """Sample standard deviation of sorted bids, exactly 0 when they are all equal.

    numpy's mean of three bids of 1.65 is 1.6500000000000001, which leaves a spread of
    1e-16 and a skewness of 2.45 out of nothing (and none at all for 165, 165, 165).
    """
    return 0.0 if b[0] == b[-1] else float(b.std(ddof=1))


def _skew_kurt(b: np.ndarray) -> tuple[float | None, float | None]:
    """Bias-corrected sample skewness G1 and excess kurtosis G2 (= scipy's bias=False).

    Written out in numpy because scipy.stats' per-call overhead dominates when a batch
    screens thousands of small tenders.
    """
    n = len(b)
    d = b - b.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    if m2 <= 0:
        return None, None
    g1 = m3 / m2**1.5
    skew = _finite(np.sqrt(n * (n - 1)) / (n - 2) * g1)
    kurt = None
    if n >= 4:
        g2 = m4 / m2**2 - 3.0
        kurt = _finite(((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3)))
    return skew, kurt


def _ks_uniform(b: np.ndarray) -> float | None:
    """sup |F_n(x) - U(x)| for U uniform on [b1, bn] (sorted b)."""
    n = len(b)
    u = (b - b[0]) / (b[-1] - b[0])
    i = np.arange(1, n + 1)
    return _finite(max((i / n - u).max(), (u - (i - 1) / n).max()))


#: Simulated tenders per number of bids in the chance table (fixed seed: one table everywhere).
CHANCE_DRAWS = 40_000
#: Larger tenders use this size's table: RD's chance spread shrinks with n, so it overstates
#: chance for them (fewer alerts, never more).
CHANCE_MAX_BIDS = 60


@cache
def _chance_table(n: int) -> np.ndarray:
    """Sorted RD of `CHANCE_DRAWS` simulated tenders of n independent normal bids."""
    rng = np.random.default_rng(20_170 + n)
    x = np.sort(rng.standard_normal((CHANCE_DRAWS, n)), axis=1)
    return np.sort((x[:, 1] - x[:, 0]) / x[:, 1:].std(axis=1, ddof=1))


def rd_chance(rd: float, n: int) -> float:
    """Share of tenders of n independent normal bids whose RD is at least `rd` (n >= 3).

    Normal bids have longer tails than bids bunched under a ceiling price, so this rather
    overstates chance for a real market: an alert needs a lowest bid clearly apart.
    """
    table = _chance_table(min(n, CHANCE_MAX_BIDS))
    return float(len(table) - np.searchsorted(table, rd, side="left")) / len(table)


def imhof_flag(
    s: Screens, *, min_bids: int, cv_max: float, rd_min: float, max_chance: float
) -> bool:
    """PRICE-SCREEN: low variance with a lowest bid set apart (CV <= 0.06, RD > 1) further
    apart than independent bids put it more than `max_chance` of the time."""
    return (
        s.n >= min_bids
        and s.cv is not None
        and s.rd is not None
        and s.cv <= cv_max
        and s.rd > rd_min
        and rd_chance(s.rd, s.n) <= max_chance
    )


@dataclass(frozen=True)
class Regularity:
    """Successive differences of the distinct sorted prices and how regular they are."""

    n: int
    diff_cv: float | None
    ratio_cv: float | None
    regular: bool
    reason: str | None  # "differences" or "ratios" when regular


def _cv(x: np.ndarray) -> float | None:
    m = x.mean()
    return _finite(x.std(ddof=1) / m) if len(x) >= 2 and m > 0 else None


def regularity(
    prices: Sequence[float], *, min_bids: int, diff_cv: float, ratio_cv: float
) -> Regularity:
    """PRICE-40-4's 'regular differences' (报价呈规律性差异).

    Over the distinct sorted prices p1 < ... < pn (n >= min_bids): the CV of the
    differences p(i+1) - p(i) (an arithmetic ladder has CV 0), and the CV of the growth
    rates p(i+1)/p(i) - 1 (a geometric ladder has CV 0). The growth rate is used rather
    than the raw ratio because ratios of close prices are all ~1.00, whose CV is tiny
    for *any* tight tender and would flag ordinary competition.
    """
    p = np.unique(np.asarray(prices, dtype=float))
    n = len(p)
    if n < max(3, min_bids):
        return Regularity(n, None, None, False, None)
    diffs = np.diff(p)
    growth = p[1:] / p[:-1] - 1.0
    dcv, rcv = _cv(diffs), _cv(growth)
    if dcv is not None and dcv < diff_cv:
        return Regularity(n, dcv, rcv, True, "differences")
    if rcv is not None and rcv < ratio_cv:
        return Regularity(n, dcv, rcv, True, "ratios")
    return Regularity(n, dcv, rcv, False, None)


def identical_prices(bids: dict[str, float]) -> list[tuple[float, list[str]]]:
    """Prices given by two or more different bidders: [(price, sorted bidder ids)]."""
    by_price: dict[float, list[str]] = {}
    for bidder, price in bids.items():
        by_price.setdefault(round(float(price), 2), []).append(bidder)
    return sorted((p, sorted(b)) for p, b in by_price.items() if len(b) >= 2)
