"""Experts' rules in words: conflicts, committee, scores, behaviour (EXP-*)."""

from __future__ import annotations

from typing import Any

from dashboards.explain.core import Explanation, Names, Table, col, label, num, pct, when
from witness.i18n import t


def avoid(v: Any, ev: dict, names: Names) -> Explanation:
    conflicts = [c for c in ev.get("conflicts") or [] if isinstance(c, dict)]
    summary = t(
        "ex.avoid",
        expert=names.expert(ev.get("expert_id")),
        bidder=names.bidder(ev.get("bidder_id")),
        what="、".join(label("conflict", c.get("conflict", "")) for c in conflicts),
    )
    rows = [
        {
            col("conflict"): label("conflict", c.get("conflict", "")),
            col("since"): str(c.get("since") or "—"),
            col("until"): str(c.get("until") or "—"),
            col("share"): pct(c["share"]) if c.get("share") is not None else "—",
            col("source"): str(c.get("source", "")),
        }
        for c in conflicts
    ]
    return Explanation(summary, [Table(t("ex.t.conflicts"), rows)])


def committee(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.committee",
        members=ev.get("members", "?"),
        experts=ev.get("experts", "?"),
        share=pct(ev.get("expert_share", 0)),
        what="、".join(label("violation", x) for x in ev.get("violations") or []),
    )
    rows = [
        {
            col("expert"): str(r.get("name") or r.get("expert_id")),
            col("expert_id"): str(r.get("expert_id")),
            col("role"): label("role", r.get("role", "")),
        }
        for r in ev.get("roster") or []
        if isinstance(r, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.roster"), rows)])


def deviation(v: Any, ev: dict, names: Names) -> Explanation:
    cells = [d for d in ev.get("deviating") or [] if isinstance(d, dict)]
    summary = t("ex.dev", expert=names.expert(ev.get("expert_id")), n=len(cells))
    rows = [
        {
            col("bidder"): names.bidder_name(d.get("bidder_id")),
            col("item"): str(d.get("item_id", "")),
            col("score"): f"{num(d.get('score'))} / {num(d.get('max_score'))}",
            col("others_mean"): num(d.get("others_mean")),
            col("deviation"): num(d.get("deviation")),
            col("limit"): num(d.get("limit")),
        }
        for d in cells
    ]
    return Explanation(summary, [Table(t("ex.t.scores"), rows)])


def objective(v: Any, ev: dict, names: Names) -> Explanation:
    scores = ev.get("scores") or {}
    summary = t(
        "ex.obj",
        item=ev.get("item_id", ""),
        bidder=names.bidder(ev.get("bidder_id")),
        spread=num(ev.get("spread")),
    )
    rows = [{col("expert"): names.expert(x), col("score"): num(s)} for x, s in scores.items()]
    return Explanation(summary, [Table(t("ex.t.scores"), rows)])


def clique(v: Any, ev: dict, names: Names) -> Explanation:
    groups = [g for g in ev.get("groups") or [] if isinstance(g, dict)]
    g0 = groups[0] if groups else {}
    summary = t(
        "ex.clique",
        n=len(g0.get("experts") or v.subjects),
        cells=g0.get("cells", "?"),
        experts="、".join(names.expert(x) for x in g0.get("experts") or []),
    )
    rows = [
        {
            col("bidder"): names.bidder_name(s.get("bidder_id")),
            col("item"): str(s.get("item_id", "")),
            col("score"): num(s.get("score")),
        }
        for s in g0.get("scores") or []
        if isinstance(s, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.same_scores"), rows)])


def favour(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.favor",
        expert=names.expert(ev.get("expert_id")),
        bidder=names.bidder(ev.get("bidder_id")),
        rank=num(ev.get("expert_rank"), 1),
        median=num(ev.get("others_median_rank"), 1),
        boost=num(ev.get("points_boost"), 1),
    )
    mine = ev.get("expert_totals") or {}
    mean = ev.get("committee_mean_totals") or {}
    rows = [
        {
            col("bidder"): names.bidder_name(b),
            col("expert_total"): num(mine.get(b)),
            col("committee_mean"): num(mean.get(b)),
        }
        for b in sorted(mine, key=lambda b: -float(mine[b] or 0))
    ]
    return Explanation(summary, [Table(t("ex.t.totals"), rows)])


def fast(v: Any, ev: dict, names: Names) -> Explanation:
    if ev.get("check") == "click_through":
        summary = t(
            "ex.fast_click",
            expert=names.expert(ev.get("expert_id")),
            n=ev.get("run_clicks", "?"),
            gap=num(ev.get("median_gap_seconds"), 1),
        )
        rows = [
            {col("from"): when(ev.get("run_from")), col("to"): when(ev.get("run_to"))},
        ]
        return Explanation(summary, [Table(t("ex.t.clicks"), rows)])
    summary = t(
        "ex.fast_duration",
        elapsed=num(ev.get("elapsed_minutes"), 0),
        planned=num(ev.get("planned_minutes"), 0),
        limit=num(ev.get("limit_minutes"), 0),
    )
    rows = [
        {
            col("expert"): names.expert(x),
            col("first_score"): when(d.get("first_score")),
            col("last_score"): when(d.get("last_score")),
            col("minutes"): num(d.get("minutes_from_start"), 1),
        }
        for x, d in (ev.get("experts") or {}).items()
        if isinstance(d, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.experts"), rows)])


def focus(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.focus",
        expert=names.expert(ev.get("expert_id")),
        bidder=names.bidder(ev.get("bidder_id")),
        n=ev.get("opens_of_bidder", "?"),
        share=pct(ev.get("share", 0)),
        others=num(ev.get("other_experts_mean_opens_of_bidder"), 1),
    )
    rows = [
        {col("bidder"): names.bidder_name(b), col("opens"): str(n)}
        for b, n in sorted((ev.get("opens_by_bidder") or {}).items(), key=lambda x: -x[1])
    ]
    return Explanation(summary, [Table(t("ex.t.opens"), rows)])
