"""Evaluation-report check (评标报告核验, EVAL-*): the report against the scores behind it.

At `evaluation.finished`, before the committee signs, the report's ranking is held
against every `score.submitted` of the project (the last score per expert, bidder and
item wins: a corrected score replaces the first one). 财政部令第87号 第六十四条 names
exactly these errors as the ones a finished evaluation may still be corrected for.

- EVAL-RANGE: an item score below 0 or above its `max_score`. One alert per expert, the
  cells in the evidence. Subjects: the expert and the bidders of those cells.
- EVAL-MISSING: an expert who scored at all left items of a bidder unscored. The grid
  is every item anyone scored × every bidder anyone scored or the report ranks (minus
  rejected bids). One alert per expert and bidder.
- EVAL-TOTAL: a reported total differs by more than `tolerance` from the recomputation:
  the mean over the experts of each expert's sum of item scores (算术平均, the usual
  综合评分法 convention), over the experts who scored that bidder, or, where the report
  follows it (`aggregation`, auto by default), the mean without one highest and one
  lowest sum (去掉一个最高分和一个最低分, common with five or seven experts). One alert per bidder;
  the evidence holds the per-expert sums; the subject is the bidder. Not checked under a lowest-price method
  (经评审的最低投标价法), whose totals are evaluated prices, not scores.
- EVAL-ORDER: ranks not in order of totals: a better rank with a worse total; equal
  totals broken against the rule (`tie_break = "lower_price"`: the lower 唱标 price
  ranks first, 财政部令第87号 第五十五条); one bidder ranked twice; or a bidder left out
  of the ranking whose recomputed total beats a ranked one. One alert per project. Under
  a lowest-price method lower totals rank first.

The recomputation is in every alert's evidence, so the committee can correct the report
from the alert alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean
from typing import Any, Literal

from pydantic import Field

from detectors.base import Context, ProjectDetector
from witness.alerts import Alert, make_alert
from witness.events import Event
from witness.methods import lowest_price_method
from witness.thresholds import RuleThresholds, thresholds_section

#: Cells listed per alert (the count covers them all).
MAX_CELLS = 50


@thresholds_section("EVAL-TOTAL")
class TotalThresholds(RuleThresholds):
    """EVAL-TOTAL: reported total against the recomputed one."""

    tolerance: float = Field(
        0.01, ge=0, le=10, description="reports round totals; differences up to this are rounding"
    )
    aggregation: Literal["auto", "mean", "trimmed_mean"] = Field(
        "auto",
        description="how the report combines the experts' sums: their mean (算术平均), the "
        "mean without one highest and one lowest (去掉一个最高分和一个最低分), or auto: "
        "whichever explains more of the project's reported totals",
    )
    trim_min_experts: int = Field(
        5, ge=3, description="auto considers the trimmed mean only with this many experts or more"
    )


@thresholds_section("EVAL-ORDER")
class OrderThresholds(RuleThresholds):
    """EVAL-ORDER: ranks in order of totals, ties by the stated rule."""

    tie_break: Literal["lower_price", "none"] = Field(
        "lower_price", description="equal totals: the lower bid price ranks first, or no rule"
    )
    tie_tolerance: float = Field(0.0, ge=0, le=1, description="totals this close count as equal")


@dataclass
class Cell:
    score: float
    max_score: float
    event_id: str


@dataclass
class EvaluationState:
    method: str | None = None
    prices: dict[str, float] = field(default_factory=dict)  # bidder -> price (唱标 wins)
    read_out: set[str] = field(default_factory=set)  # bidders whose price was read out
    rejected: set[str] = field(default_factory=set)
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)  # expert, bidder, item


def _trimmed_mean(values: list[float]) -> float | None:
    """The mean without one highest and one lowest value; None under three values."""
    if len(values) < 3:
        return None
    return fmean(sorted(values)[1:-1])


def recompute(cells: dict[tuple[str, str, str], Cell]) -> dict[str, dict[str, Any]]:
    """Per bidder: each expert's sum of item scores, their mean (`total`, until
    `choose_aggregation` says the report used the trimmed mean) and their trimmed mean."""
    sums: dict[str, dict[str, float]] = {}
    for (expert, bidder, _item), cell in cells.items():
        per = sums.setdefault(bidder, {})
        per[expert] = per.get(expert, 0.0) + cell.score
    out = {}
    for b, per in sums.items():
        mean, trimmed = round(fmean(per.values()), 4), _trimmed_mean(list(per.values()))
        out[b] = {
            "total": mean,
            "mean": mean,
            "trimmed_mean": None if trimmed is None else round(trimmed, 4),
            "by_expert": dict(sorted(per.items())),
        }
    return out


def choose_aggregation(
    ranking: list, recomputed: dict[str, dict[str, Any]], th: TotalThresholds
) -> dict[str, Any]:
    """Which convention the report's totals follow, and set every `total` to it.

    Many 评标办法 (with five or seven experts) drop one highest and one lowest sum before
    averaging; checked against the plain mean, every total of such a report would be
    "wrong". A report uses one convention for every bidder, so `auto` takes the one that
    explains more of its totals (the plain mean on a tie): a total altered by hand fits
    neither and still fires.
    """

    def fits(kind: str) -> int:
        n = 0
        for entry in ranking:
            calc = recomputed.get(entry.bidder_id)
            value = None if calc is None else calc[kind]
            if entry.total is not None and value is not None:
                n += abs(entry.total - value) <= th.tolerance + 1e-9
        return n

    chosen, how = th.aggregation, "set in the thresholds (EVAL-TOTAL aggregation)"
    if chosen == "auto":
        experts = min((len(c["by_expert"]) for c in recomputed.values()), default=0)
        mean_fits = fits("mean")
        trimmed_fits = fits("trimmed_mean") if experts >= th.trim_min_experts else 0
        chosen = "trimmed_mean" if trimmed_fits > mean_fits else "mean"
        how = (
            f"auto: the mean explains {mean_fits} reported totals, the trimmed mean "
            f"{trimmed_fits}"
            + (
                ""
                if experts >= th.trim_min_experts
                else f" (not tried: {experts} experts, fewer than {th.trim_min_experts})"
            )
        )
    for calc in recomputed.values():
        value = calc[chosen]
        calc["total"] = calc["mean"] if value is None else value
    return {"aggregation": chosen, "chosen_by": how}


class EvaluationReportDetector(ProjectDetector):
    """EVAL-TOTAL, EVAL-RANGE, EVAL-ORDER, EVAL-MISSING at `evaluation.finished`."""

    name = "evaluation"
    rules = ("EVAL-TOTAL", "EVAL-RANGE", "EVAL-ORDER", "EVAL-MISSING")
    types = frozenset(
        {
            "project.registered",
            "bid.submitted",
            "bid.opened",
            "bid.rejected",
            "score.submitted",
            "evaluation.finished",
        }
    )

    def initial(self) -> EvaluationState:
        return EvaluationState()

    def step(
        self, state: EvaluationState, event: Event, ctx: Context
    ) -> tuple[EvaluationState, list[Alert]]:
        p = event.payload
        if event.type == "project.registered":
            state.method = p.evaluation_method
        elif event.type == "bid.submitted":
            if p.bidder.id not in state.read_out:
                state.prices[p.bidder.id] = p.price
        elif event.type == "bid.opened":
            state.prices[p.bidder_id] = p.price
            state.read_out.add(p.bidder_id)
        elif event.type == "bid.rejected":
            state.rejected.add(p.bidder_id)
        elif event.type == "score.submitted":
            key = (p.expert_id, p.bidder_id, p.item_id)
            state.cells[key] = Cell(p.score, p.max_score, event.event_id)
        elif event.type == "evaluation.finished":
            return state, self._check(state, event, ctx)
        return state, []

    # ------------------------------------------------------------------ checks

    def _check(self, state: EvaluationState, event: Event, ctx: Context) -> list[Alert]:
        ranking = list(event.payload.ranking)
        recomputed = recompute(state.cells)
        alerts = self._range(state, event, ctx)
        alerts += self._missing(state, event, ranking, ctx)
        if not lowest_price_method(state.method):
            convention = choose_aggregation(
                ranking, recomputed, ctx.thresholds.typed(TotalThresholds)
            )
            alerts += self._totals(event, ranking, recomputed, convention, ctx)
        order = self._order(state, event, ranking, recomputed, ctx)
        if order is not None:
            alerts.append(order)
        return alerts

    def _alert(
        self,
        rule_id: str,
        event: Event,
        ctx: Context,
        identity: Any,
        subjects: list[str],
        evidence: dict[str, Any],
        event_ids: list[str],
    ) -> Alert:
        at: datetime = event.ts
        return make_alert(
            rule_id,
            event.project_id,
            identity=identity,
            subjects=subjects,
            evidence=evidence,
            event_ids=[*event_ids, event.event_id],
            first_seen=at,
            room_id=event.payload.room_id,
            locale=ctx.locale,
        )

    def _range(self, state: EvaluationState, event: Event, ctx: Context) -> list[Alert]:
        bad: dict[str, list[tuple[str, str, Cell]]] = {}
        for (expert, bidder, item), cell in sorted(state.cells.items()):
            if cell.score < 0 or cell.score > cell.max_score:
                bad.setdefault(expert, []).append((bidder, item, cell))
        out = []
        for expert, cells in bad.items():
            listed = cells[:MAX_CELLS]
            evidence = {
                "expert_id": expert,
                "count": len(cells),
                "cells": [
                    {
                        "bidder_id": b,
                        "item_id": i,
                        "score": c.score,
                        "range": [0, c.max_score],
                    }
                    for b, i, c in listed
                ],
            }
            out.append(
                self._alert(
                    "EVAL-RANGE",
                    event,
                    ctx,
                    ["range", expert],
                    [expert, *(b for b, _, _ in cells)],
                    evidence,
                    [c.event_id for _, _, c in listed],
                )
            )
        return out

    def _missing(
        self, state: EvaluationState, event: Event, ranking: list, ctx: Context
    ) -> list[Alert]:
        experts = sorted({e for e, _, _ in state.cells})
        items = sorted({i for _, _, i in state.cells})
        bidders = {b for _, b, _ in state.cells} | {r.bidder_id for r in ranking}
        out = []
        for expert in experts:
            for bidder in sorted(bidders - state.rejected):
                missing = [i for i in items if (expert, bidder, i) not in state.cells]
                if not missing:
                    continue
                evidence = {
                    "expert_id": expert,
                    "bidder_id": bidder,
                    "missing_items": missing,
                    "scored_items": len(items) - len(missing),
                    "items": len(items),
                }
                out.append(
                    self._alert(
                        "EVAL-MISSING",
                        event,
                        ctx,
                        ["missing", expert, bidder],
                        [expert, bidder],
                        evidence,
                        [],
                    )
                )
        return out

    def _totals(
        self,
        event: Event,
        ranking: list,
        recomputed: dict[str, dict[str, Any]],
        convention: dict[str, Any],
        ctx: Context,
    ) -> list[Alert]:
        tolerance = ctx.thresholds.typed(TotalThresholds).tolerance
        out = []
        for entry in ranking:
            calc = recomputed.get(entry.bidder_id)
            if entry.total is None or calc is None:
                continue
            diff = entry.total - calc["total"]
            if abs(diff) <= tolerance + 1e-9:
                continue
            evidence = {
                "bidder_id": entry.bidder_id,
                "reported_total": entry.total,
                "recomputed_total": calc["total"],
                "difference": round(diff, 4),
                "tolerance": tolerance,
                "recomputed_as": (
                    "trimmed_mean_of_expert_sums"
                    if convention["aggregation"] == "trimmed_mean"
                    else "mean_of_expert_sums"
                ),
                "aggregation": convention,
                "expert_sums": {e: round(s, 4) for e, s in calc["by_expert"].items()},
            }
            out.append(
                self._alert(
                    "EVAL-TOTAL",
                    event,
                    ctx,
                    ["total", entry.bidder_id],
                    [entry.bidder_id],
                    evidence,
                    [],
                )
            )
        return out

    def _order(
        self,
        state: EvaluationState,
        event: Event,
        ranking: list,
        recomputed: dict[str, dict[str, Any]],
        ctx: Context,
    ) -> Alert | None:
        th = ctx.thresholds.typed(OrderThresholds)
        lowest = lowest_price_method(state.method)
        totals = {
            r.bidder_id: r.total
            if r.total is not None
            else recomputed.get(r.bidder_id, {}).get("total")
            for r in ranking
        }
        problems: list[dict[str, Any]] = []
        seen: set[str] = set()
        for r in ranking:
            if r.bidder_id in seen:
                problems.append({"problem": "ranked_twice", "bidder_id": r.bidder_id})
            seen.add(r.bidder_id)
        ordered = sorted(ranking, key=lambda r: r.rank)
        for i, better in enumerate(ordered):
            for worse in ordered[i + 1 :]:
                why = self._against(
                    totals.get(better.bidder_id),
                    totals.get(worse.bidder_id),
                    better.rank == worse.rank,
                    state.prices.get(better.bidder_id),
                    state.prices.get(worse.bidder_id),
                    lowest,
                    th,
                )
                if why:
                    problems.append(
                        {
                            "problem": why,
                            "ranked_higher": better.bidder_id,
                            "ranked_lower": worse.bidder_id,
                        }
                    )
        if not lowest:
            problems += self._omitted(state, ranking, recomputed)
        if not problems:
            return None
        rows = [
            {
                "bidder_id": r.bidder_id,
                "rank": r.rank,
                "total": r.total,
                "recomputed_total": recomputed.get(r.bidder_id, {}).get("total"),
                "price": state.prices.get(r.bidder_id),
            }
            for r in ordered
        ]
        evidence = {
            "method": state.method,
            "tie_break": th.tie_break,
            "ranking": rows,
            "problems": problems,
        }
        subjects = sorted(
            {x for p in problems for k, x in p.items() if k != "problem" and isinstance(x, str)}
        )
        return self._alert("EVAL-ORDER", event, ctx, ["order"], subjects, evidence, [])

    @staticmethod
    def _against(
        t_better: float | None,
        t_worse: float | None,
        same_rank: bool,
        p_better: float | None,
        p_worse: float | None,
        lowest: bool,
        th: OrderThresholds,
    ) -> str | None:
        """Why `better` may not stand above `worse`, or None if the order is right."""
        if t_better is None or t_worse is None:
            return None
        gap = (t_worse - t_better) if lowest else (t_better - t_worse)  # > 0: right order
        if abs(gap) <= th.tie_tolerance + 1e-9:
            if same_rank or th.tie_break == "none" or p_better is None or p_worse is None:
                return None
            return "tie_broken_against_rule" if p_better > p_worse else None
        if same_rank:
            return "same_rank_different_totals"
        return "lower_total_ranked_higher" if gap < 0 else None

    @staticmethod
    def _omitted(
        state: EvaluationState, ranking: list, recomputed: dict[str, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Bidders left out of the ranking whose recomputed total beats a ranked one."""
        ranked = {r.bidder_id for r in ranking}
        ranked_totals = [(recomputed[b]["total"], b) for b in ranked if b in recomputed]
        if not ranked_totals:
            return []
        lowest_ranked, who = min(ranked_totals)
        out = []
        for bidder, calc in sorted(recomputed.items()):
            if bidder in ranked or bidder in state.rejected:
                continue
            if calc["total"] > lowest_ranked + 1e-9:
                out.append(
                    {
                        "problem": "left_out_above_ranked",
                        "left_out": bidder,
                        "left_out_total": calc["total"],
                        "ranked_lower": who,
                    }
                )
        return out
