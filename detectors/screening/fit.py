"""Fitting the score: a sign-constrained, L2-penalised logistic regression.

The inputs are directional percentiles (`features.directional_percentiles`) centred on
0.5, and every weight is bounded to >= 0: a screen may count for more or for nothing,
but a training market can never turn its literature direction round. That is what lets
weights fitted on one market be used on another without its labels; an unconstrained
fit on Tsuchiura turns CV round (there, the frequent-bidder auctions have *wider* bids).

scipy's L-BFGS-B does the optimisation (bounds are what it is for); the script that
runs it on the shipped data is `bench/fit_screen.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from detectors.screening.metrics import auc, grouped_folds

#: L2 penalty on the weights (not the intercept); percentiles are on one scale.
PENALTY = 1.0


@dataclass(frozen=True)
class Fitted:
    intercept: float
    weights: dict[str, float]


def fit_logistic(
    x: np.ndarray, y: np.ndarray, names: Sequence[str], penalty: float = PENALTY
) -> Fitted:
    """Maximum penalised likelihood with weights >= 0; x holds percentiles - 0.5."""
    n, k = x.shape

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w[1:] + w[0]
        p = 1.0 / (1.0 + np.exp(-z))
        loss = float(np.sum(np.logaddexp(0.0, z) - y * z)) + penalty * float(w[1:] @ w[1:]) / 2
        grad = np.concatenate([[np.sum(p - y)], x.T @ (p - y) + penalty * w[1:]])
        return loss, grad

    bounds = [(None, None)] + [(0.0, None)] * k
    res = minimize(objective, np.zeros(k + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    w = res.x
    return Fitted(
        round(float(w[0]), 4), {m: round(float(v), 4) for m, v in zip(names, w[1:], strict=True)}
    )


def linear(f: Fitted, x: np.ndarray, names: Sequence[str]) -> np.ndarray:
    return x @ np.array([f.weights[m] for m in names]) + f.intercept


@dataclass(frozen=True)
class CrossValidation:
    pooled_auc: float  # AUC of the out-of-fold scores of all rows together
    fold_aucs: tuple[float, ...]
    rows: int


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    groups: Sequence[str | None],
    k: int = 5,
    seed: int = 0,
) -> CrossValidation:
    """Out-of-fold AUC with folds grouped by `groups` (the tender's winner)."""
    folds = grouped_folds(groups, k, seed)
    oof = np.zeros(len(y))
    per_fold = []
    for i in range(k):
        train, test = folds != i, folds == i
        if not test.any() or len(set(y[train])) < 2:
            continue
        f = fit_logistic(x[train], y[train], names)
        oof[test] = linear(f, x[test], names)
        a = auc(list(oof[test]), list(y[test].astype(int)))
        if a is not None:
            per_fold.append(round(a[0], 4))
    pooled = auc(list(oof), list(y.astype(int)))
    return CrossValidation(round(pooled[0], 4) if pooled else float("nan"), tuple(per_fold), len(y))
