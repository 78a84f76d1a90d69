"""EXP-DEV, EXP-OBJ, EXP-CLIQUE, EXP-FAVOR: the score sheet, re-judged as scores arrive.

Scoring alerts are about the present state of the score sheet, but once a case has been
raised it stays listed: when later scores make it disappear, the alert is updated in
place (same id) and its evidence shows the case as "no longer" so the officer sees both.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from detectors.base import Context, ProjectDetector
from detectors.experts import clique
from detectors.experts.deviation import cell_deviations
from detectors.experts.shared import MAX_EVENT_IDS, rounded
from witness.alerts import Alert, make_alert
from witness.events import Event, ScoreSubmitted, canonical_json
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("EXP-DEV")
class DeviationThresholds(RuleThresholds):
    """EXP-DEV: a subjective score far from the others' mean."""

    min_points: float = Field(3.0, ge=0)
    mean_share: float = Field(0.30, ge=0, le=10)
    min_peers: int = Field(2, ge=1, description="other experts' scores needed on the item")
    min_peer_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="and, until the evaluation finishes, this share of the committee's other "
        "members (a mean of a few early scores, one tier apart each way, is no consensus)",
    )


@thresholds_section("EXP-OBJ")
class ObjectiveThresholds(RuleThresholds):
    """EXP-OBJ: experts disagree on an objective item."""

    tolerance: float = Field(0.0, ge=0, description="any difference above this is disagreement")


@thresholds_section("EXP-CLIQUE")
class CliqueThresholds(RuleThresholds):
    """EXP-CLIQUE: identical score sheets, judged against chance (detectors/experts/clique.py)."""

    min_experts: int = Field(3, ge=2)
    min_items: int = Field(3, ge=1, description="subjective cells a sheet must cover")
    max_chance: float = Field(
        0.001, gt=0, le=1, description="groups this alike expected by chance among honest experts"
    )
    prior_agreement: float = Field(
        0.9, gt=0, lt=1, description="agreement rate assumed where no outside expert shows it"
    )
    prior_weight: float = Field(2.0, ge=0, description="pseudo-pairs given to the prior")


@thresholds_section("EXP-FAVOR")
class FavourThresholds(RuleThresholds):
    """EXP-FAVOR: one expert ranks one bidder far above the committee's consensus."""

    min_rank_gap: float = Field(
        2, ge=0, description="peers' median rank minus this expert's rank (ties: x.5)"
    )
    min_bidders: int = Field(3, ge=2)
    min_peers: int = Field(2, ge=1)
    min_boost_share: float = Field(0.05, ge=0, le=1, description="lift beyond general leniency")


Cell = tuple[str, str]  # (bidder_id, item_id)


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
    committee: set[str] = field(default_factory=set)  # members assigned (expert.assigned)
    finished: bool = False  # evaluation.finished seen: no more scores are coming
    first_ts: dict[str, datetime] = field(default_factory=dict)  # alert identity -> first ts
    dev_ever: dict[str, set[Cell]] = field(default_factory=dict)  # expert -> cells
    obj_ever: set[Cell] = field(default_factory=set)
    #: (expert, "*") -> its whole subjective score sheet, as a hashable key
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
      max(min_points, mean_share × that mean), with ≥ min_peers other scores. A cell is
      judged once min_peer_share (default all) of the committee's other members have
      scored it, or at `evaluation.finished` on what was scored: the mean of a few early
      scores, one tier apart each way, is no consensus, and an alert raised on it stayed
      listed as "no longer" after the committee's mean said otherwise. One alert per
      expert listing every deviating cell beside the others' scores.
    - EXP-OBJ (objective cells): max − min of the experts' scores > tolerance. One alert per
      cell; subjects are the experts off the most common score (all of them on a tie).
    - EXP-CLIQUE: ≥ min_experts experts whose whole subjective score sheets are identical
      over ≥ min_items cells, when that identity is less likely than `max_chance` for
      independent experts on this committee's scale (`clique.py`: tiered scoring makes
      cell-by-cell agreement normal, so agreement is measured, not assumed). Objective
      cells are left out: agreeing on them is expected. One alert per project.
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
    types = frozenset(
        {"score.submitted", "evaluation.started", "evaluation.finished", "expert.assigned"}
    )

    def initial(self) -> ScoringState:
        return ScoringState()

    def step(
        self, state: ScoringState, event: Event, ctx: Context
    ) -> tuple[ScoringState, list[Alert]]:
        if event.type == "evaluation.started":
            state.room_id = event.payload.room_id
            return state, []
        if event.type == "expert.assigned":
            state.committee.add(event.payload.expert.id)
            return state, []
        if event.type == "evaluation.finished":
            state.finished = True
            alerts = self._dev_at_finish(state, event, ctx)
            return state, [a for a in alerts if _changed(state.emitted, a)]
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

    @staticmethod
    def peers_needed(state: ScoringState, th: DeviationThresholds) -> int:
        """Other scores a cell needs before it is judged: `min_peers`, and until the
        evaluation finishes `min_peer_share` of the committee's other members (those
        assigned, and anyone else who has scored)."""
        if state.finished:
            return th.min_peers
        committee = len(state.committee | set(state.by_expert))
        return max(th.min_peers, math.ceil(th.min_peer_share * (committee - 1) - 1e-9))

    def _dev_rows(self, state: ScoringState, cell: Cell, ctx: Context) -> dict[str, dict]:
        th = ctx.thresholds.typed(DeviationThresholds)
        scores = {
            e: r.score for e, r in state.cells.get(cell, {}).items() if r.kind == "subjective"
        }
        need = self.peers_needed(state, th)
        rows = cell_deviations(scores, need, th.min_points, th.mean_share)
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

    def _dev_mark(self, state: ScoringState, cell: Cell, ctx: Context) -> list[str]:
        """Remember the cell for every expert deviating on it now; the experts whose
        alert the cell belongs to."""
        here = self._dev_rows(state, cell, ctx)
        out = []
        for expert in sorted(state.cells[cell]):
            row = here.get(expert)
            ever = state.dev_ever.setdefault(expert, set())
            if row is not None and row["hit"]:
                ever.add(cell)
            if cell in ever:
                out.append(expert)
        return out

    def _dev(self, state: ScoringState, cell: Cell, event: Event, ctx: Context) -> list[Alert]:
        return [self._dev_alert(state, e, event, ctx) for e in self._dev_mark(state, cell, ctx)]

    def _dev_at_finish(self, state: ScoringState, event: Event, ctx: Context) -> list[Alert]:
        """The evaluation finished: cells some member never scored are judged on what
        was scored (down to `min_peers`), once, for every expert."""
        experts: set[str] = set()
        for cell in sorted(state.cells):
            experts.update(self._dev_mark(state, cell, ctx))
        return [self._dev_alert(state, e, event, ctx) for e in sorted(experts)]

    def _dev_alert(self, state: ScoringState, expert: str, event: Event, ctx: Context) -> Alert:
        ever = state.dev_ever[expert]
        rows = [self._dev_rows(state, c, ctx).get(expert) for c in sorted(ever)]
        rows = [dict(r) for r in rows if r is not None]
        now = [r for r in rows if r["hit"]]
        gone = [r for r in rows if not r["hit"]]
        for r in rows:
            r.pop("hit")
        th = ctx.thresholds.typed(DeviationThresholds)
        evidence = {
            "expert_id": expert,
            "measure": "|score − others' mean| > max(min_points, mean_share × others' mean); "
            "scores already found deviating on the cell are left out of the others' mean; "
            "a cell is judged once min_peer_share of the committee's other members have "
            "scored it, or when the evaluation finishes",
            "deviating": now,
            "no_longer_deviating": gone,
            "threshold": {
                "min_points": th.min_points,
                "mean_share": th.mean_share,
                "min_peers": th.min_peers,
                "min_peer_share": th.min_peer_share,
            },
        }
        return make_alert(
            "EXP-DEV",
            event.project_id,
            identity={"expert": expert},
            subjects=[expert],
            evidence=evidence,
            event_ids=[state.cells[c][expert].event_id for c in sorted(ever)],
            first_seen=self._first(state, f"DEV:{expert}", event.ts),
            last_seen=event.ts,
            room_id=state.room_id,
            locale=ctx.locale,
        )

    # -------------------------------------------------------------- EXP-OBJ

    def _obj(self, state: ScoringState, cell: Cell, event: Event, ctx: Context) -> list[Alert]:
        scores = {e: r for e, r in state.cells[cell].items() if r.kind == "objective"}
        if len(scores) < 2:
            return []
        tol = ctx.thresholds.typed(ObjectiveThresholds).tolerance
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
            "spread": rounded(spread),
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
        th = ctx.thresholds.typed(CliqueThresholds)
        subjective = frozenset(
            (c, r.score) for c, r in state.by_expert[expert].items() if r.kind == "subjective"
        )
        state.clique_keys[(expert, "*")] = subjective
        keys = [k for k in state.clique_keys.values() if len(k) >= th.min_items]
        if len(keys) - len(set(keys)) < th.min_experts - 1 and not state.clique_ever:
            return []  # no identical group can exist: skip the arithmetic
        sheets = {
            e: {c: r.score for c, r in cells.items() if r.kind == "subjective"}
            for e, cells in state.by_expert.items()
        }
        current = clique.judge(
            sheets,
            min_experts=th.min_experts,
            min_cells=th.min_items,
            max_chance=th.max_chance,
            prior_agreement=th.prior_agreement,
            prior_weight=th.prior_weight,
        )
        for f in current:
            if ("*", f.experts) not in state.clique_ever:
                state.clique_ever.append(("*", f.experts))
        if not state.clique_ever:
            return []
        now = {f.experts for f in current}
        evidence = {
            "groups": [
                {
                    "experts": list(f.experts),
                    "scope": "all bidders",
                    "cells": len(f.cells),
                    "independent_agreement_by_item": {
                        k: round(v, 3) for k, v in f.agreement.items()
                    },
                    "expected_by_chance": float(f"{f.expected_by_chance:.3g}"),
                    "comparable_experts": f.comparable_experts,
                    "scores": [
                        {"bidder_id": c[0], "item_id": c[1], "score": sheets[f.experts[0]][c]}
                        for c in f.cells[:MAX_EVENT_IDS]
                    ],
                }
                for f in current
            ],
            "dissolved_groups": [
                {"experts": list(m), "scope": "all bidders"}
                for _, m in state.clique_ever
                if m not in now
            ],
            "compared": "whole subjective score sheets; identity judged against how often "
            "independent experts on this committee agree on each item (tiered scoring agrees often)",
            "threshold": {
                "min_experts": th.min_experts,
                "min_items": th.min_items,
                "max_chance": th.max_chance,
                "prior_agreement": th.prior_agreement,
            },
        }
        subjects = sorted({e for _, m in state.clique_ever for e in m})
        ids = [state.cells[c][e].event_id for f in current for e in f.experts for c in f.cells]
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
        th = ctx.thresholds.typed(FavourThresholds)
        min_bidders, min_peers = th.min_bidders, th.min_peers
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
            "points_boost": rounded(lead[bidder] - statistics.fmean(lead.values())),
            "points_boost_limit": rounded(boost_share * max_total(state, bidder)),
            "expert_totals": {b: rounded(totals[expert][b]) for b in bidders},
            "committee_mean_totals": {
                b: rounded(statistics.fmean(t[b] for t in totals.values())) for b in bidders
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
        th = ctx.thresholds.typed(FavourThresholds)
        gap, boost = th.min_rank_gap, th.min_boost_share
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
                    "min_bidders": th.min_bidders,
                    "min_peers": th.min_peers,
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
