"""EXP-AVOID: an assigned expert's conflicts of interest with a bidder, before any score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import Field

from detectors.base import Context, ProjectDetector
from detectors.registry import Registry
from witness.alerts import Alert, make_alert
from witness.events import Event, Expert, Party, RegistryRelation
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("EXP-AVOID")
class AvoidanceThresholds(RuleThresholds):
    """EXP-AVOID: an expert's conflict of interest with a bidder."""

    years: int = Field(
        3, ge=0, le=50, description="past employment / directorship counts this long"
    )
    control_share: float = Field(0.5, gt=0, le=1)


def years_before(day: date, years: int) -> date:
    """`day` minus whole years (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _within(rel: RegistryRelation, ref: date, cutoff: date) -> bool:
    """A registry fact held at some time in [cutoff, ref] (open ends count as held)."""
    if rel.since is not None and rel.since > ref:
        return False
    return rel.until is None or rel.until >= cutoff


@dataclass
class ExpertRecord:
    expert: Expert
    event_id: str
    assigned_on: date
    room_id: str | None


@dataclass
class BidderRecord:
    party: Party | None  # None when only a `bid.opened` named the bidder
    event_id: str


@dataclass
class AvoidanceState:
    experts: dict[str, ExpertRecord] = field(default_factory=dict)
    bidders: dict[str, BidderRecord] = field(default_factory=dict)


#: registry kind -> (conflict while held at the reference date, conflict if ended since)
_REGISTRY_CONFLICT = {
    "employment": ("employed_by_bidder", "past_employment"),
    "director": ("director_of_bidder", "past_director_of_bidder"),
    "legal_rep": ("legal_rep_of_bidder", "past_legal_rep_of_bidder"),
    "shareholder": ("controlling_shareholder_of_bidder", "past_controlling_shareholder_of_bidder"),
}


def conflicts(
    expert: Expert,
    bidder_id: str,
    party: Party | None,
    registry: Registry,
    ref: date,
    years: int,
    control_share: float,
) -> list[dict[str, Any]]:
    """Every reason `expert` must avoid `bidder_id`, each with its source. Pure.

    `ref` is the assignment date; "within `years`" means held on or after ref − years.
    A past employer without an end date counts (the end cannot be shown to be older).
    """
    out: list[dict[str, Any]] = []
    cutoff = years_before(ref, years)
    eid = expert.id

    # employment at the bidder: now, or within the window
    if expert.employer == bidder_id:
        out.append({"conflict": "employed_by_bidder", "source": "expert.employer"})
    for past in expert.past_employers:
        if past.id == bidder_id and (past.until is None or past.until >= cutoff):
            until = past.until.isoformat() if past.until else None
            out.append(
                {"conflict": "past_employment", "until": until, "source": "expert.past_employers"}
            )
    for rel in registry.outgoing(eid):
        if rel.b != bidder_id or not _within(rel, ref, cutoff):
            continue
        if rel.kind == "shareholder" and (rel.share or 0.0) < control_share:
            continue
        if rel.kind in _REGISTRY_CONFLICT:
            ended = rel.until is not None and rel.until < ref
            out.append(
                {
                    "conflict": _REGISTRY_CONFLICT[rel.kind][ended],
                    "since": rel.since.isoformat() if rel.since else None,
                    "until": rel.until.isoformat() if rel.until else None,
                    "share": rel.share,
                    "source": f"registry ({rel.source or 'registry.relation'})",
                }
            )

    # the bid itself names the expert among the bidder's people
    legal_reps: dict[str, str] = {}
    if party is not None:
        if party.legal_rep and party.legal_rep.id_no:
            legal_reps[party.legal_rep.id_no] = "bid.bidder.legal_rep"
            if party.legal_rep.id_no == eid:
                out.append({"conflict": "legal_rep_of_bidder", "source": "bid.bidder.legal_rep"})
        for d in party.directors:
            if d.id_no and d.id_no == eid:
                out.append({"conflict": "director_of_bidder", "source": "bid.bidder.directors"})
        for sh in party.shareholders:
            if sh.id == eid and (sh.share or 0.0) >= control_share:
                out.append(
                    {
                        "conflict": "controlling_shareholder_of_bidder",
                        "share": sh.share,
                        "source": "bid.bidder.shareholders",
                    }
                )
    for rel in registry.incoming(bidder_id):
        if rel.kind == "legal_rep" and rel.until is None:
            legal_reps.setdefault(rel.a, "registry")

    # kinship with the bidder's legal representative
    kin: dict[str, dict[str, Any]] = {}
    for r in expert.relatives:
        if r.id_no:
            kin[r.id_no] = {"name": r.name, "relation": r.relation, "source": "expert.relatives"}
    for rel in registry.outgoing(eid):
        if rel.kind == "kinship":
            kin.setdefault(rel.b, {"relation": "kinship", "source": "registry"})
    for rel in registry.incoming(eid):
        if rel.kind == "kinship":
            kin.setdefault(rel.a, {"relation": "kinship", "source": "registry"})
    for person in sorted(set(kin) & set(legal_reps)):
        out.append(
            {
                "conflict": "kin_of_legal_rep",
                "legal_rep_id_no": person,
                "legal_rep_source": legal_reps[person],
                **kin[person],
            }
        )

    # same employer: the expert's employer is the bidder's employer, or they control each other
    employers = {expert.employer} if expert.employer else set()
    employers |= {r.b for r in registry.outgoing(eid) if r.kind == "employment" and r.until is None}
    employers.discard(bidder_id)  # already reported as employed_by_bidder
    bidder_employers = {
        r.b for r in registry.outgoing(bidder_id) if r.kind == "employment" and r.until is None
    }
    for emp in sorted(employers & bidder_employers):
        out.append({"conflict": "same_employer", "employer": emp, "source": "registry"})
    for emp in sorted(employers):
        for rel in registry.outgoing(emp):
            if (
                rel.b == bidder_id
                and rel.kind == "shareholder"
                and (rel.share or 0.0) >= control_share
            ):
                out.append(
                    {"conflict": "employer_controls_bidder", "employer": emp, "share": rel.share}
                )
        for rel in registry.incoming(emp):
            if (
                rel.a == bidder_id
                and rel.kind == "shareholder"
                and (rel.share or 0.0) >= control_share
            ):
                out.append(
                    {"conflict": "bidder_controls_employer", "employer": emp, "share": rel.share}
                )
    return out


class AvoidanceDetector(ProjectDetector):
    """EXP-AVOID: an assigned expert with a conflict of interest with a bidder.

    Checked as soon as both are known, in either order (`expert.assigned` against every
    bid so far, `bid.submitted` against every expert so far), and once more for every
    pair at `evaluation.started`, which picks up registry facts that arrived in between.
    One alert per (expert, bidder) pair listing every reason.
    """

    name = "exp-avoid"
    rules = ("EXP-AVOID",)
    types = frozenset({"expert.assigned", "bid.submitted", "bid.opened", "evaluation.started"})

    def initial(self) -> AvoidanceState:
        return AvoidanceState()

    def step(
        self, state: AvoidanceState, event: Event, ctx: Context
    ) -> tuple[AvoidanceState, list[Alert]]:
        p = event.payload
        pairs: list[tuple[str, str]] = []
        if event.type == "expert.assigned":
            rec = ExpertRecord(p.expert, event.event_id, event.ts.date(), p.room_id)
            state.experts[p.expert.id] = rec
            pairs = [(p.expert.id, b) for b in sorted(state.bidders)]
        elif event.type == "bid.submitted":
            state.bidders[p.bidder.id] = BidderRecord(p.bidder, event.event_id)
            pairs = [(e, p.bidder.id) for e in sorted(state.experts)]
        elif event.type == "bid.opened":
            if p.bidder_id in state.bidders:
                return state, []
            state.bidders[p.bidder_id] = BidderRecord(None, event.event_id)
            pairs = [(e, p.bidder_id) for e in sorted(state.experts)]
        else:  # evaluation.started
            pairs = [(e, b) for e in sorted(state.experts) for b in sorted(state.bidders)]
        alerts = []
        for expert_id, bidder_id in pairs:
            alert = self._check(state, expert_id, bidder_id, event, ctx)
            if alert is not None:
                alerts.append(alert)
        return state, alerts

    def _check(
        self, state: AvoidanceState, expert_id: str, bidder_id: str, event: Event, ctx: Context
    ) -> Alert | None:
        th = ctx.thresholds.typed(AvoidanceThresholds)
        years, control = th.years, th.control_share
        er, br = state.experts[expert_id], state.bidders[bidder_id]
        found = conflicts(
            er.expert, bidder_id, br.party, ctx.registry, er.assigned_on, years, control
        )
        if not found:
            return None
        evidence = {
            "expert_id": expert_id,
            "expert_name": er.expert.name,
            "expert_role": er.expert.role,
            "expert_employer": er.expert.employer,
            "bidder_id": bidder_id,
            "bidder_name": br.party.name if br.party else None,
            "conflicts": found,
            "reference_date": er.assigned_on.isoformat(),
            "threshold": {"years": years, "control_share": control},
        }
        return make_alert(
            "EXP-AVOID",
            event.project_id,
            identity={"expert": expert_id, "bidder": bidder_id},
            subjects=[expert_id, bidder_id],
            evidence=evidence,
            event_ids=[er.event_id, br.event_id],
            first_seen=event.ts,
            room_id=er.room_id,
            locale=ctx.locale,
        )
