"""One bid table -> one row per tender, the bidder groups, and how often each flag fired.

Tender rows carry the price screens of `detectors.price_screens` (the functions the live
PRICE-* rules use), the rule flags of `flags`, the score of `score` and the screens that
drove it. Group rows are the co-bidding and win-rotation analysis of REL-RING
(`detectors.rings.RingIndex`, the same search as live).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from detectors.price_screens import screens
from detectors.rings import RingIndex, RingStats, RingThresholds
from detectors.rings import Tender as RingTender
from detectors.screening.features import tender_features
from detectors.screening.flags import Cut, table_flags
from detectors.screening.score import MODEL_NAMES, format_drivers, score_tenders, variant
from detectors.screening.table import BidTable
from witness.config import Thresholds

SCREEN_COLUMNS = ("cv", "spd", "diffp", "rd", "kurt", "skew", "ks")
TENDER_COLUMNS = ("tender", "n_bids", *SCREEN_COLUMNS, "flags", "score", "drivers")
GROUP_COLUMNS = (
    "group",
    "size",
    "shared_tenders",
    "group_wins",
    "distinct_winners",
    "group_win_share",
    "rotation",
    "wins",
    "tenders",
    "flags",
)
#: Every flag `witness screen` can raise, in the order its summary lists them.
FLAG_RULES = (
    "PRICE-40-4",
    "PRICE-SCREEN",
    "PRICE-CLOSE",
    "PRICE-DISCOUNT",
    "BID-LOSER",
    "REJ-ALL",
    "REJ-LOW",
    "REJ-RATE",
    "PROC-SHORT",
    "REL-RING",
)

#: Default share of tenders above which `witness screen` warns that a flag fires too often.
WARN_SHARE = 0.25

Progress = Callable[[Iterable, str, int], Iterable]


def _no_progress(items: Iterable, desc: str, total: int) -> Iterable:
    return items


@dataclass(frozen=True)
class FlagShare:
    rule: str
    tenders: int  # tenders flagged
    share: float  # of all tenders with at least one bid
    warn: bool  # share above the configured warning share


@dataclass
class ScreenResult:
    tenders: list[dict]
    groups: list[dict]
    model: str
    shares: list[FlagShare]
    cuts: dict[str, Cut] = field(default_factory=dict)
    identical_tenders: int = 0  # tenders flagged PRICE-40-4 because of identical prices
    reversed: tuple[str, ...] = ()  # screens the score turned round in this file


def ring_groups(table: BidTable, th: RingThresholds, progress: Progress) -> list[RingStats]:
    """Every candidate group seen in >= min_shared_tenders tenders, ring or not, sorted."""
    index = RingIndex()
    for t in table.tenders.values():
        if t.bidders:
            index.add(RingTender(t.tender, t.bidders, t.winner))
    seen: set[frozenset[str]] = set()
    out = []
    for tid in progress(list(index.tenders), "groups", len(index.tenders)):
        for g in index.candidates(tid, th.min_group_size):
            if g in seen:
                continue
            seen.add(g)
            s = index.stats(g, th)
            if len(s.tenders) >= th.min_shared_tenders:
                out.append(s)
    return sorted(out, key=lambda s: (not s.ring, -len(s.tenders), s.group))


def flag_shares(rows: list[dict], warn_share: float) -> list[FlagShare]:
    """Per flag: tenders flagged and their share of the tenders with bids."""
    base = sum(1 for r in rows if r["n_bids"] > 0) or 1
    out = []
    for rule_id in FLAG_RULES:
        n = sum(1 for r in rows if rule_id in r["flags"].split(";"))
        share = n / base
        out.append(FlagShare(rule_id, n, share, share > warn_share))
    return out


def screen(
    table: BidTable,
    thresholds: Thresholds | None = None,
    *,
    warn_share: float | None = None,
    progress: Progress = _no_progress,
    model: str | None = None,
) -> ScreenResult:
    """Screens, flags, score and groups of every tender. `model` picks the score's variant
    (`score.MODEL_NAMES`); default: every column the table has. A file whose bidder ids
    say nothing about the cartel (the same firms in rigged and honest tenders) scores
    better on prices alone, while its bidder flags and groups still run."""
    th = thresholds or Thresholds.defaults()
    if warn_share is None:
        warn_share = WARN_SHARE
    ring_th = th.typed(RingThresholds)
    tenders = list(table.tenders.values())
    features = tender_features(table)
    n_bids = [len(t.bids) for t in tenders]
    available = variant(table.has_bidders, table.has_reserve)
    if model is None:
        model = available
    elif model not in MODEL_NAMES:
        raise ValueError(f"score model {model!r} is not one of {MODEL_NAMES}")
    elif not set(model.split("+")) <= set(available.split("+")):
        raise ValueError(f"score model {model!r} needs columns this table lacks ({available})")
    scored = score_tenders(features, n_bids, model)
    groups = ring_groups(table, ring_th, progress) if table.has_bidders else []
    in_ring = {tid for g in groups if g.ring for tid in g.tenders}
    flagged = table_flags(table, th, in_ring)
    rows = []
    for t, sc in zip(tenders, scored.tenders, strict=True):
        s = screens(t.sorted_prices)
        rows.append(
            {
                "tender": t.tender,
                "n_bids": s.n,
                **{c: getattr(s, c) for c in SCREEN_COLUMNS},
                "flags": ";".join(r for r in FLAG_RULES if r in flagged.flags[t.tender]),
                "score": sc.score,
                "drivers": format_drivers(sc.drivers, scored.reversed),
                "_label": t.label,
            }
        )
    group_rows = [
        {
            "group": ";".join(g.group),
            "size": len(g.group),
            "shared_tenders": len(g.tenders),
            "group_wins": g.group_wins,
            "distinct_winners": g.distinct_winners,
            "group_win_share": g.group_win_share,
            "rotation": g.rotation,
            "wins": ";".join(f"{m}:{c}" for m, c in g.wins.items()),
            "tenders": ";".join(g.tenders),
            "flags": "REL-RING" if g.ring else "",
        }
        for g in groups
    ]
    return ScreenResult(
        rows,
        group_rows,
        model,
        flag_shares(rows, warn_share),
        flagged.cuts,
        sum(1 for v in flagged.identical.values() if v),
        scored.reversed,
    )
