"""Rule flags over a whole bid table, with fences from the file's own distribution.

The live rules judge one project at a time against fixed thresholds (`thresholds.toml`).
Over a historical table the file itself is the benchmark, as in open-contracting's
cardinal-rs: a gap is "unusually close" below the lower fence Q1 - k*IQR of all gaps in
the file (R024), "heavily discounted" above Q3 + k*IQR (R058), a bidder "loses
excessively" with many bids and a win share below the fence of all bidders (R025), a
rejection share is high above the fence of all shares (R038). A file too small for a
fence (fewer than `min_tenders` values) uses the fixed live threshold instead; the
fence or threshold used is reported with the results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from detectors.losers import LoserThresholds
from detectors.price_screens import identical_prices, imhof_flag, screens
from detectors.prices import (
    CloseBidThresholds,
    DiscountBidThresholds,
    PriceScreenThresholds,
    RegularPricesThresholds,
)
from detectors.procedure import ShortPeriodThresholds, calendar_days
from detectors.rejections import AllRejectedThresholds, RejectionRateThresholds
from detectors.screening.table import BidTable, Tender
from witness.config import Thresholds


@dataclass(frozen=True)
class Cut:
    """The threshold a flag used over this file and where it came from."""

    value: float
    source: str  # "file fence" or "fixed threshold"


def fence(values: Sequence[float], k: float, side: str) -> float:
    """Tukey fence: Q1 - k*IQR ("lower") or Q3 + k*IQR ("upper")."""
    q1, q3 = np.percentile(np.asarray(values, dtype=float), [25, 75])
    return float(q1 - k * (q3 - q1)) if side == "lower" else float(q3 + k * (q3 - q1))


def cut(values: Sequence[float], sec, fixed_key: str, side: str, min_key: str) -> Cut:
    """The file's fence when it has at least `min_key` values, else the fixed threshold."""
    if len(values) >= getattr(sec, min_key):
        return Cut(fence(values, sec.fence_k, side), "file fence")
    return Cut(float(getattr(sec, fixed_key)), "fixed threshold")


def gap(t: Tender) -> float | None:
    """(second-lowest - lowest) / lowest: R024 / R058's 'difference'."""
    p = t.sorted_prices
    return (p[1] - p[0]) / p[0] if len(p) >= 2 else None


@dataclass
class FlagResult:
    flags: dict[str, list[str]]  # tender -> rule ids
    cuts: dict[str, Cut] = field(default_factory=dict)
    identical: dict[str, int] = field(default_factory=dict)  # tender -> bidders sharing a price
    losers: dict[str, tuple[int, int]] = field(default_factory=dict)  # bidder -> (bids, wins)
    high_rejection: dict[str, float] = field(default_factory=dict)  # entity -> share


def price_flags(t: Tender, th: Thresholds) -> tuple[list[str], int]:
    """PRICE-40-4 (regular or identical prices) and PRICE-SCREEN of one tender."""
    flags = []
    prices = list(t.bids.values())
    sec = th.typed(RegularPricesThresholds)
    ladder = sec.ladder(prices)
    same = identical_prices({k: v for k, v in t.bids.items()})
    if ladder is not None or same:
        flags.append("PRICE-40-4")
    sec = th.typed(PriceScreenThresholds)
    if imhof_flag(
        screens(prices),
        min_bids=sec.min_bids,
        cv_max=sec.cv_max,
        rd_min=sec.rd_min,
        max_chance=sec.max_chance,
    ):
        flags.append("PRICE-SCREEN")
    return flags, sum(len(b) for _, b in same)


def table_flags(table: BidTable, th: Thresholds, ring_tenders: set[str]) -> FlagResult:
    tenders = list(table.tenders.values())
    res = FlagResult(flags={t.tender: [] for t in tenders})
    for t in tenders:
        flags, same = price_flags(t, th)
        res.flags[t.tender].extend(flags)
        res.identical[t.tender] = same
    _gap_flags(tenders, th, res)
    if table.has_bidders:
        _loser_flags(tenders, th, res)
    _rejection_flags(tenders, th, res)
    _short_flags(tenders, th, res)
    for tid in ring_tenders:
        if tid in res.flags:
            res.flags[tid].append("REL-RING")
    return res


def _gap_flags(tenders: list[Tender], th: Thresholds, res: FlagResult) -> None:
    close, disc = th.typed(CloseBidThresholds), th.typed(DiscountBidThresholds)
    gaps = {t.tender: g for t in tenders if (g := gap(t)) is not None}
    n_bids = {t.tender: len(t.bids) for t in tenders}
    for rule_id, sec, fixed, side in (
        ("PRICE-CLOSE", close, "max_gap", "lower"),
        ("PRICE-DISCOUNT", disc, "min_gap", "upper"),
    ):
        eligible = {tid: g for tid, g in gaps.items() if n_bids[tid] >= sec.min_bids}
        c = cut(list(eligible.values()), sec, fixed, side, "min_tenders")
        res.cuts[rule_id] = c
        for tid, g in eligible.items():
            if (side == "lower" and g <= c.value) or (side == "upper" and g >= c.value):
                res.flags[tid].append(rule_id)


def _loser_flags(tenders: list[Tender], th: Thresholds, res: FlagResult) -> None:
    """BID-LOSER (R025): many bids, a win share below the fence of all bidders."""
    sec = th.typed(LoserThresholds)
    bids: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    for t in tenders:
        bids.update(t.bidders)
        if t.winner in t.bidders:
            wins[t.winner] += 1
    if not bids:
        return
    top = max(float(np.percentile(list(bids.values()), sec.top_percentile)), sec.min_bids)
    ratios = [wins[b] / n for b, n in bids.items()]
    c = cut(ratios, sec, "max_win_share", "lower", "min_tenders")
    c = Cut(max(c.value, float(sec.max_win_share)), c.source)
    res.cuts["BID-LOSER"] = c
    res.losers = {b: (n, wins[b]) for b, n in bids.items() if n >= top and wins[b] / n <= c.value}
    for t in tenders:
        if any(b in res.losers and b != t.winner for b in t.bidders):
            res.flags[t.tender].append("BID-LOSER")


def _rejection_flags(tenders: list[Tender], th: Thresholds, res: FlagResult) -> None:
    """REJ-ALL (R035), REJ-LOW (R036), REJ-RATE (R038, per bidder and per agent)."""
    min_rejected = th.typed(AllRejectedThresholds).min_rejected
    for t in tenders:
        if not t.rejected:
            continue
        others = set(t.bids) - {t.winner}
        if (
            t.winner in t.bids
            and t.winner not in t.rejected
            and others
            and others <= t.rejected
            and len(t.rejected) >= min_rejected
        ):
            res.flags[t.tender].append("REJ-ALL")
        prices = t.sorted_prices
        if len(prices) >= 2 and any(t.bids[k] == prices[0] for k in t.rejected):
            res.flags[t.tender].append("REJ-LOW")
    sec = th.typed(RejectionRateThresholds)
    counts: dict[str, list[int]] = {}
    for t in tenders:
        entities = [(b, b in t.rejected) for b in t.bidders]
        if t.agent:
            entities += [(f"agent:{t.agent}", k in t.rejected) for k in t.bids]
        for e, rejected in entities:
            c = counts.setdefault(e, [0, 0])
            c[0] += 1
            c[1] += int(rejected)
    shares = {e: r / n for e, (n, r) in counts.items() if n >= sec.min_bids}
    if not any(r for _, r in counts.values()):
        return
    c = cut(list(shares.values()), sec, "max_share", "upper", "min_entities")
    res.cuts["REJ-RATE"] = c
    # a share of 0 never fires, even when most entities have no rejection (fence 0)
    res.high_rejection = {e: s for e, s in shares.items() if s >= c.value and s > 0}
    for t in tenders:
        hit = any(b in res.high_rejection and b in t.rejected for b in t.bidders)
        if t.agent and f"agent:{t.agent}" in res.high_rejection and t.rejected:
            hit = True
        if hit:
            res.flags[t.tender].append("REJ-RATE")


def _short_flags(tenders: list[Tender], th: Thresholds, res: FlagResult) -> None:
    """PROC-SHORT: fewer than min_days from publication to the bid deadline, in calendar
    days as the live rule counts them (detectors/procedure.calendar_days)."""
    short = th.typed(ShortPeriodThresholds)
    for t in tenders:
        if (
            t.published is not None
            and t.deadline is not None
            and calendar_days(t.published, t.deadline, short.time_zone) < short.min_days
        ):
            res.flags[t.tender].append("PROC-SHORT")
