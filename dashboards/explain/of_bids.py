"""Bidders' rules in words: relations (REL-*), documents (DOC-*), prices (PRICE-*)."""

from __future__ import annotations

from typing import Any

from dashboards.explain.core import Explanation, Names, Table, col, label, money, num, pct
from witness.i18n import t


def _bidder_rows(bidders: list, names: Names, extra: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    for b in bidders:
        if not isinstance(b, dict):
            b = {"bidder_id": b}
        bid = b.get("bidder_id")
        row = {col("bidder"): names.bidder_name(bid), col("credit_code"): str(bid)}
        for key, column in extra.items():
            if b.get(key) not in (None, ""):
                value = b[key]
                row[column] = (
                    t("ex.yes") if value is True else t("ex.no") if value is False else str(value)
                )
        rows.append(row)
    return rows


def shared_attribute(v: Any, ev: dict, names: Names) -> Explanation:
    """REL-40-1, REL-40-2, REL-40-2-IP, REL-40-3: one value on several bids."""
    attr = str(ev.get("attribute", ""))
    bidders = ev.get("bidders") or []
    extra = {
        "machine_code": col("machine_code"),
        "file_creation_id": col("file_creation_id"),
        "dongle_id": col("dongle_id"),
        "ip": col("ip"),
        "mac": "MAC",
        "cpu_id": "CPU",
        "disk_id": col("disk_id"),
        "contact_name": col("contact"),
        "phone": col("phone"),
        "email": col("email"),
        "project_manager": col("project_manager"),
        "cert_no": col("cert_no"),
        "at_venue": col("at_venue"),
    }
    summary = t(
        "ex.shared_attribute",
        n=len(bidders),
        what=label("attr", attr),
        value=ev.get("value", ""),
    )
    if ev.get("note"):
        summary += " " + t("ex.ip_note")
    return Explanation(summary, [Table(t("ex.t.bidders"), _bidder_rows(bidders, names, extra))])


def bond(v: Any, ev: dict, names: Names) -> Explanation:
    bidders = ev.get("bidders") or []
    summary = t("ex.bond", n=len(bidders), account=ev.get("payer_account", ""))
    extra = {"payer_account": col("payer_account"), "payer_name": col("payer_name")}
    return Explanation(summary, [Table(t("ex.t.bidders"), _bidder_rows(bidders, names, extra))])


def control(v: Any, ev: dict, names: Names) -> Explanation:
    """REL-34: a controller reaches several bidders through the registry graph."""
    c = ev.get("controller") or {}
    bidders = ev.get("bidders") or []
    summary = t(
        "ex.control",
        controller=names.bidder(c.get("id")) if c.get("id") else t("ex.unknown"),
        n=len(bidders),
        by=label("matched", ev.get("matched_by", "")),
    )
    links = []
    for b in bidders:
        for link in b.get("path") or [] if isinstance(b, dict) else []:
            links.append(
                {
                    col("from"): names.bidder(link.get("from")),
                    col("relation"): label("kind", link.get("kind", "")),
                    col("share"): pct(link["share"]) if link.get("share") is not None else "—",
                    col("to"): names.bidder(link.get("to")),
                    col("source"): str(link.get("source", "")),
                }
            )
    tables = [Table(t("ex.t.bidders"), _bidder_rows(bidders, names, {}))]
    if links:
        tables.append(Table(t("ex.t.path"), links))
    return Explanation(summary, tables)


def ring(v: Any, ev: dict, names: Names) -> Explanation:
    group = ev.get("group") or []
    tenders = ev.get("tenders") or []
    wins = ev.get("wins") or {}
    summary = t(
        "ex.ring",
        n=len(group),
        shared=ev.get("shared_tenders", len(tenders)),
        winners=ev.get("distinct_winners", "?"),
        share=pct(ev.get("group_win_share", 0)),
    )
    members = [
        {
            col("bidder"): names.bidder_name(b.get("bidder_id")),
            col("credit_code"): str(b.get("bidder_id")),
            col("wins"): str(wins.get(b.get("bidder_id"), 0)),
        }
        for b in group
        if isinstance(b, dict)
    ]
    rows = [
        {
            col("project"): str(x.get("project_id")),
            col("winner"): names.bidder(x.get("winner")) if x.get("winner") else "—",
        }
        for x in tenders
        if isinstance(x, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.members"), members), Table(t("ex.t.tenders"), rows)])


def similar_documents(v: Any, ev: dict, names: Names) -> Explanation:
    docs = [d for d in ev.get("documents") or [] if isinstance(d, dict)]
    bidders = ev.get("bidders") or list(v.subjects)
    summary = t(
        "ex.doc_similar",
        a=names.bidder_name(bidders[0]) if bidders else "?",
        b=names.bidder_name(bidders[1]) if len(bidders) > 1 else "?",
        sim=pct(ev.get("similarity", 0)),
        rare=ev.get("shared_rare_phrases", 0),
    )
    rows = [
        {
            col("doc_a"): f"{names.bidder_name(d.get('bidder_a'))} {d.get('doc_a', '')}",
            col("doc_b"): f"{names.bidder_name(d.get('bidder_b'))} {d.get('doc_b', '')}",
            col("similarity"): pct(d.get("similarity", 0), 1),
            col("rare"): str((d.get("shared_rare_phrases") or {}).get("count", "—")),
            col("passages"): str(len(d.get("passages") or [])),
        }
        for d in docs
    ]
    passages = [
        {col("passage"): str(p.get("text", "")), col("chars"): str(p.get("chars", ""))}
        for d in docs[:1]
        for p in (d.get("passages") or [])[:5]
        if isinstance(p, dict)
    ]
    tables = [Table(t("ex.t.documents"), rows)]
    if passages:
        tables.append(Table(t("ex.t.passages"), passages))
    return Explanation(summary, tables)


def mixed_documents(v: Any, ev: dict, names: Names) -> Explanation:
    findings = [f for f in ev.get("findings") or [] if isinstance(f, dict)]
    f0 = findings[0] if findings else {}
    summary = t(
        "ex.doc_mixed",
        owner=names.bidder_name(f0.get("document_owner")),
        named=names.bidder_name(f0.get("named_bidder")),
        doc=f0.get("document", ""),
        by=label("match", f0.get("match", "")),
    )
    rows = [
        {
            col("document"): str(f.get("document", "")),
            col("owner"): names.bidder_name(f.get("document_owner")),
            col("named"): names.bidder(f.get("named_bidder")),
            col("match"): f"{label('match', f.get('match', ''))}：{f.get('value', '')}",
            col("context"): str((f.get("first") or {}).get("context", "")),
        }
        for f in findings
    ]
    return Explanation(summary, [Table(t("ex.t.findings"), rows)])


def same_metadata(v: Any, ev: dict, names: Names) -> Explanation:
    shared = [s for s in ev.get("shared") or [] if isinstance(s, dict)]
    fields = list(dict.fromkeys(label("meta", s.get("field", "")) for s in shared))
    summary = t("ex.doc_meta", n=len(ev.get("bidders") or v.subjects), fields="、".join(fields))
    rows = [
        {
            col("field"): label("meta", s.get("field", "")),
            col("value"): str(s.get("value", "")),
            col("documents"): "；".join(
                f"{names.bidder_name(b)} {d}" for b, d in (s.get("documents") or {}).items()
            ),
        }
        for s in shared
    ]
    return Explanation(summary, [Table(t("ex.t.metadata"), rows)])


def _bids_table(ev: dict, names: Names) -> Table:
    bids = sorted(
        (b for b in ev.get("bids") or [] if isinstance(b, dict)),
        key=lambda b: float(b.get("price") or 0),
    )
    rows = [
        {
            col("bidder"): names.bidder_name(b.get("bidder_id")),
            col("credit_code"): str(b.get("bidder_id")),
            col("price"): money(b.get("price"), names.currency),
        }
        for b in bids
    ]
    return Table(t("ex.t.prices"), rows)


def regular_prices(v: Any, ev: dict, names: Names) -> Explanation:
    kind = str(ev.get("kind", ""))
    pattern = str(ev.get("pattern", ""))
    summary = t(
        "ex.price_regular",
        n=len(ev.get("bids") or v.subjects),
        how=label("pattern", pattern or kind),
    )
    return Explanation(summary, [_bids_table(ev, names)])


SCREENS = ("n", "cv", "spd", "diffp", "rd", "kurt", "skew", "ks")


def price_screens(v: Any, ev: dict, names: Names) -> Explanation:
    sc = ev.get("screens") or {}
    th = ev.get("thresholds") or {}
    summary = t(
        "ex.price_screen",
        cv=num(sc.get("cv"), 3),
        cv_max=num(th.get("cv_max", 0.06), 3),
        rd=num(sc.get("rd"), 2),
        rd_min=num(th.get("rd_min", 1), 2),
    )
    chance, bar = ev.get("rd_chance"), th.get("max_chance") if isinstance(th, dict) else None
    if isinstance(chance, int | float) and isinstance(bar, int | float):
        summary += t("ex.price_screen_chance", chance=f"{chance:.2%}", bar=f"{bar:.2%}")
    limits = {"cv": f"≤ {num(th.get('cv_max'), 3)}", "rd": f"> {num(th.get('rd_min'), 2)}"}
    rows = [
        {
            col("screen"): label("screen", k),
            col("value"): num(sc[k], 3),
            col("threshold"): limits.get(k, "—") if th else "—",
        }
        for k in SCREENS
        if k in sc
    ]
    return Explanation(summary, [Table(t("ex.t.screens"), rows), _bids_table(ev, names)])
