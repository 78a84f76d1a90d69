"""Ranks in which values equal but for floating-point rounding are ties.

Screens are ratios of prices: 0.22 in yuan is 0.21999999999999997 in hundreds of yuan,
and a symmetric set of bids has a skewness of exactly 0 on one CPU and 1e-17 on another
(the SIMD path decides the order of a sum). Exact ranks would order such values by
noise, so a percentile or an AUC would change with the currency or the machine.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

#: Values closer than this (relative, or absolute near 0) differ only by rounding: 101 is
#: within 1 % of 100 in yuan and in hundreds of yuan alike.
ROUNDING = 1e-9


def merge_rounding(values: np.ndarray) -> np.ndarray:
    """`values` with each run of neighbours closer than ROUNDING set to the run's first value.

    Grouping sorted neighbours (rather than rounding to a grid) cannot split two such
    values across a grid line.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values.copy()
    order = np.argsort(values, kind="stable")
    v = values[order]
    gap = np.diff(v) > ROUNDING * np.maximum(1.0, np.abs(v[1:]))
    first = np.concatenate([[0], np.flatnonzero(gap) + 1])
    run = np.repeat(first, np.diff(np.concatenate([first, [len(v)]])))
    out = np.empty_like(values)
    out[order] = v[run]
    return out


def tie_ranks(values: np.ndarray) -> np.ndarray:
    """Mid-ranks (1-based) of finite `values`, rounding-level neighbours tied."""
    return rankdata(merge_rounding(values), method="average")
