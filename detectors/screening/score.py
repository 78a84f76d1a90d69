"""The tender score: fitted weights over the file's own percentiles, and its drivers.

score = 1 / (1 + exp(-(b + sum_i w_i * (p_i - 0.5))))

where p_i is the tender's directional percentile on feature i *within this file*
(`features.directional_percentiles`) and w_i >= 0 are the shipped weights
(`fitted.MODELS`, written by `bench/fit_screen.py`). Higher = more suspicious. It ranks
tenders for a closer look inside one file; it is not a probability of collusion (the
intercept carries the training market's base rate). Which model runs depends on the
columns the file has: prices only, + bidder ids, + reserve price. Tenders with fewer
than two bids get no score.

Drivers: the features that lifted this tender's score most, w_i * (p_i - 0.5) > 0,
largest first, so every score names the screens behind it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detectors.screening.features import FEATURES, directional_percentiles
from detectors.screening.fitted import MODELS

#: How many drivers a tender row names.
MAX_DRIVERS = 3


def variant(has_bidders: bool, has_reserve: bool) -> str:
    """The model for a file's columns: 'prices', 'prices+bidders', 'prices+reserve', ..."""
    return "+".join(
        ["prices", *(["bidders"] if has_bidders else []), *(["reserve"] if has_reserve else [])]
    )


def variant_features(name: str) -> list[str]:
    """Features a variant uses, in catalogue order."""
    parts = set(name.split("+"))
    return [f for f, spec in FEATURES.items() if spec.needs in parts]


@dataclass(frozen=True)
class Scored:
    score: float | None
    drivers: list[tuple[str, float, float]]  # (feature, percentile, contribution)


def score_tenders(
    rows: Sequence[dict[str, float | None]], n_bids: Sequence[int], model_name: str
) -> list[Scored]:
    model = MODELS[model_name]
    names = list(model["weights"])
    pct = directional_percentiles(rows, names)
    out = []
    for i, n in enumerate(n_bids):
        if n < 2:
            out.append(Scored(None, []))
            continue
        parts = [(m, float(pct[m][i]), model["weights"][m] * (pct[m][i] - 0.5)) for m in names]
        z = model["intercept"] + sum(c for _, _, c in parts)
        drivers = sorted((p for p in parts if p[2] > 0), key=lambda p: (-p[2], p[0]))
        out.append(Scored(1.0 / (1.0 + math.exp(-z)), drivers[:MAX_DRIVERS]))
    return out


def format_drivers(drivers: list[tuple[str, float, float]]) -> str:
    """'rd4_mean 0.93 +0.41;cv4_min 0.88 +0.27': feature, percentile, contribution."""
    return ";".join(f"{m} {p:.2f} +{c:.2f}" for m, p, c in drivers)


def percentile_matrix(rows: Sequence[dict[str, float | None]], names: Sequence[str]) -> np.ndarray:
    """Percentiles - 0.5 as a (tenders x features) matrix, for fitting."""
    pct = directional_percentiles(rows, names)
    return np.column_stack([pct[m] - 0.5 for m in names]) if names else np.zeros((len(rows), 0))
