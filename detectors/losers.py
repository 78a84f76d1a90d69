"""BID-LOSER: across projects, a bidder that bids often and almost never wins (陪标).

cardinal-rs R025 ("excessive unsuccessful bids"). A cross-project rule (state key "*",
like REL-RING): it learns each project's bidders from `bid.submitted` and counts a
tender for every one of them when `evaluation.finished` names the winner (rank 1), so a
still-sealed bid is never counted or shown. A bidder with at least `min_bids` finished
tenders of which it won at most `max_win_share` is flagged; the alert (project "*",
one id per bidder) grows as the bidder keeps losing. It names its recent projects in
`projects`, so a finish that came before the opening (PROC-ORDER) keeps it sealed. State is bounded by `max_bidders`
(`detectors.tally`).

Live thresholds are fixed; `witness screen` compares each bidder with the file's own
distribution of win shares instead (Tukey fence, never looser than `max_win_share`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from detectors.base import Context, CrossProjectDetector
from detectors.tally import Tally, winner_of
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, Event
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("BID-LOSER")
class LoserThresholds(RuleThresholds):
    """BID-LOSER (R025): many bids, almost no wins."""

    min_bids: int = Field(8, ge=1, description="finished tenders a bidder needs")
    max_win_share: float = Field(0.05, ge=0, le=1, description="won at most this share")
    top_percentile: int | float = Field(75, ge=0, le=100, description="witness screen")
    fence_k: float = Field(1.5, ge=0, le=10, description="witness screen: Q1 - k*IQR")
    min_tenders: int = Field(30, ge=4, description="witness screen: bidders for a fence")
    max_bidders: int = Field(200_000, ge=1, description="live state bound")
    recent: int = Field(10, ge=1, le=1000, description="projects quoted in evidence")


@dataclass
class LoserState:
    tally: Tally | None = None
    pending: dict[str, set[str]] = field(default_factory=dict)  # project -> bidders
    names: dict[str, str] = field(default_factory=dict)


class LoserDetector(CrossProjectDetector):
    name = "bid-loser"
    rules = ("BID-LOSER",)
    types = frozenset({"bid.submitted", "evaluation.finished", "project.archived"})

    def initial(self) -> LoserState:
        return LoserState()

    def step(self, state: LoserState, event: Event, ctx: Context) -> tuple[LoserState, list[Alert]]:
        sec = ctx.thresholds.typed(LoserThresholds)
        if state.tally is None:
            state.tally = Tally(capacity=sec.max_bidders, recent=sec.recent)
        p = event.payload
        if event.type == "bid.submitted":
            state.pending.setdefault(event.project_id, set()).add(p.bidder.id)
            if len(state.names) < state.tally.capacity:
                state.names[p.bidder.id] = p.bidder.name
            return state, []
        if event.type == "project.archived":
            state.pending.pop(event.project_id, None)
            return state, []
        bidders = state.pending.pop(event.project_id, set()) | {r.bidder_id for r in p.ranking}
        winner = winner_of(list(p.ranking))
        alerts = []
        for b in sorted(bidders):
            rec = state.tally.add(b, event.project_id, hits=int(b == winner))
            if b == winner or rec.total < sec.min_bids or rec.share > sec.max_win_share:
                continue
            evidence = {
                "bidder_id": b,
                "bidder_name": state.names.get(b),
                "tenders": rec.total,
                "wins": rec.hits,
                "win_share": round(rec.share, 4),
                "recent_projects": list(rec.recent),
                "thresholds": {"min_bids": sec.min_bids, "max_win_share": sec.max_win_share},
            }
            alerts.append(
                make_alert(
                    "BID-LOSER",
                    GLOBAL_PROJECT,
                    identity={"bidder": b},
                    subjects=[b],
                    evidence=evidence,
                    event_ids=[event.event_id],
                    first_seen=event.ts,
                    locale=ctx.locale,
                    projects=list(rec.recent),  # sealed while any of them is
                )
            )
        return state, alerts
