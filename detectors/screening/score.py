"""The tender score over the file's own percentiles, and the screens that drove it.

Every screen first becomes its directional percentile within this file
(`features.directional_percentiles`), oriented by `orient`: screens that run clearly
against the core cover-bid screens in this file are turned round, so a market where a
literature direction is wrong cannot sink the score. Higher = more suspicious. It ranks
tenders for a closer look inside one file; it is not a probability of collusion.

- prices only (`CONSENSUS`): no fitted weights at all, the mean of the oriented
  percentiles of every price screen (a rank average). Weights fitted on Tsuchiura, whose
  label is a participation threshold rather than a price pattern, transferred worse than
  a single screen; an equal-weight average of screens oriented on the file itself lets no
  one screen or training market decide. 0.5 = the file's typical tender.
- with bidder ids and/or a reserve price: a fitted, sign-constrained logistic score,
  1 / (1 + exp(-(b + sum_i w_i * (p_i - 0.5)))), w_i >= 0 from `fitted.MODELS`
  (`bench/fit_screen.py`); the intercept carries the training market's base rate.

Tenders with fewer than two bids get no score. Drivers: the screens that lifted this
tender's score most, contribution > 0, largest first, with "(reversed)" on a screen
turned round in this file, so every score names the screens behind it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detectors.screening.features import FEATURES, directional_percentiles
from detectors.screening.fitted import MODELS
from detectors.screening.orient import Oriented, orient

#: How many drivers a tender row names.
MAX_DRIVERS = 3
#: The variant scored by the label-free rank average instead of fitted weights.
CONSENSUS = "prices"
#: Marks a driver that was turned round in this file.
REVERSED = "(reversed)"


#: Every variant, prices only first (`witness screen --score-model`).
MODEL_NAMES = ("prices", "prices+bidders", "prices+reserve", "prices+bidders+reserve")


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


@dataclass(frozen=True)
class ScoredFile:
    tenders: list[Scored]
    reversed: tuple[str, ...]  # screens turned round in this file


def model_features(model_name: str) -> list[str]:
    """Features the model of a variant reads."""
    if model_name == CONSENSUS:
        return variant_features(CONSENSUS)
    return list(MODELS[model_name]["weights"])


def oriented_percentiles(rows: Sequence[dict[str, float | None]], names: Sequence[str]) -> Oriented:
    """Directional percentiles within the file, turned round where the file says so."""
    return orient(directional_percentiles(rows, names), names)


def score_tenders(
    rows: Sequence[dict[str, float | None]], n_bids: Sequence[int], model_name: str
) -> ScoredFile:
    names = model_features(model_name)
    oriented = oriented_percentiles(rows, names)
    pct = oriented.pct
    if model_name == CONSENSUS:
        weights, intercept = dict.fromkeys(names, 1.0 / len(names)), None
    else:
        weights, intercept = MODELS[model_name]["weights"], MODELS[model_name]["intercept"]
    out = []
    for i, n in enumerate(n_bids):
        if n < 2:
            out.append(Scored(None, []))
            continue
        parts = [(m, float(pct[m][i]), weights[m] * (pct[m][i] - 0.5)) for m in names]
        z = sum(c for _, _, c in parts)
        score = 0.5 + z if intercept is None else 1.0 / (1.0 + math.exp(-(intercept + z)))
        drivers = sorted((p for p in parts if p[2] > 0), key=lambda p: (-p[2], p[0]))
        out.append(Scored(score, drivers[:MAX_DRIVERS]))
    return ScoredFile(out, oriented.reversed)


def format_drivers(drivers: list[tuple[str, float, float]], reversed_: Sequence[str] = ()) -> str:
    """'rd4_mean 0.93 +0.41;cv(reversed) 0.88 +0.27': feature, percentile, contribution."""
    return ";".join(
        f"{m}{REVERSED if m in reversed_ else ''} {p:.2f} +{c:.2g}" for m, p, c in drivers
    )


def percentile_matrix(rows: Sequence[dict[str, float | None]], names: Sequence[str]) -> np.ndarray:
    """Oriented percentiles - 0.5 as a (tenders x features) matrix, for fitting."""
    pct = oriented_percentiles(rows, names).pct
    return np.column_stack([pct[m] - 0.5 for m in names]) if names else np.zeros((len(rows), 0))
