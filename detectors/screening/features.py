"""Per-tender screens and bidder-history features, and their percentiles within the file.

Every feature has a literature direction (`FEATURES`): +1 if a higher value is more
suspicious, -1 if a lower one is. The score never sees raw values: each feature becomes
its directional percentile among the file's tenders (0.5 = the file's median, missing =
0.5), so a centre running it on its own history compares each tender with its own
market, whatever the currency, the project sizes or the award method.

Families (`needs`):
- prices: the whole-tender screens of `detectors.price_screens`, the subset summaries of
  `subsets`, and the missing-bids screen of Chassang, Kawai, Nakabayashi & Ortner
  (Econometrica 2022): competitive tenders have losing bids close above the winning one;
  rigged ones leave that band empty (`near_share` low).
- reserve: the price level against the reserve / ceiling price (最高投标限价).
- bidders (needs ids): each bidder's record in the *other* tenders of the file, so a
  tender's own outcome never explains itself: loss rate (cardinal-rs R025), the winner's
  loss rate (a usual loser's turn to win: rotation), and how often the tender's bidders
  meet elsewhere, as a Jaccard share of their participations (co-bidding), not as raw
  counts, so firms that merely bid a lot do not look like a ring.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from detectors.price_screens import screens
from detectors.screening.ranks import ROUNDING, tie_ranks
from detectors.screening.subsets import summary_screens
from detectors.screening.table import BidTable, Tender

#: Share of the winning bid within which a losing bid is "close" (missing-bids screen).
NEAR_WINDOW = 0.01
#: Bidders per tender used for pair features (the lowest bids; pairs grow as n^2).
MAX_PAIR_BIDDERS = 60


@dataclass(frozen=True)
class Feature:
    direction: int  # +1: higher is more suspicious; -1: lower is
    needs: str  # "prices", "reserve" or "bidders"
    en: str
    zh: str


FEATURES: dict[str, Feature] = {
    "cv": Feature(-1, "prices", "coefficient of variation", "变异系数"),
    "spd": Feature(-1, "prices", "spread (max-min)/min", "极差率"),
    "diffp": Feature(1, "prices", "gap lowest to second", "第一第二低价差"),
    "rd": Feature(1, "prices", "relative distance (cover bids)", "相对距离（陪标）"),
    "kurt": Feature(1, "prices", "kurtosis", "峰度"),
    "skew": Feature(-1, "prices", "skewness", "偏度"),
    "ks": Feature(1, "prices", "KS distance from uniform", "KS 统计量"),
    "cv3_min": Feature(-1, "prices", "lowest CV of any 3 bids", "任意3家最小变异系数"),
    "cv4_min": Feature(-1, "prices", "lowest CV of any 4 bids", "任意4家最小变异系数"),
    "spd4_min": Feature(-1, "prices", "lowest spread of any 4 bids", "任意4家最小极差率"),
    "rd3_med": Feature(1, "prices", "median RD of 3-bid subsets", "3家子集相对距离中位数"),
    "rd4_mean": Feature(1, "prices", "mean RD of 4-bid subsets", "4家子集相对距离均值"),
    "diffp3_max": Feature(1, "prices", "largest gap in 3-bid subsets", "3家子集最大价差"),
    "skew4_med": Feature(-1, "prices", "median skew of 4-bid subsets", "4家子集偏度中位数"),
    "near_share": Feature(
        -1,
        "prices",
        "share of losing bids within 1% of the lowest (missing bids)",
        "紧邻最低价的报价占比（缺失报价）",
    ),
    "win_ratio": Feature(1, "reserve", "lowest bid / reserve price", "最低报价/最高限价"),
    "mean_ratio": Feature(1, "reserve", "mean bid / reserve price", "平均报价/最高限价"),
    "loss_rate": Feature(
        1, "bidders", "bidders' loss rate elsewhere (R025)", "投标人在其他标段的未中标率"
    ),
    "winner_loss": Feature(
        1,
        "bidders",
        "winner's loss rate elsewhere (rotation)",
        "中标人在其他标段的未中标率（轮流中标）",
    ),
    "cobid_mean": Feature(
        1, "bidders", "mean co-bidding share of bidder pairs", "投标人两两共同投标比例均值"
    ),
    "cobid_min": Feature(
        1, "bidders", "lowest co-bidding share of bidder pairs", "投标人两两共同投标比例最小值"
    ),
}


def price_features(t: Tender) -> dict[str, float | None]:
    """Whole-tender screens, subset summaries, missing bids and the reserve ratios."""
    prices = t.sorted_prices
    s = screens(prices)
    out: dict[str, float | None] = {
        k: getattr(s, k) for k in ("cv", "spd", "diffp", "rd", "kurt", "skew", "ks")
    }
    subs = summary_screens(prices)
    out.update({k: subs.get(k) for k in FEATURES if k in subs})
    out["near_share"] = None
    if len(prices) >= 2:
        low = prices[0]
        out["near_share"] = sum(
            1 for p in prices[1:] if p <= low * (1 + NEAR_WINDOW) * (1 + ROUNDING)
        ) / (len(prices) - 1)
    out["win_ratio"] = out["mean_ratio"] = None
    if t.reserve and prices:
        out["win_ratio"] = prices[0] / t.reserve
        out["mean_ratio"] = float(np.mean(prices)) / t.reserve
    return out


@dataclass
class History:
    """Each bidder's participations and wins, and each pair's shared tenders, file-wide."""

    bids: Counter[str]
    wins: Counter[str]
    pairs: Counter[tuple[str, str]]

    @classmethod
    def of(cls, table: BidTable) -> History:
        bids: Counter[str] = Counter()
        wins: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        for t in table.tenders.values():
            members = _pair_members(t)
            bids.update(t.bidders)
            if t.winner in t.bidders:
                wins[t.winner] += 1
            pairs.update(combinations(members, 2))
        return cls(bids, wins, pairs)


def _pair_members(t: Tender) -> list[str]:
    ids = sorted(t.bidders, key=lambda b: (t.bids[b], b))[:MAX_PAIR_BIDDERS]
    return sorted(ids)


def bidder_features(t: Tender, h: History) -> dict[str, float | None]:
    """Leave-this-tender-out bidder features (None where no bidder has another tender)."""
    out: dict[str, float | None] = dict.fromkeys(
        ("loss_rate", "winner_loss", "cobid_mean", "cobid_min")
    )

    def loss(b: str) -> float | None:
        others = h.bids[b] - 1
        if others <= 0:
            return None
        return 1.0 - (h.wins[b] - (1 if t.winner == b else 0)) / others

    losses = [x for b in t.bidders if (x := loss(b)) is not None]
    if losses:
        out["loss_rate"] = float(np.mean(losses))
    if t.winner in t.bidders:
        out["winner_loss"] = loss(t.winner)
    shares = []
    for a, c in combinations(_pair_members(t), 2):
        both = h.pairs[(a, c)] - 1
        union = (h.bids[a] - 1) + (h.bids[c] - 1) - both
        shares.append(both / union if union > 0 else 0.0)
    if shares:
        out["cobid_mean"] = float(np.mean(shares))
        out["cobid_min"] = float(np.min(shares))
    return out


def tender_features(table: BidTable) -> list[dict[str, float | None]]:
    """Raw feature values per tender, in table order."""
    history = History.of(table) if table.has_bidders else None
    rows = []
    for t in table.tenders.values():
        row = price_features(t)
        if history is not None:
            row.update(bidder_features(t, history))
        rows.append(row)
    return rows


def directional_percentiles(
    rows: Sequence[dict[str, float | None]], names: Sequence[str]
) -> dict[str, np.ndarray]:
    """name -> per-tender percentile in (0, 1) of direction * value; missing -> 0.5.

    Mid-ranks over the tenders where the feature is defined: (rank - 0.5) / m, so the
    file's median sits at 0.5 and ties share one value. Values equal but for floating-point
    rounding are ties (`ranks.tie_ranks`): the same spread in yuan and in fen must rank alike.
    """
    out: dict[str, np.ndarray] = {}
    for name in names:
        sign = FEATURES[name].direction
        values = np.array(
            [np.nan if r.get(name) is None else sign * float(r[name]) for r in rows], dtype=float
        )
        pct = np.full(len(rows), 0.5)
        ok = np.isfinite(values)
        if ok.any():
            pct[ok] = (tie_ranks(values[ok]) - 0.5) / ok.sum()
        out[name] = pct
    return out
