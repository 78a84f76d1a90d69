"""EXP-COMMITTEE: the evaluation committee's composition (招标投标法 第三十七条)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from detectors.base import Context, ProjectDetector
from witness.alerts import Alert, make_alert
from witness.events import Event
from witness.thresholds import RuleThresholds, thresholds_section

#: Shares are compared to 4 decimals, so 2/3 written as 0.6667 accepts exactly 6 of 9.
_SHARE_EPS = 1e-4


@thresholds_section("EXP-COMMITTEE")
class CommitteeThresholds(RuleThresholds):
    """EXP-COMMITTEE: committee size and the share of experts."""

    min_members: int = Field(5, ge=1)
    expert_share: float = Field(0.6667, gt=0, le=1, description="compared to 4 decimals")


@dataclass
class Member:
    role: str
    name: str | None
    event_id: str


@dataclass
class CommitteeState:
    members: dict[str, Member] = field(default_factory=dict)
    complete: bool = False  # evaluation started (or scoring began): judge the committee
    room_id: str | None = None
    trigger_event: str | None = None


class CommitteeDetector(ProjectDetector):
    """EXP-COMMITTEE: ≥ min_members, an odd number, experts ≥ expert_share of members.

    Experts are drawn one by one, so the committee is judged when it is complete: at
    `evaluation.started` (or the first `score.submitted` if the start was never sent),
    and again on every later `expert.assigned` (a replacement, a late member). Members
    are distinct expert ids; the latest assignment of an id gives its role.
    """

    name = "exp-committee"
    rules = ("EXP-COMMITTEE",)
    types = frozenset({"expert.assigned", "evaluation.started", "score.submitted"})

    def initial(self) -> CommitteeState:
        return CommitteeState()

    def step(
        self, state: CommitteeState, event: Event, ctx: Context
    ) -> tuple[CommitteeState, list[Alert]]:
        p = event.payload
        if event.type == "expert.assigned":
            e = p.expert
            state.members[e.id] = Member(e.role, e.name, event.event_id)
            if not state.complete:
                return state, []
        elif event.type == "evaluation.started":
            state.complete = True
            state.room_id = p.room_id
            state.trigger_event = event.event_id
        elif event.type == "score.submitted":
            if state.complete:
                return state, []
            state.complete = True
            state.trigger_event = event.event_id
        alert = self._check(state, event, ctx)
        return state, [alert] if alert else []

    def _check(self, state: CommitteeState, event: Event, ctx: Context) -> Alert | None:
        th = ctx.thresholds.typed(CommitteeThresholds)
        min_members, share = th.min_members, th.expert_share
        n = len(state.members)
        experts = sum(1 for m in state.members.values() if m.role == "expert")
        violations = []
        if n < min_members:
            violations.append("fewer_members_than_minimum")
        if n % 2 == 0:
            violations.append("even_number_of_members")
        if n == 0 or experts / n < share - _SHARE_EPS:
            violations.append("experts_below_share")
        if not violations:
            return None
        evidence = {
            "members": n,
            "experts": experts,
            "tenderer_reps": n - experts,
            "expert_share": round(experts / n, 4) if n else None,
            "violations": violations,
            "roster": [
                {"expert_id": i, "name": m.name, "role": m.role}
                for i, m in sorted(state.members.items())
            ],
            "threshold": {"min_members": min_members, "odd": True, "expert_share": share},
        }
        ids = [m.event_id for _, m in sorted(state.members.items())]
        return make_alert(
            "EXP-COMMITTEE",
            event.project_id,
            identity={"check": "committee"},
            subjects=list(state.members),
            evidence=evidence,
            event_ids=[*ids, *(e for e in [state.trigger_event] if e)],
            first_seen=event.ts,
            room_id=state.room_id,
            locale=ctx.locale,
        )
