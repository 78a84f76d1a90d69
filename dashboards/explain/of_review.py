"""The report, rejections and bidders' histories in words (EVAL-*, REJ-*, BID-LOSER,
PRICE-CLOSE, PRICE-DISCOUNT, PROC-SHORT), and bills of quantities (BOQ-*)."""

from __future__ import annotations

from typing import Any

from dashboards.explain.core import Explanation, Names, Table, col, label, money, num, pct, when
from witness.i18n import t


def eval_total(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.eval_total",
        bidder=names.bidder(ev.get("bidder_id")),
        reported=num(ev.get("reported_total")),
        recomputed=num(ev.get("recomputed_total")),
        diff=num(ev.get("difference")),
    )
    rows = [
        {col("expert"): names.expert(x), col("sum"): num(s)}
        for x, s in (ev.get("expert_sums") or {}).items()
    ]
    return Explanation(summary, [Table(t("ex.t.expert_sums"), rows)])


def eval_range(v: Any, ev: dict, names: Names) -> Explanation:
    cells = [c for c in ev.get("cells") or [] if isinstance(c, dict)]
    summary = t(
        "ex.eval_range", expert=names.expert(ev.get("expert_id")), n=ev.get("count", len(cells))
    )
    rows = [
        {
            col("bidder"): names.bidder_name(c.get("bidder_id")),
            col("item"): str(c.get("item_id", "")),
            col("score"): num(c.get("score")),
            col("allowed"): "–".join(num(x) for x in (c.get("range") or [])),
        }
        for c in cells
    ]
    return Explanation(summary, [Table(t("ex.t.scores"), rows)])


def eval_order(v: Any, ev: dict, names: Names) -> Explanation:
    problems = [p for p in ev.get("problems") or [] if isinstance(p, dict)]
    p0 = problems[0] if problems else {}
    summary = t(
        "ex.eval_order",
        higher=names.bidder(p0.get("ranked_higher")),
        lower=names.bidder(p0.get("ranked_lower")),
        method=ev.get("method", ""),
    )
    rows = [
        {
            col("rank"): str(r.get("rank", "")),
            col("bidder"): names.bidder_name(r.get("bidder_id")),
            col("total"): num(r.get("total")),
            col("recomputed"): num(r.get("recomputed_total")),
            col("price"): money(r.get("price"), names.currency) if r.get("price") else "—",
        }
        for r in ev.get("ranking") or []
        if isinstance(r, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.ranking"), rows)])


def eval_missing(v: Any, ev: dict, names: Names) -> Explanation:
    missing = [str(i) for i in ev.get("missing_items") or []]
    summary = t(
        "ex.eval_missing",
        expert=names.expert(ev.get("expert_id")),
        bidder=names.bidder(ev.get("bidder_id")),
        n=len(missing),
        items="、".join(missing),
    )
    rows = [
        {col("scored"): str(ev.get("scored_items", "?")), col("items"): str(ev.get("items", "?"))}
    ]
    return Explanation(summary, [Table(t("ex.t.scores"), rows)])


def _rejected(ev: dict, names: Names) -> Table:
    rows = [
        {
            col("bidder"): names.bidder_name(r.get("bidder_id")),
            col("credit_code"): str(r.get("bidder_id")),
            col("reason"): str(r.get("reason", "")),
            col("time"): when(r.get("at")),
        }
        for r in ev.get("rejected") or []
        if isinstance(r, dict)
    ]
    return Table(t("ex.t.rejected"), rows)


def rejected_all(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.rej_all",
        n=len(ev.get("rejected") or []),
        bidders=ev.get("bidders", "?"),
        winner=names.bidder(ev.get("winner")),
    )
    return Explanation(summary, [_rejected(ev, names)])


def rejected_low(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.rej_low",
        bidder=names.bidder(ev.get("bidder_id")),
        price=money(ev.get("price"), names.currency),
        second=money(ev.get("second_lowest"), names.currency),
        reason=ev.get("reason", ""),
        method=ev.get("evaluation_method", ""),
    )
    rows = [
        {
            col("price"): money(ev.get("price"), names.currency),
            col("second_lowest"): money(ev.get("second_lowest"), names.currency),
            col("reason"): str(ev.get("reason", "")),
            col("time"): when(ev.get("rejected_at")),
        }
    ]
    return Explanation(summary, [Table(t("ex.t.rejected"), rows)])


def _history(ev: dict) -> Table:
    rows = [{col("project"): str(p)} for p in ev.get("recent_projects") or []]
    return Table(t("ex.t.recent"), rows)


def rejected_rate(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.rej_rate",
        who=names.bidder(ev.get("entity")),
        kind=label("entity", ev.get("kind", "")),
        rejected=ev.get("rejected", "?"),
        bids=ev.get("bids", "?"),
        share=pct(ev.get("share", 0)),
    )
    return Explanation(summary, [_history(ev)])


def loser(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.loser",
        bidder=names.bidder(ev.get("bidder_id")),
        tenders=ev.get("tenders", "?"),
        wins=ev.get("wins", 0),
        share=pct(ev.get("win_share", 0)),
    )
    return Explanation(summary, [_history(ev)])


def _two_lowest(ev: dict, names: Names) -> Table:
    rows = [
        {
            col("bidder"): names.bidder_name(b.get("bidder_id")),
            col("credit_code"): str(b.get("bidder_id")),
            col("price"): money(b.get("price"), names.currency),
        }
        for b in ev.get("bids") or []
        if isinstance(b, dict)
    ]
    return Table(t("ex.t.prices"), rows)


def close_prices(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.price_close",
        gap=pct(ev.get("gap", 0), 2),
        limit=pct((ev.get("thresholds") or {}).get("max_gap", 0), 2),
    )
    return Explanation(summary, [_two_lowest(ev, names)])


def discount(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.price_discount",
        gap=pct(ev.get("gap", 0), 1),
        limit=pct((ev.get("thresholds") or {}).get("min_gap", 0), 1),
    )
    return Explanation(summary, [_two_lowest(ev, names)])


def short_period(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.proc_short",
        days=num(ev.get("days"), 1),
        min=(ev.get("threshold") or {}).get("min_days", 20),
    )
    rows = [
        {
            col("published"): when(ev.get("tender_published_at")),
            col("deadline"): when(ev.get("bid_deadline")),
            col("days"): num(ev.get("days"), 1),
        }
    ]
    return Explanation(summary, [Table(t("ex.t.times"), rows)])


# ---------------------------------------------------------------- bills of quantities


def _pair(ev: dict, names: Names) -> tuple[str, str]:
    bidders = list(ev.get("bidders") or [])
    a = names.bidder_name(bidders[0]) if bidders else "?"
    b = names.bidder_name(bidders[1]) if len(bidders) > 1 else "?"
    return a, b


MONEY_KEYS = frozenset({"a", "b", "control", "reference", "expected_b"})


def _items(
    ev: dict, names: Names, fields: dict[str, str], limit: int = 8, money_keys=MONEY_KEYS
) -> Table:
    """The first items of a bill comparison; unit prices as money, quantities as numbers."""
    rows = []
    for it in (ev.get("items") or [])[:limit]:
        if not isinstance(it, dict):
            continue
        row = {col("code"): str(it.get("code", "")), col("item_name"): str(it.get("name", ""))}
        for key, column in fields.items():
            value = it.get(key)
            if value is None:
                row[column] = "—"
            elif key in money_keys and isinstance(value, int | float):
                row[column] = money(value, names.currency)
            else:
                row[column] = num(value) if isinstance(value, int | float) else str(value)
        rows.append(row)
    return Table(t("ex.t.items", n=min(limit, len(ev.get("items") or []))), rows)


def boq_same(v: Any, ev: dict, names: Names) -> Explanation:
    a, b = _pair(ev, names)
    summary = t(
        "ex.boq_same",
        a=a,
        b=b,
        same=ev.get("identical", "?"),
        compared=ev.get("compared", "?"),
        share=pct(ev.get("share", 0)),
    )
    if ev.get("control_identical"):
        summary += " " + t(
            "ex.boq_same_kept",
            kept=ev["control_identical"],
            share_all=pct(ev.get("share_with_control", 0)),
        )
    return Explanation(summary, [_items(ev, names, {"a": a, "b": b, "control": col("control")})])


def boq_ratio(v: Any, ev: dict, names: Names) -> Explanation:
    a, b = _pair(ev, names)
    summary = t(
        "ex.boq_ratio",
        a=a,
        b=b,
        formula=ev.get("formula", ""),
        fit=ev.get("fitting", "?"),
        compared=ev.get("compared", "?"),
    )
    return Explanation(
        summary, [_items(ev, names, {"a": a, "b": b, "expected_b": col("expected")})]
    )


def boq_error(v: Any, ev: dict, names: Names) -> Explanation:
    a, b = _pair(ev, names)
    kinds = ev.get("kinds") or {}
    what = "、".join(f"{label('boq_kind', k)} {n} 处" for k, n in kinds.items())
    summary = t("ex.boq_error", a=a, b=b, n=ev.get("shared", "?"), what=what)
    fields = {"kind": col("deviation_kind"), "tender": col("tender"), "a": a, "b": b}
    table = _items(ev, names, fields, money_keys=frozenset())  # quantities and units
    for row in table.rows:
        row[col("deviation_kind")] = label("boq_kind", row[col("deviation_kind")])
    return Explanation(summary, [table])


def boq_mix(v: Any, ev: dict, names: Names) -> Explanation:
    a, b = _pair(ev, names)
    summary = t(
        "ex.boq_mix",
        a=a,
        b=b,
        same=ev.get("same_build_up", "?"),
        compared=ev.get("compared", "?"),
    )
    rows = []
    for it in (ev.get("items") or [])[:6]:
        if not isinstance(it, dict):
            continue
        shares = it.get("a_shares") or {}
        rows.append(
            {
                col("code"): str(it.get("code", "")),
                col("item_name"): str(it.get("name", "")),
                **{label("component", k): pct(s, 1) for k, s in shares.items()},
            }
        )
    return Explanation(summary, [Table(t("ex.t.build_up"), rows)])


def boq_lock(v: Any, ev: dict, names: Names) -> Explanation:
    shared = [s for s in ev.get("shared") or [] if isinstance(s, dict)]
    what = "、".join(
        f"{label('software', s.get('field', ''))} {s.get('value', '')}" for s in shared
    )
    summary = t("ex.boq_lock", n=len(ev.get("bidders") or []), what=what)
    rows = [
        {
            col("bidder"): names.bidder_name(b),
            col("software"): f"{sw.get('name', '')} {sw.get('version', '')}".strip(),
            col("lock_id"): str(sw.get("lock_id", "")),
            col("machine_code"): str(sw.get("machine_code", "")),
        }
        for b, sw in (ev.get("software") or {}).items()
        if isinstance(sw, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.software"), rows)])


def boq_unbalanced(v: Any, ev: dict, names: Names) -> Explanation:
    counts = ev.get("unbalanced_items") or {}
    summary = t(
        "ex.boq_unbal",
        n=len(counts),
        items=max(counts.values()) if counts else "?",
        reference=label("reference", ev.get("reference", "")),
    )
    rows = []
    for it in (ev.get("items") or [])[:8]:
        if not isinstance(it, dict):
            continue
        row = {
            col("code"): str(it.get("code", "")),
            col("item_name"): str(it.get("name", "")),
            col("reference_price"): money(it.get("reference"), names.currency),
        }
        for b, p in (it.get("prices") or {}).items():
            dev = (it.get("deviation") or {}).get(b)
            row[names.bidder_name(b)] = (
                f"{money(p, names.currency)}（{pct(dev)}）"
                if dev is not None
                else money(p, names.currency)
            )
        rows.append(row)
    return Explanation(summary, [Table(t("ex.t.items", n=len(rows)), rows)])
