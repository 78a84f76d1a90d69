"""AUC and the bidder-grouped folds used to report the screens and the score.

A tender split would let a model memorise firms (the same firms win and lose in both
halves); folds here are grouped by the tender's winner, so no firm's wins are seen in
training and in testing at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from detectors.screening.ranks import tie_ranks

_POSITIVE = frozenset({"1", "1.0", "true", "True", "yes"})


def is_positive(label: str | int | float | None) -> bool | None:
    """0/1-like label -> bool; None for an empty or missing label."""
    if label is None:
        return None
    text = str(label).strip()
    if text == "":
        return None
    return text in _POSITIVE


def auc(
    scores: Sequence[float | None], labels: Sequence[str | int | float | None]
) -> tuple[float, int] | None:
    """Area under the ROC curve of `scores` for labels 1 vs 0 (Mann-Whitney, ties half).

    Scores equal but for floating-point rounding are ties (`ranks.tie_ranks`), so the
    figure does not depend on the machine's summation order.

    Rows with no score or no 0/1 label are left out; returns (auc, rows used), or None
    when one class is missing. AUC > 0.5 means higher values go with label 1.
    """
    pairs = [
        (float(s), y)
        for s, lab in zip(scores, labels, strict=True)
        if s is not None and np.isfinite(float(s)) and (y := is_positive(lab)) is not None
    ]
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    ranks = tie_ranks(np.array([s for s, _ in pairs]))
    rank_sum = sum(r for r, (_, y) in zip(ranks, pairs, strict=True) if y)
    return float((rank_sum - pos * (pos + 1) / 2) / (pos * neg)), len(pairs)


def grouped_folds(groups: Sequence[str | None], k: int, seed: int = 0) -> np.ndarray:
    """Fold number (0..k-1) per row; every row of one group in the same fold.

    Groups are spread by a seeded hash (stable across runs and Python versions), then
    balanced greedily by size, largest first, so folds hold similar numbers of rows.
    Rows with no group (None) each form their own group.
    """
    keys = [g if g is not None else f"\0row{i}" for i, g in enumerate(groups)]
    sizes: dict[str, int] = {}
    for g in keys:
        sizes[g] = sizes.get(g, 0) + 1

    def h(g: str) -> str:
        return hashlib.sha256(f"{seed}:{g}".encode()).hexdigest()

    order = sorted(sizes, key=lambda g: (-sizes[g], h(g)))
    load = [0] * k
    fold_of: dict[str, int] = {}
    for g in order:
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[g] = f
        load[f] += sizes[g]
    return np.array([fold_of[g] for g in keys], dtype=int)
