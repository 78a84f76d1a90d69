"""Synthetic historical bid tables in known cartel styles, for `witness screen`'s transfer
tests and `bench/screen_transfer.py`.

Not the event simulator's bids: these are CSV-like rows (`t` tender, `p` price, and with
`with_ids` a bidder `b`) for markets the screen was never fitted on. Honest tenders have
bids spread above cost; rigged ones follow one style:

- "tight": cover bids 2-6 % above the designated winner (low CV, Imhof's direction);
- "phony": cover bids 15-45 % above it (high CV: the literature direction is wrong);
- "clustered": one cover bid just above the winner, the rest ordinary;
- "alltight": every bid within 3 %, no winner apart (one hand writing every bid).
"""

from __future__ import annotations

import numpy as np

STYLES = ("tight", "phony", "clustered", "alltight")


def market(
    style: str, seed: int, tenders: int = 160, share: float = 0.4
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """(csv-like rows, label per tender) of one synthetic market."""
    if style not in STYLES:
        raise ValueError(f"style {style!r} is not one of {STYLES}")
    rng = np.random.default_rng(seed)
    rows, labels = [], {}
    for i in range(tenders):
        n = int(rng.integers(3, 9))
        cost = float(np.exp(rng.normal(12, 1)))
        rigged = bool(rng.random() < share)
        bids = _bids(rng, style if rigged else None, cost, n, honest_spread=0.2)
        tid = f"T{i:04d}"
        labels[tid] = int(rigged)
        rows += [{"t": tid, "p": f"{b:.2f}"} for b in rng.permutation(bids)]
    return rows, labels


def _bids(
    rng: np.random.Generator, style: str | None, cost: float, n: int, *, honest_spread: float
) -> np.ndarray:
    """n bids of one tender: honest (`style` None: spread 0 to `honest_spread` above cost)
    or rigged in `style`."""
    if style is None:
        return cost * (1 + rng.uniform(0.0, honest_spread, n))
    winner = cost * (1.1 + rng.uniform(0, 0.05))
    if style == "alltight":
        return winner * (1 + rng.uniform(0.0, 0.03, n))
    if style == "clustered":
        cover = winner * (1 + rng.uniform(0.001, 0.01))
        rest = winner * (1 + rng.uniform(0.02, 0.25, n - 2))
        return np.concatenate([[winner, cover], rest])
    lo, hi = (0.02, 0.06) if style == "tight" else (0.15, 0.45)
    return np.concatenate([[winner], winner * (1 + rng.uniform(lo, hi, n - 1))])


def with_ids(
    rows: list[dict[str, str]], labels: dict[str, int], seed: int, *, cartel_firms: bool
) -> list[dict[str, str]]:
    """Rows with bidder ids: rigged tenders drawn from 8 cartel firms and honest ones from
    40 others (`cartel_firms`), or every tender from the same 48 firms (a period label)."""
    rng = np.random.default_rng(seed)
    by_tender: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_tender.setdefault(r["t"], []).append(r)
    out = []
    for tid, bids in by_tender.items():
        pool = (range(8) if labels[tid] else range(8, 48)) if cartel_firms else range(48)
        firms = rng.choice(list(pool), size=len(bids), replace=False)
        out += [{**r, "b": f"F{f}"} for r, f in zip(bids, firms, strict=True)]
    return out


def specialised_market(
    style: str, seed: int, tenders: int = 120, share: float = 0.4
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """A period-labelled market of specialised firms: two kinds of work, each with its
    own 24 firms, honest bids spread 0-10 % on one and 0-30 % on the other; rigged
    tenders (tight or phony cover bids, either kind) are bid by the same firms as the
    rest of their kind, so the ids carry the kinds of work and nothing of the cartel."""
    if style not in ("tight", "phony"):
        raise ValueError(f"style {style!r} is not tight or phony")
    rng = np.random.default_rng(seed)
    rows, labels = [], {}
    for i in range(tenders):
        kind = int(rng.random() < 0.5)
        n = int(rng.integers(3, 9))
        cost = float(np.exp(rng.normal(12, 1)))
        rigged = bool(rng.random() < share)
        bids = _bids(rng, style if rigged else None, cost, n, honest_spread=(0.1, 0.3)[kind])
        firms = rng.choice(np.arange(24) + 24 * kind, size=n, replace=False)
        tid = f"T{i:04d}"
        labels[tid] = int(rigged)
        rows += [
            {"t": tid, "p": f"{b:.2f}", "b": f"F{f}"}
            for b, f in zip(rng.permutation(bids), firms, strict=True)
        ]
    return rows, labels
