"""Expert rules (EXP-*): who sits on the committee, whom they must avoid, how they score.

Four pure detectors, each with its own per-project state:

- `CommitteeDetector`   EXP-COMMITTEE  composition (招标投标法 第三十七条)
- `AvoidanceDetector`   EXP-AVOID      conflicts of interest, before any score
- `ScoringDetector`     EXP-DEV, EXP-OBJ, EXP-CLIQUE, EXP-FAVOR, as scores arrive
- `BehaviourDetector`   EXP-FAST, EXP-FOCUS from timing and platform activity

Scoring alerts are about the present state of the score sheet, but once a case has been
raised it stays listed: when later scores make it disappear, the alert is updated in
place (same id) and its evidence shows the case as "no longer" so the officer sees both.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from detectors.base import Context, ProjectDetector
from detectors.experts_thresholds import *  # noqa: F403  (registers the EXP-* sections)
from detectors.registry import Registry
from witness.alerts import Alert, make_alert
from witness.events import Event, Expert, Party, RegistryRelation, ScoreSubmitted, canonical_json

# ====================================================================== EXP-COMMITTEE

#: Shares are compared to 4 decimals, so 2/3 written as 0.6667 accepts exactly 6 of 9.
_SHARE_EPS = 1e-4


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
        th = ctx.thresholds
        min_members = int(th.get("EXP-COMMITTEE", "min_members"))
        share = float(th.get("EXP-COMMITTEE", "expert_share"))
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


# ====================================================================== EXP-AVOID


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
        years = int(ctx.thresholds.get("EXP-AVOID", "years"))
        control = float(ctx.thresholds.get("EXP-AVOID", "control_share"))
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


# ====================================================================== scoring

Cell = tuple[str, str]  # (bidder_id, item_id)

#: Event ids listed per alert (evidence holds the full picture).
MAX_EVENT_IDS = 100


@dataclass
class ScoreRec:
    score: float
    max_score: float
    kind: str
    event_id: str


@dataclass
class ScoringState:
    cells: dict[Cell, dict[str, ScoreRec]] = field(default_factory=dict)  # cell -> expert
    by_expert: dict[str, dict[Cell, ScoreRec]] = field(default_factory=dict)
    items_of_bidder: dict[str, set[str]] = field(default_factory=dict)
    totals: dict[str, dict[str, float]] = field(default_factory=dict)  # expert -> bidder -> sum
    counts: dict[str, Counter] = field(default_factory=dict)  # expert -> bidder -> cells scored
    room_id: str | None = None
    first_ts: dict[str, datetime] = field(default_factory=dict)  # alert identity -> first ts
    dev_ever: dict[str, set[Cell]] = field(default_factory=dict)  # expert -> cells
    obj_ever: set[Cell] = field(default_factory=set)
    #: (expert, "*" for the whole sheet or a bidder id) -> its subjective score vector
    clique_keys: dict[tuple[str, str], frozenset] = field(default_factory=dict)
    clique_ever: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (scope, experts)
    favor_ever: set[tuple[str, str]] = field(default_factory=set)  # (expert, bidder)
    favor_sig: tuple | None = None  # the complete sheets' totals last judged
    emitted: dict[str, str] = field(default_factory=dict)  # alert id -> content last sent


def _changed(emitted: dict[str, str], alert: Alert) -> bool:
    """True if `alert` says something new (not just a later last_seen); remembers it."""
    sig = canonical_json([alert.subjects, alert.evidence, alert.event_ids])
    if emitted.get(alert.alert_id) == sig:
        return False
    emitted[alert.alert_id] = sig
    return True


def _r(x: float) -> float:
    return round(x, 3)


def deviation(score: float, others: list[float], min_points: float, mean_share: float) -> dict:
    """EXP-DEV measure for one score against the other experts' scores of the same cell."""
    mean = statistics.fmean(others)
    limit = max(min_points, mean_share * mean)
    dev = score - mean
    return {
        "others_mean": _r(mean),
        "deviation": _r(dev),
        "limit": _r(limit),
        "hit": abs(dev) > limit,
    }


def cell_deviations(
    scores: dict[str, float], min_peers: int, min_points: float, mean_share: float
) -> dict[str, dict[str, Any]]:
    """EXP-DEV on one cell: expert -> {others, others_mean, deviation, limit, hit, left_out}.

    Plain leave-one-out would let one wild score drag the others' mean far enough to make
    an honest neighbour "deviate". So deviating scores are taken out one at a time,
    largest deviation first (ties by expert id), and everyone else is measured against the
    scores that remain. Experts with fewer than `min_peers` comparable scores get no row.
    """
    pool = dict(scores)
    rows: dict[str, dict[str, Any]] = {}
    left_out: list[str] = []
    while True:
        best: tuple[str, dict] | None = None
        for e, v in sorted(pool.items()):
            others = [x for o, x in pool.items() if o != e]
            if len(others) < min_peers:
                continue
            m = deviation(v, others, min_points, mean_share)
            if m["hit"] and (best is None or abs(m["deviation"]) > abs(best[1]["deviation"])):
                best = (e, m)
        if best is None:
            break
        e, m = best
        others = {o: x for o, x in sorted(pool.items()) if o != e}
        rows[e] = {**m, "others": others, "left_out": list(left_out)}
        left_out.append(e)
        del pool[e]
    for e, v in sorted(scores.items()):
        if e in rows:
            continue
        others = {o: x for o, x in sorted(pool.items()) if o != e}
        if len(others) < min_peers:
            continue
        rows[e] = {
            **deviation(v, list(others.values()), min_points, mean_share),
            "others": others,
            "left_out": list(left_out),
        }
    return rows


def max_total(state: ScoringState, bidder: str) -> float:
    """The most a bidder can score: the sum of its items' max_score."""
    total = 0.0
    for item in state.items_of_bidder.get(bidder, ()):
        total += max(r.max_score for r in state.cells[(bidder, item)].values())
    return total


def average_ranks(totals: dict[str, float]) -> dict[str, float]:
    """Rank 1 = highest total; tied totals share the average of their ranks."""
    order = sorted(totals, key=lambda b: (-totals[b], b))
    ranks: dict[str, float] = {}
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and totals[order[j + 1]] == totals[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


class ScoringDetector(ProjectDetector):
    """EXP-DEV, EXP-OBJ, EXP-CLIQUE, EXP-FAVOR, re-judged on every `score.submitted`.

    A cell is (bidder, item); an expert's latest score of a cell replaces earlier ones.

    - EXP-DEV (subjective cells): |score − mean of the other experts' scores| >
      max(min_points, mean_share × that mean), with ≥ min_peers other scores. One alert per
      expert listing every deviating cell beside the others' scores.
    - EXP-OBJ (objective cells): max − min of the experts' scores > tolerance. One alert per
      cell; subjects are the experts off the most common score (all of them on a tie).
    - EXP-CLIQUE: ≥ min_experts experts whose subjective score vectors are identical (same
      cells, same scores) over ≥ min_items cells, comparing whole sheets and, separately,
      each bidder's cells (copying one bidder's marks is the cheap way to collude). Objective
      cells are left out: agreeing on them is expected. One alert per project listing the
      groups; a per-bidder group inside a whole-sheet group is not listed twice.
    - EXP-FAVOR (rank-based): every expert who has scored all items of every bidder ranks
      the bidders by total (1 = best, ties averaged). For each expert and bidder,
      rank gap = median of the other experts' ranks of the bidder − this expert's rank.
      A gap ≥ min_rank_gap fires, with ≥ min_bidders bidders and ≥ min_peers other experts,
      if the lift also shows in points: points boost = (expert's total − others' mean total)
      for the bidder minus the same averaged over all bidders ≥ min_boost_share × the
      bidder's maximum total (sum of the items' max_score), so that
      shuffling near-tied bidders (honest noise) is not favouritism. Ranks and a leniency-
      corrected boost, so an expert who scores everyone high is not flagged.
    """

    name = "exp-scoring"
    rules = ("EXP-DEV", "EXP-OBJ", "EXP-CLIQUE", "EXP-FAVOR")
    types = frozenset({"score.submitted", "evaluation.started"})

    def initial(self) -> ScoringState:
        return ScoringState()

    def step(
        self, state: ScoringState, event: Event, ctx: Context
    ) -> tuple[ScoringState, list[Alert]]:
        if event.type == "evaluation.started":
            state.room_id = event.payload.room_id
            return state, []
        s: ScoreSubmitted = event.payload
        cell = (s.bidder_id, s.item_id)
        rec = ScoreRec(s.score, s.max_score, s.kind, event.event_id)
        prev = state.cells.setdefault(cell, {}).get(s.expert_id)
        state.cells[cell][s.expert_id] = rec
        state.by_expert.setdefault(s.expert_id, {})[cell] = rec
        state.items_of_bidder.setdefault(s.bidder_id, set()).add(s.item_id)
        totals = state.totals.setdefault(s.expert_id, {})
        counts = state.counts.setdefault(s.expert_id, Counter())
        totals[s.bidder_id] = totals.get(s.bidder_id, 0.0) + s.score - (prev.score if prev else 0)
        if prev is None:
            counts[s.bidder_id] += 1

        alerts: list[Alert] = []
        alerts += self._dev(state, cell, event, ctx)
        alerts += self._obj(state, cell, event, ctx)
        alerts += self._clique(state, s.expert_id, event, ctx)
        alerts += self._favor(state, event, ctx)
        return state, [a for a in alerts if _changed(state.emitted, a)]

    def _first(self, state: ScoringState, key: str, ts: datetime) -> datetime:
        return state.first_ts.setdefault(key, ts)

    # -------------------------------------------------------------- EXP-DEV

    def _dev_rows(self, state: ScoringState, cell: Cell, ctx: Context) -> dict[str, dict]:
        th = ctx.thresholds
        scores = {
            e: r.score for e, r in state.cells.get(cell, {}).items() if r.kind == "subjective"
        }
        rows = cell_deviations(
            scores,
            int(th.get("EXP-DEV", "min_peers")),
            float(th.get("EXP-DEV", "min_points")),
            float(th.get("EXP-DEV", "mean_share")),
        )
        for e, row in rows.items():
            rec = state.cells[cell][e]
            rows[e] = {
                "bidder_id": cell[0],
                "item_id": cell[1],
                "max_score": rec.max_score,
                "score": rec.score,
                **row,
            }
        return rows

    def _dev(self, state: ScoringState, cell: Cell, event: Event, ctx: Context) -> list[Alert]:
        alerts = []
        here = self._dev_rows(state, cell, ctx)
        for expert in sorted(state.cells[cell]):
            row = here.get(expert)
            ever = state.dev_ever.setdefault(expert, set())
            if row is not None and row["hit"]:
                ever.add(cell)
            if cell not in ever:
                continue
            rows = [self._dev_rows(state, c, ctx).get(expert) for c in sorted(ever)]
            rows = [dict(r) for r in rows if r is not None]
            now = [r for r in rows if r["hit"]]
            gone = [r for r in rows if not r["hit"]]
            for r in rows:
                r.pop("hit")
            th = ctx.thresholds
            evidence = {
                "expert_id": expert,
                "measure": "|score − others' mean| > max(min_points, mean_share × others' mean); "
                "scores already found deviating on the cell are left out of the others' mean",
                "deviating": now,
                "no_longer_deviating": gone,
                "threshold": {
                    "min_points": float(th.get("EXP-DEV", "min_points")),
                    "mean_share": float(th.get("EXP-DEV", "mean_share")),
                    "min_peers": int(th.get("EXP-DEV", "min_peers")),
                },
            }
            ident = {"expert": expert}
            alerts.append(
                make_alert(
                    "EXP-DEV",
                    event.project_id,
                    identity=ident,
                    subjects=[expert],
                    evidence=evidence,
                    event_ids=[state.cells[c][expert].event_id for c in sorted(ever)],
                    first_seen=self._first(state, f"DEV:{expert}", event.ts),
                    last_seen=event.ts,
                    room_id=state.room_id,
                    locale=ctx.locale,
                )
            )
        return alerts

    # -------------------------------------------------------------- EXP-OBJ

    def _obj(self, state: ScoringState, cell: Cell, event: Event, ctx: Context) -> list[Alert]:
        scores = {e: r for e, r in state.cells[cell].items() if r.kind == "objective"}
        if len(scores) < 2:
            return []
        tol = float(ctx.thresholds.get("EXP-OBJ", "tolerance"))
        values = [r.score for r in scores.values()]
        spread = max(values) - min(values)
        if spread > tol:
            state.obj_ever.add(cell)
        if cell not in state.obj_ever:
            return []
        counts = Counter(values)
        top = max(counts.values())
        modes = sorted(v for v, c in counts.items() if c == top)
        majority = modes[0] if len(modes) == 1 else None
        off = sorted(e for e, r in scores.items() if majority is None or r.score != majority)
        evidence = {
            "bidder_id": cell[0],
            "item_id": cell[1],
            "max_score": max(r.max_score for r in scores.values()),
            "scores": {e: scores[e].score for e in sorted(scores)},
            "majority_score": majority,
            "spread": _r(spread),
            "disagree_now": spread > tol,
            "experts_off_majority": off,
            "threshold": {"tolerance": tol},
        }
        return [
            make_alert(
                "EXP-OBJ",
                event.project_id,
                identity={"bidder": cell[0], "item": cell[1]},
                subjects=off or sorted(scores),
                evidence=evidence,
                event_ids=[scores[e].event_id for e in sorted(scores)],
                first_seen=self._first(state, f"OBJ:{cell}", event.ts),
                last_seen=event.ts,
                room_id=state.room_id,
                locale=ctx.locale,
            )
        ]

    # -------------------------------------------------------------- EXP-CLIQUE

    def _clique(self, state: ScoringState, expert: str, event: Event, ctx: Context) -> list[Alert]:
        th = ctx.thresholds
        min_experts = int(th.get("EXP-CLIQUE", "min_experts"))
        min_items = int(th.get("EXP-CLIQUE", "min_items"))
        subjective = [
            (c, r.score) for c, r in state.by_expert[expert].items() if r.kind == "subjective"
        ]
        bidder = event.payload.bidder_id
        state.clique_keys[(expert, "*")] = frozenset(subjective)
        state.clique_keys[(expert, bidder)] = frozenset(x for x in subjective if x[0][0] == bidder)
        groups: dict[tuple[str, frozenset], list[str]] = {}
        for (e, scope), key in state.clique_keys.items():
            if len(key) >= min_items:
                groups.setdefault((scope, key), []).append(e)
        found = sorted(
            (scope, tuple(sorted(members)), tuple(sorted(key)))
            for (scope, key), members in groups.items()
            if len(members) >= min_experts
        )
        whole = [set(m) for scope, m, _ in found if scope == "*"]
        current = [
            (scope, m, key)
            for scope, m, key in found
            if scope == "*" or not any(set(m) <= w for w in whole)
        ]
        for scope, members, _ in current:
            if (scope, members) not in state.clique_ever:
                state.clique_ever.append((scope, members))
        if not state.clique_ever:
            return []
        now = {(scope, m) for scope, m, _ in current}
        evidence = {
            "groups": [
                {
                    "experts": list(members),
                    "scope": "all bidders" if scope == "*" else scope,
                    "cells": len(key),
                    "scores": [
                        {"bidder_id": c[0], "item_id": c[1], "score": v}
                        for c, v in key[:MAX_EVENT_IDS]
                    ],
                }
                for scope, members, key in current
            ],
            "dissolved_groups": [
                {"experts": list(m), "scope": "all bidders" if scope == "*" else scope}
                for scope, m in state.clique_ever
                if (scope, m) not in now
            ],
            "compared": "subjective items only (objective items are expected to agree); "
            "whole score sheets, and each bidder's items on their own",
            "threshold": {"min_experts": min_experts, "min_items": min_items},
        }
        subjects = sorted({e for _, m in state.clique_ever for e in m})
        ids = [
            state.cells[c][e].event_id
            for scope, members, key in current
            for e in members
            for c, _ in key
        ]
        return [
            make_alert(
                "EXP-CLIQUE",
                event.project_id,
                identity={"check": "identical_vectors"},
                subjects=subjects,
                evidence=evidence,
                event_ids=ids[:MAX_EVENT_IDS],
                first_seen=self._first(state, "CLIQUE", event.ts),
                last_seen=event.ts,
                room_id=state.room_id,
                locale=ctx.locale,
            )
        ]

    # -------------------------------------------------------------- EXP-FAVOR

    def favor_ranks(
        self, state: ScoringState, ctx: Context
    ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]] | None:
        """(ranks, totals) per expert, over experts with complete score sheets, or None.

        Complete = the expert scored every item any expert scored on every bidder, so
        all compared rankings cover the same bidders and the same items.
        """
        th = ctx.thresholds
        min_bidders = int(th.get("EXP-FAVOR", "min_bidders"))
        min_peers = int(th.get("EXP-FAVOR", "min_peers"))
        bidders = state.items_of_bidder
        if len(bidders) < min_bidders:
            return None
        need = {b: len(items) for b, items in bidders.items()}
        totals = {
            e: {b: state.totals[e][b] for b in need}
            for e, have in sorted(state.counts.items())
            if all(have[b] == n for b, n in need.items())
        }
        if len(totals) < min_peers + 1:
            return None
        return {e: average_ranks(t) for e, t in totals.items()}, totals

    @staticmethod
    def favor_row(
        state: ScoringState,
        expert: str,
        bidder: str,
        ranks: dict[str, dict[str, float]],
        totals: dict,
        boost_share: float,
    ) -> dict[str, Any]:
        """The rank comparison of one expert and one bidder (the measure and its evidence)."""
        others = {o: r[bidder] for o, r in sorted(ranks.items()) if o != expert}
        med = statistics.median(others.values())
        bidders = sorted(totals[expert])
        lead = {
            b: totals[expert][b] - statistics.fmean(totals[o][b] for o in others) for b in bidders
        }
        return {
            "expert_rank": ranks[expert][bidder],
            "others_ranks": others,
            "others_median_rank": med,
            "rank_gap": med - ranks[expert][bidder],
            "points_boost": _r(lead[bidder] - statistics.fmean(lead.values())),
            "points_boost_limit": _r(boost_share * max_total(state, bidder)),
            "expert_totals": {b: _r(totals[expert][b]) for b in bidders},
            "committee_mean_totals": {
                b: _r(statistics.fmean(t[b] for t in totals.values())) for b in bidders
            },
            "experts_compared": len(ranks),
            "bidders_compared": len(bidders),
        }

    @staticmethod
    def favours(row: dict[str, Any], min_gap: float) -> bool:
        return row["rank_gap"] >= min_gap and row["points_boost"] >= row["points_boost_limit"]

    def _favor(self, state: ScoringState, event: Event, ctx: Context) -> list[Alert]:
        found = self.favor_ranks(state, ctx)
        if found is None:
            return []
        ranks, totals = found
        sig = (tuple(sorted((e, tuple(sorted(t.items()))) for e, t in totals.items())),)
        if sig == state.favor_sig:
            return []  # the complete sheets did not change: nothing new to say
        state.favor_sig = sig
        th = ctx.thresholds
        gap = float(th.get("EXP-FAVOR", "min_rank_gap"))
        boost = float(th.get("EXP-FAVOR", "min_boost_share"))
        for e, mine in ranks.items():
            for b, r in mine.items():
                if (e, b) in state.favor_ever:
                    continue
                med = statistics.median(ranks[o][b] for o in ranks if o != e)
                if med - r >= gap and self.favours(
                    self.favor_row(state, e, b, ranks, totals, boost), gap
                ):
                    state.favor_ever.add((e, b))
        alerts = []
        for expert, bidder in sorted(state.favor_ever):
            if expert not in ranks:
                continue
            row = self.favor_row(state, expert, bidder, ranks, totals, boost)
            evidence = {
                "expert_id": expert,
                "bidder_id": bidder,
                "measure": "rank gap = median of the other experts' ranks of the bidder − "
                "this expert's rank (1 = best; ties share the average rank); points boost = "
                "(this expert's total − the others' mean total) for the bidder, minus the "
                "same averaged over all bidders (the expert's general leniency)",
                **row,
                "favours_now": self.favours(row, gap),
                "threshold": {
                    "min_rank_gap": gap,
                    "min_boost_share": boost,
                    "min_bidders": int(th.get("EXP-FAVOR", "min_bidders")),
                    "min_peers": int(th.get("EXP-FAVOR", "min_peers")),
                },
            }
            sheet = state.by_expert[expert]
            ids = [sheet[(bidder, i)].event_id for i in sorted(state.items_of_bidder[bidder])]
            alerts.append(
                make_alert(
                    "EXP-FAVOR",
                    event.project_id,
                    identity={"expert": expert, "bidder": bidder},
                    subjects=[expert, bidder],
                    evidence=evidence,
                    event_ids=ids,
                    first_seen=self._first(state, f"FAVOR:{expert}:{bidder}", event.ts),
                    last_seen=event.ts,
                    room_id=state.room_id,
                    locale=ctx.locale,
                )
            )
        return alerts


# ====================================================================== EXP-FAST, EXP-FOCUS


@dataclass
class BehaviourState:
    started: datetime | None = None
    start_event: str | None = None
    planned_minutes: float | None = None
    room_id: str | None = None
    score_span: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    clicks: dict[str, list[datetime]] = field(default_factory=dict)
    click_ids: dict[str, list[str]] = field(default_factory=dict)
    click_first: dict[str, datetime] = field(default_factory=dict)
    opens: dict[str, Counter] = field(default_factory=dict)  # expert -> bidder -> opens
    open_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    focus_first: dict[tuple[str, str], datetime] = field(default_factory=dict)


def longest_run(times: list[datetime], max_gap: float) -> tuple[int, int]:
    """(start index, length) of the longest run of sorted times with every gap < max_gap s."""
    best = (0, 1 if times else 0)
    start = 0
    for i in range(1, len(times)):
        if (times[i] - times[i - 1]).total_seconds() >= max_gap:
            start = i
        if i - start + 1 > best[1]:
            best = (start, i - start + 1)
    return best


class BehaviourDetector(ProjectDetector):
    """EXP-FAST and EXP-FOCUS from timing and platform activity.

    - EXP-FAST (duration): at `evaluation.finished`, finish − first `evaluation.started`
      < planned_share × planned_minutes. Evidence lists each expert's scoring span.
    - EXP-FAST (click-through): an expert's `score_click` activities contain a run of
      ≥ min_click_run clicks, each < max_click_seconds after the previous. Raised as
      soon as the run is long enough, updated while it grows.
    - EXP-FOCUS: an expert opened one bidder's file ≥ min_opens times and those opens are
      ≥ share of all that expert's `open_file` activities.
    """

    name = "exp-behaviour"
    rules = ("EXP-FAST", "EXP-FOCUS")
    types = frozenset(
        {"evaluation.started", "evaluation.finished", "score.submitted", "expert.activity"}
    )

    def initial(self) -> BehaviourState:
        return BehaviourState()

    def step(
        self, state: BehaviourState, event: Event, ctx: Context
    ) -> tuple[BehaviourState, list[Alert]]:
        p = event.payload
        if event.type == "evaluation.started":
            if state.started is None or event.ts < state.started:
                state.started, state.start_event = event.ts, event.event_id
            state.planned_minutes = p.planned_minutes or state.planned_minutes
            state.room_id = p.room_id
            return state, []
        if event.type == "score.submitted":
            lo, hi = state.score_span.get(p.expert_id, (event.ts, event.ts))
            state.score_span[p.expert_id] = (min(lo, event.ts), max(hi, event.ts))
            return state, []
        if event.type == "evaluation.finished":
            alert = self._duration(state, event, ctx)
            return state, [alert] if alert else []
        if p.action == "score_click":
            alert = self._clicks(state, event, ctx)
            return state, [alert] if alert else []
        if p.action == "open_file" and p.bidder_id:
            return state, self._focus(state, event, ctx)
        return state, []

    def _duration(self, state: BehaviourState, event: Event, ctx: Context) -> Alert | None:
        if state.started is None or not state.planned_minutes:
            return None
        share = float(ctx.thresholds.get("EXP-FAST", "planned_share"))
        elapsed = (event.ts - state.started).total_seconds() / 60
        limit = share * state.planned_minutes
        if elapsed >= limit:
            return None
        spans = {
            e: {
                "first_score": lo.isoformat(),
                "last_score": hi.isoformat(),
                "minutes_from_start": _r((hi - state.started).total_seconds() / 60),
            }
            for e, (lo, hi) in sorted(state.score_span.items())
        }
        evidence = {
            "check": "duration",
            "started_at": state.started.isoformat(),
            "finished_at": event.ts.isoformat(),
            "elapsed_minutes": _r(elapsed),
            "planned_minutes": state.planned_minutes,
            "limit_minutes": _r(limit),
            "experts": spans,
            "threshold": {"planned_share": share},
        }
        return make_alert(
            "EXP-FAST",
            event.project_id,
            identity={"check": "duration"},
            subjects=list(spans),
            evidence=evidence,
            event_ids=[*(e for e in [state.start_event] if e), event.event_id],
            first_seen=event.ts,
            room_id=state.room_id or event.payload.room_id,
            locale=ctx.locale,
        )

    def _clicks(self, state: BehaviourState, event: Event, ctx: Context) -> Alert | None:
        th = ctx.thresholds
        max_gap = float(th.get("EXP-FAST", "max_click_seconds"))
        min_run = int(th.get("EXP-FAST", "min_click_run"))
        e = event.payload.expert_id
        times = state.clicks.setdefault(e, [])
        ids = state.click_ids.setdefault(e, [])
        i = len(times)
        while i > 0 and times[i - 1] > event.ts:
            i -= 1
        times.insert(i, event.ts)
        ids.insert(i, event.event_id)
        start, length = longest_run(times, max_gap)
        if length < min_run:
            return None
        run = times[start : start + length]
        gaps = [(b - a).total_seconds() for a, b in zip(run, run[1:], strict=False)]
        evidence = {
            "check": "click_through",
            "expert_id": e,
            "run_clicks": length,
            "run_from": run[0].isoformat(),
            "run_to": run[-1].isoformat(),
            "median_gap_seconds": _r(statistics.median(gaps)),
            "clicks_total": len(times),
            "threshold": {"max_click_seconds": max_gap, "min_click_run": min_run},
        }
        first = state.click_first.setdefault(e, event.ts)
        return make_alert(
            "EXP-FAST",
            event.project_id,
            identity={"check": "click_through", "expert": e},
            subjects=[e],
            evidence=evidence,
            event_ids=ids[start : start + length][:MAX_EVENT_IDS],
            first_seen=first,
            last_seen=event.ts,
            room_id=state.room_id,
            locale=ctx.locale,
        )

    def _focus(self, state: BehaviourState, event: Event, ctx: Context) -> list[Alert]:
        th = ctx.thresholds
        min_opens = int(th.get("EXP-FOCUS", "min_opens"))
        share = float(th.get("EXP-FOCUS", "share"))
        e, b = event.payload.expert_id, event.payload.bidder_id
        opens = state.opens.setdefault(e, Counter())
        opens[b] += 1
        state.open_ids.setdefault((e, b), []).append(event.event_id)
        total = sum(opens.values())
        if opens[b] >= min_opens and opens[b] / total >= share:
            state.focus_first.setdefault((e, b), event.ts)
        alerts = []
        for (fe, fb), first in sorted(state.focus_first.items()):
            if fe != e:
                continue
            others = [c[fb] for x, c in state.opens.items() if x != e]
            evidence = {
                "expert_id": e,
                "bidder_id": fb,
                "opens_of_bidder": opens[fb],
                "opens_total": total,
                "share": _r(opens[fb] / total),
                "opens_by_bidder": dict(sorted(opens.items())),
                "other_experts_mean_opens_of_bidder": _r(statistics.fmean(others))
                if others
                else None,
                "threshold": {"min_opens": min_opens, "share": share},
            }
            alerts.append(
                make_alert(
                    "EXP-FOCUS",
                    event.project_id,
                    identity={"expert": e, "bidder": fb},
                    subjects=[e, fb],
                    evidence=evidence,
                    event_ids=state.open_ids[(e, fb)][:MAX_EVENT_IDS],
                    first_seen=first,
                    last_seen=event.ts,
                    room_id=state.room_id,
                    locale=ctx.locale,
                )
            )
        return alerts
