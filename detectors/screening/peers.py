"""Do a file's bidder ids carry what its prices carry? A permutation test, without labels.

The score's bidder screens (co-bidding, loss rates) are weighted as they were on
Tsuchiura, where the ids carry the label. Where the same firms bid in rigged and honest
tenders (a cartel period against the years after), they carry nothing, and those weights
only dilute the prices: 0.91 -> 0.82 on synthetic markets (`bench/screen_transfer.py`).

Two views of one cartel should agree: if the ids mean something, a tender whose prices
look rigged has bidders whose *other* tenders' prices look rigged too. Per price screen,
the Pearson r between each tender's percentile and the mean, over its bidders, of their
other tenders' percentiles; the statistic is the largest r over the screens (a weak
score can hide one screen that sees the cartel: CV where every cartel bid is tight).
Its null is the same largest r with the firm names shuffled over the bid rows (tender
sizes and each firm's bid count kept; the leave-one-out mean makes the null's r slightly
negative, which the shuffle includes). Agreement runs either way round, so the test asks
only whether the ids carry the prices' structure, not which side is the cartel's.

Tsuchiura: r = 0.144, p < 0.005 (kept); ids that say nothing: p spread as chance.
Weak prices and telling ids (all-tight bids of a fixed cartel) can fail it: the
bidder screens are then left out where they would have helped (`--score-model` keeps
them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Shuffles of the null; the smallest p the test can give is 1 / (SHUFFLES + 1).
SHUFFLES = 200
#: Largest p at which the ids count as carrying the prices' structure.
MAX_P = 0.05
#: Fixed seed: the same file gives the same answer on every run.
SEED = 20261203


@dataclass(frozen=True)
class PeerCheck:
    screen: str  # the price screen whose structure the ids carry best
    r: float  # its r: the tender's percentile vs its bidders' percentile elsewhere
    p: float  # one-sided permutation p-value of the largest r over the screens
    tenders: int  # tenders with prices and at least one bidder seen elsewhere
    agree: bool  # p <= MAX_P: the bidder screens may join the score


def peer_check(
    percentiles: dict[str, np.ndarray], scored: Sequence[bool], bidders: Sequence[frozenset[str]]
) -> PeerCheck | None:
    """The test over the `scored` tenders; None when too few tenders or firms.

    `percentiles`: each price screen's percentile per tender. The statistic is the
    largest r over the screens, and its null the largest r of each shuffle, so testing
    15 screens is no more likely to pass by chance than testing one."""
    tix, firm_of, fix = [], {}, []
    for i, (ok, firms) in enumerate(zip(scored, bidders, strict=True)):
        if not ok:
            continue
        for f in sorted(firms):
            tix.append(i)
            fix.append(firm_of.setdefault(f, len(firm_of)))
    if len(firm_of) < 2 or len(set(tix)) < 3 or not percentiles:
        return None
    names = list(percentiles)
    own = np.column_stack([np.asarray(percentiles[m], dtype=float) for m in names])
    rows, firms_ = np.array(tix), np.array(fix)
    rs, n = _peer_r(own, rows, firms_)
    if n < 3:
        return None
    best = int(np.argmax(rs))
    rng = np.random.default_rng(SEED)
    null = np.array([_peer_r(own, rows, rng.permutation(firms_))[0].max() for _ in range(SHUFFLES)])
    p = (1 + int(np.sum(null >= rs[best]))) / (SHUFFLES + 1)
    return PeerCheck(names[best], round(float(rs[best]), 4), round(p, 4), n, p <= MAX_P)


def _peer_r(own: np.ndarray, rows: np.ndarray, firms: np.ndarray) -> tuple[np.ndarray, int]:
    """Per column of own (tenders x screens): r between own[t] and the mean over t's bid
    rows of the firm's mean elsewhere; and how many tenders had a firm seen elsewhere."""
    count = np.bincount(firms).astype(float)
    elsewhere_n = count[firms] - 1
    seen = elsewhere_n > 0
    tenders = rows[seen]
    k = np.bincount(tenders, minlength=own.shape[0])
    has = k > 0
    out = np.zeros(own.shape[1])
    for j in range(own.shape[1]):
        col = own[:, j]
        total = np.bincount(firms, weights=col[rows])
        elsewhere = (total[firms] - col[rows])[seen] / elsewhere_n[seen]
        s = np.bincount(tenders, weights=elsewhere, minlength=own.shape[0])
        a, b = col[has], s[has] / k[has]
        if a.size >= 3 and a.std() > 0.0 and b.std() > 0.0:
            out[j] = float(np.corrcoef(a, b)[0, 1])
    return out, int(has.sum())
