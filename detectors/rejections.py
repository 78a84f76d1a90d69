"""Disqualification rules over `bid.rejected` (否决投标): REJ-ALL, REJ-LOW, REJ-RATE.

- REJ-ALL (cardinal-rs R035), per project: at `evaluation.finished`, every bid but the
  winner's (rank 1) was rejected, at least `min_rejected` of them. Re-judged when a
  rejection arrives after the finish. No subjects (the case is about the award).
- REJ-LOW (R036), per project: the lowest bid is rejected where price decides (the
  project's `evaluation_method` is one of `price_methods`, or not given and
  `unknown_method` is on). Prices are the read-out ones (`bid.opened`) where known, else
  the submitted ones. Judged at each rejection and again at `evaluation.finished`.
  Subject: the rejected bidder.
- REJ-RATE (R038), across projects (state key "*"): a bidder, or the procurement agent
  named by the optional `agent` field of `project.registered` (招标代理机构), with at
  least `min_bids` bids counted of which `max_share` or more were rejected. Bids count
  when the project's evaluation finishes; the alert (one per entity, project "*") is
  updated at each later finish while the share stays high. Subjects: the bidder, or for
  an agent the bidders it rejected in the latest project.

Live thresholds are fixed; `witness screen` takes REJ-RATE's fence from the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from detectors.base import Context, CrossProjectDetector, ProjectDetector
from detectors.tally import Tally, winner_of
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, Event
from witness.thresholds import RuleThresholds, thresholds_section

PRICE_METHODS = ("lowest_price", "最低投标价法", "经评审的最低投标价法", "最低评标价法", "最低价法")


@thresholds_section("REJ-ALL")
class AllRejectedThresholds(RuleThresholds):
    """REJ-ALL (R035): every bid but the winner's rejected."""

    min_rejected: int = Field(1, ge=1)


@thresholds_section("REJ-LOW")
class LowestRejectedThresholds(RuleThresholds):
    """REJ-LOW (R036): the lowest bid rejected where price decides."""

    price_methods: tuple[str, ...] = Field(PRICE_METHODS, description="methods where price decides")
    unknown_method: bool = Field(True, description="judge projects without evaluation_method")


@thresholds_section("REJ-RATE")
class RejectionRateThresholds(RuleThresholds):
    """REJ-RATE (R038): a high share of rejected bids for a bidder or an agent."""

    min_bids: int = Field(5, ge=1)
    max_share: float = Field(0.5, gt=0, le=1)
    fence_k: float = Field(1.5, ge=0, le=10, description="witness screen: Q3 + k*IQR")
    min_entities: int = Field(30, ge=4, description="witness screen: entities for a fence")
    max_entities: int = Field(200_000, ge=1, description="live state bound")


@dataclass
class Rejection:
    reason: str
    at: str
    event_id: str


@dataclass
class RejectionState:
    method: str | None = None
    prices: dict[str, float] = field(default_factory=dict)
    read_out: set[str] = field(default_factory=set)
    bidders: set[str] = field(default_factory=set)
    rejected: dict[str, Rejection] = field(default_factory=dict)
    winner: str | None = None
    finish_event: str | None = None


def _rejection_table(rejected: dict[str, Rejection]) -> list[dict[str, Any]]:
    return [
        {"bidder_id": b, "reason": r.reason, "at": r.at, "event_id": r.event_id}
        for b, r in sorted(rejected.items())
    ]


class RejectionDetector(ProjectDetector):
    """REJ-ALL and REJ-LOW over one project."""

    name = "rejections"
    rules = ("REJ-ALL", "REJ-LOW")
    types = frozenset(
        {"project.registered", "bid.submitted", "bid.opened", "bid.rejected", "evaluation.finished"}
    )

    def initial(self) -> RejectionState:
        return RejectionState()

    def step(
        self, state: RejectionState, event: Event, ctx: Context
    ) -> tuple[RejectionState, list[Alert]]:
        p = event.payload
        if event.type == "project.registered":
            state.method = p.evaluation_method
            return state, []
        if event.type == "bid.submitted":
            state.bidders.add(p.bidder.id)
            if p.bidder.id not in state.read_out:
                state.prices[p.bidder.id] = p.price
            return state, []
        if event.type == "bid.opened":
            state.bidders.add(p.bidder_id)
            state.prices[p.bidder_id] = p.price
            state.read_out.add(p.bidder_id)
            return state, []
        if event.type == "bid.rejected":
            state.bidders.add(p.bidder_id)
            state.rejected[p.bidder_id] = Rejection(p.reason, p.at.isoformat(), event.event_id)
        else:
            state.bidders |= {r.bidder_id for r in p.ranking}
            state.winner = winner_of(list(p.ranking))
            state.finish_event = event.event_id
        alerts = self._lowest(state, event, ctx)
        if state.winner is not None:
            alerts.extend(self._all_but_winner(state, event, ctx))
        return state, alerts

    def _lowest(self, state: RejectionState, event: Event, ctx: Context) -> list[Alert]:
        sec = ctx.thresholds.typed(LowestRejectedThresholds)
        if state.method is None and not sec.unknown_method:
            return []
        if state.method is not None and state.method not in sec.price_methods:
            return []
        if len(state.prices) < 2:
            return []
        low = min(state.prices.values())
        out = []
        for b in sorted(state.rejected):
            if state.prices.get(b) != low:
                continue
            r = state.rejected[b]
            evidence = {
                "bidder_id": b,
                "price": low,
                "reason": r.reason,
                "rejected_at": r.at,
                "bids": len(state.prices),
                "second_lowest": sorted(state.prices.values())[1],
                "evaluation_method": state.method,
            }
            out.append(
                make_alert(
                    "REJ-LOW",
                    event.project_id,
                    identity={"bidder": b},
                    subjects=[b],
                    evidence=evidence,
                    event_ids=[r.event_id],
                    first_seen=event.ts,
                    locale=ctx.locale,
                )
            )
        return out

    def _all_but_winner(self, state: RejectionState, event: Event, ctx: Context) -> list[Alert]:
        minimum = ctx.thresholds.typed(AllRejectedThresholds).min_rejected
        others = state.bidders - {state.winner}
        rejected = set(state.rejected)
        if not others or state.winner in rejected or not others <= rejected:
            return []
        if len(rejected) < minimum:
            return []
        evidence = {
            "winner": state.winner,
            "bidders": len(state.bidders),
            "rejected": _rejection_table(state.rejected),
            "threshold": {"min_rejected": minimum},
        }
        return [
            make_alert(
                "REJ-ALL",
                event.project_id,
                identity={"check": "all_but_winner"},
                subjects=[],
                evidence=evidence,
                event_ids=[
                    *(r.event_id for _, r in sorted(state.rejected.items())),
                    *([state.finish_event] if state.finish_event else []),
                ],
                first_seen=event.ts,
                locale=ctx.locale,
            )
        ]


@dataclass
class RateState:
    tally: Tally | None = None
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # project -> bids, agent


class RejectionRateDetector(CrossProjectDetector):
    """REJ-RATE across projects (state key "*")."""

    name = "rej-rate"
    rules = ("REJ-RATE",)
    types = frozenset(
        {
            "project.registered",
            "bid.submitted",
            "bid.rejected",
            "evaluation.finished",
            "project.archived",
        }
    )

    def initial(self) -> RateState:
        return RateState()

    def step(self, state: RateState, event: Event, ctx: Context) -> tuple[RateState, list[Alert]]:
        sec = ctx.thresholds.typed(RejectionRateThresholds)
        if state.tally is None:
            state.tally = Tally(capacity=sec.max_entities)
        if event.type == "project.archived":
            state.pending.pop(event.project_id, None)
            return state, []
        pend = state.pending.setdefault(
            event.project_id, {"bidders": set(), "rejected": {}, "agent": None}
        )
        p = event.payload
        if event.type == "project.registered":
            agent = getattr(p, "agent", None)
            pend["agent"] = str(agent) if agent else None
            return state, []
        if event.type == "bid.submitted":
            pend["bidders"].add(p.bidder.id)
            return state, []
        if event.type == "bid.rejected":
            pend["bidders"].add(p.bidder_id)
            pend["rejected"][p.bidder_id] = event.event_id
            return state, []
        state.pending.pop(event.project_id, None)
        bidders = pend["bidders"] | {r.bidder_id for r in p.ranking}
        rejected: dict[str, str] = pend["rejected"]
        entities = [(b, 1, int(b in rejected), [b]) for b in sorted(bidders)]
        if pend["agent"]:
            entities.append(
                (f"agent:{pend['agent']}", len(bidders), len(rejected), sorted(rejected))
            )
        alerts = []
        for entity, total, hits, subjects in entities:
            rec = state.tally.add(entity, event.project_id, total=total, hits=hits)
            if not rec.hits or rec.total < sec.min_bids or rec.share < sec.max_share:
                continue
            kind, _, ident = (
                entity.rpartition(":") if entity.startswith("agent:") else ("", "", entity)
            )
            evidence = {
                "entity": ident,
                "kind": kind or "bidder",
                "bids": rec.total,
                "rejected": rec.hits,
                "share": round(rec.share, 4),
                "recent_projects": list(rec.recent),
                "thresholds": {"min_bids": sec.min_bids, "max_share": sec.max_share},
            }
            alerts.append(
                make_alert(
                    "REJ-RATE",
                    GLOBAL_PROJECT,
                    identity={"entity": entity},
                    subjects=subjects,
                    evidence=evidence,
                    event_ids=[rejected[b] for b in subjects if b in rejected] + [event.event_id],
                    first_seen=event.ts,
                    locale=ctx.locale,
                    projects=list(rec.recent),  # sealed while any of them is
                )
            )
        return state, alerts
