"""Each screen's direction, learned from the file itself without labels.

Literature directions do not hold in every market. Cover bids placed just above the
designated winner make a tender's bids tight (low CV, low spread: Imhof); phony cover
bids placed far above make them wide (high CV) while the winner still stands apart.
A fixed CV direction is right in the first market and worse than chance in the second.

What both cartel styles share is the shape at the low end: the lowest bid stands apart
from the losing bids (relative distance RD high) and the bids are skewed towards it
(skew low). Those `CORE` screens keep the literature's direction. Every other screen is
turned round in a file when its percentiles run clearly against the core's consensus
there (Pearson r < -`flip_bar(n)`), and keeps the literature's direction otherwise, so
a screen unrelated to the core in a file (r ~ 0) is never flipped by noise.

The percentiles themselves are within the file (`features.directional_percentiles`):
turning a screen round is p -> 1 - p, and a score built on them does not change when a
screen's raw values are negated, or the prices are rescaled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Screens whose literature direction holds for tight and for phony cover bids alike.
CORE = ("rd", "skew", "rd3_med", "rd4_mean", "skew4_med")
#: Smallest anti-correlation with the core that turns a screen round.
MIN_FLIP_R = 0.1


def flip_bar(n: int) -> float:
    """|r| a screen must pass: MIN_FLIP_R, or two standard errors of r for small files."""
    return max(MIN_FLIP_R, 2.0 / math.sqrt(max(n, 1)))


@dataclass(frozen=True)
class Oriented:
    pct: dict[str, np.ndarray]  # name -> oriented percentile per tender
    reversed: tuple[str, ...]  # screens turned round in this file, catalogue order
    agreement: dict[str, float]  # name -> r with the core consensus (1.0 for the core)


def orient(pct: dict[str, np.ndarray], names: Sequence[str]) -> Oriented:
    """Turn round the non-core screens in `names` that run against the core in this file.

    Without any core screen among `names` (or with fewer than 3 tenders) nothing turns.
    """
    core = [m for m in CORE if m in names]
    n = len(next(iter(pct.values()))) if pct else 0
    out = {m: pct[m] for m in names}
    if not core or n < 3:
        return Oriented(out, (), {m: float("nan") for m in names})
    anchor = np.mean([pct[m] for m in core], axis=0)
    bar = flip_bar(n)
    flipped, agreement = [], {}
    for m in names:
        if m in core:
            agreement[m] = 1.0
            continue
        r = _pearson(pct[m], anchor)
        agreement[m] = r
        if r < -bar:
            out[m] = 1.0 - pct[m]
            flipped.append(m)
    return Oriented(out, tuple(flipped), agreement)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = float(np.std(a)), float(np.std(b))
    if sa == 0.0 or sb == 0.0:
        return 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))
