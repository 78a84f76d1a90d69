"""Turn alert evidence and recorded events into the project page's pictures.

Evidence shapes differ per rule family; these functions read the shapes the detectors
write (detectors/*.py) and fall back to nothing rather than guess, so the page can still
show the raw JSON. Pure functions: no Streamlit here, so they are easy to test.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from dashboards.explain.core import Names
from witness.events import Event
from witness.sealing import AlertView


def _walk(obj: Any, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair nested in dicts and lists, skipping some keys' subtrees."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if any(str(k).startswith(s) for s in skip):
                continue
            yield str(k), v
            yield from _walk(v, skip)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, skip)


def _dicts(obj: Any, skip: tuple[str, ...] = ()) -> Iterator[dict]:
    """Every dict nested in `obj` (itself included), skipping some keys' subtrees."""
    if isinstance(obj, dict):
        yield obj
        for k, v in obj.items():
            if not any(str(k).startswith(s) for s in skip):
                yield from _dicts(v, skip)
    elif isinstance(obj, list):
        for v in obj:
            yield from _dicts(v, skip)


def _q(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def bidder_names(events: Iterable[Event], views: Iterable[AlertView] = ()) -> dict[str, str]:
    names: dict[str, str] = {}
    for e in events:
        if e.type == "bid.submitted":
            names[e.payload.bidder.id] = e.payload.bidder.name
    for v in views:
        for k, val in _walk(v.evidence):
            if k == "bidders" and isinstance(val, list):
                for b in val:
                    if isinstance(b, dict) and b.get("bidder_id") and b.get("bidder_name"):
                        names.setdefault(b["bidder_id"], b["bidder_name"])
    return names


def relation_edges(views: Iterable[AlertView]) -> tuple[set, list[dict]]:
    """Bidder nodes and edges from REL-* alerts; edges on an evidence `path` are highlighted."""
    nodes: set[str] = set()
    edges: list[dict] = []
    for v in views:
        if not v.rule.startswith("REL") or v.sealed:
            continue
        nodes.update(v.subjects)
        path_links = [
            link
            for k, val in _walk(v.evidence)
            if k == "path" and isinstance(val, list)
            for link in val
            if isinstance(link, dict) and "from" in link and "to" in link
        ]
        for link in path_links:
            label = str(link.get("kind", v.rule))
            if link.get("share") is not None:
                label += f" {float(link['share']):.0%}"
            edges.append(
                {
                    "a": str(link["from"]),
                    "b": str(link["to"]),
                    "label": label,
                    "rule": v.rule,
                    "path": True,
                    "a_name": link.get("from_name"),
                    "b_name": link.get("to_name"),
                }
            )
        if not path_links:  # no path in the evidence: tie the subjects by the rule
            subs = sorted(v.subjects)
            for i, a in enumerate(subs):
                for b in subs[i + 1 :]:
                    edges.append({"a": a, "b": b, "label": v.rule, "rule": v.rule, "path": False})
    return nodes, edges


def relation_dot(views: Iterable[AlertView], names: dict[str, str]) -> str | None:
    """Graphviz DOT of the bidder graph, or None when there is nothing to draw."""
    nodes, edges = relation_edges(views)
    if not edges and not nodes:
        return None
    extra = {e["a"]: e.get("a_name") for e in edges} | {e["b"]: e.get("b_name") for e in edges}
    lines = ["graph G {", "  rankdir=LR;", '  node [shape=box, style="rounded"];']
    for n in sorted(nodes | set(extra)):
        name = names.get(n) or extra.get(n) or n
        label = _q(n) if name == n else _q(name)[:-1] + "\\n" + _q(n)[1:]  # two lines
        style = ', style="rounded,filled", fillcolor="#ffe9e9"' if n in nodes else ""
        lines.append(f"  {_q(n)} [label={label}{style}];")
    for e in edges:
        attrs = f"label={_q(e['label'])}"
        attrs += ', color="red", penwidth=3' if e["path"] else ', style="dashed", color="grey40"'
        lines.append(f"  {_q(e['a'])} -- {_q(e['b'])} [{attrs}];")
    lines.append("}")
    return "\n".join(lines)


def doc_findings(views: Iterable[AlertView]) -> list[dict]:
    """DOC-40-4 per-document findings (doc_a, doc_b, bidder_a, bidder_b, similarity, passages)."""
    out = []
    for v in views:
        if v.rule != "DOC-40-4" or v.sealed:
            continue
        docs = v.evidence.get("documents")
        if isinstance(docs, list) and docs and isinstance(docs[0], dict) and "doc_a" in docs[0]:
            out.extend(d for d in docs if isinstance(d, dict))
        elif len(v.subjects) >= 2:
            out.append(
                {
                    "bidder_a": v.subjects[0],
                    "bidder_b": v.subjects[1],
                    "similarity": v.evidence.get("similarity"),
                    "passages": v.evidence.get("passages", []),
                }
            )
    return out


def similarity_matrix(findings: list[dict]) -> pd.DataFrame:
    """Bidder × bidder, the highest similarity any of their documents reached."""
    best: dict[tuple[str, str], float] = {}
    for f in findings:
        a, b, s = f.get("bidder_a"), f.get("bidder_b"), f.get("similarity")
        if a is None or b is None or not isinstance(s, int | float):
            continue
        for key in ((a, b), (b, a)):
            best[key] = max(best.get(key, 0.0), float(s))
    bidders = sorted({k[0] for k in best})
    frame = pd.DataFrame(index=bidders, columns=bidders, dtype=float)
    for (a, b), s in best.items():
        frame.loc[a, b] = s
    for b in bidders:
        frame.loc[b, b] = 1.0
    return frame


def passage_sides(
    passage: dict, text_a: str | None, text_b: str | None, context: int = 40
) -> tuple[str, str]:
    """The shared passage in each document with some context, the shared part in bold."""

    def side(text: str | None, pos: Any) -> str:
        if not text or not isinstance(pos, dict) or "start" not in pos:
            return f"**{passage.get('text', '')}**"
        s, e = int(pos["start"]), int(pos["end"])
        return f"…{text[max(0, s - context) : s]}**{text[s:e]}**{text[e : e + context]}…"

    return side(text_a, passage.get("a")), side(text_b, passage.get("b"))


def event_kind(etype: str) -> str:
    """'投标文件递交 · bid.submitted': the step in words, the contract's type beside it."""
    from dashboards.explain.core import label

    words = label("event", etype)
    return f"{words} · {etype}" if words != etype else etype


def event_detail(e: Event, names: Names | None = None) -> str:
    """One line about an event for the timeline (only called for visible events)."""
    from dashboards.explain.core import money

    names = names or Names()
    p = e.payload
    match e.type:
        case "bid.submitted":
            return f"{p.bidder.name} （{p.bidder.id}）"
        case "bid.opened":
            return f"{names.bidder(p.bidder_id)} {money(p.price, names.currency)}"
        case "score.submitted":
            return (
                f"{names.expert(p.expert_id)} → {names.bidder_name(p.bidder_id)} "
                f"{p.item_id}: {p.score:g}/{p.max_score:g}"
            )
        case "document.submitted":
            return f"{names.bidder_name(p.owner)} {p.doc_id} ({p.kind})"
        case "boq.submitted":
            return f"{names.bidder_name(p.bidder_id)} {p.doc_id} ({len(p.items)})"
        case "expert.assigned":
            return f"{p.expert.name or ''}（{p.expert.id}）"
    room = getattr(p, "room_id", None)
    return room or ""


def score_frame(events: Iterable[Event]) -> pd.DataFrame:
    """Expert × bidder totals of submitted scores (last score per item wins)."""
    last: dict[tuple[str, str, str], float] = {}
    for e in events:
        if e.type == "score.submitted":
            p = e.payload
            last[(p.expert_id, p.bidder_id, p.item_id)] = float(p.score)
    if not last:
        return pd.DataFrame()
    rows = [{"expert": x, "bidder": b, "score": s} for (x, b, _), s in last.items()]
    return pd.DataFrame(rows).pivot_table(
        index="expert", columns="bidder", values="score", aggfunc="sum"
    )


def deviations(views: Iterable[AlertView]) -> set[tuple[str, str]]:
    """(expert, bidder) cells named by EXP-* alerts (current cases only)."""
    cells: set[tuple[str, str]] = set()
    for v in views:
        if not v.rule.startswith("EXP") or v.sealed:
            continue
        top = v.evidence.get("expert_id")
        for d in _dicts(v.evidence, skip=("no_longer",)):
            expert = d.get("expert_id", top)
            if "bidder_id" in d and expert:
                cells.add((str(expert), str(d["bidder_id"])))
    return cells


def price_frame(events: Iterable[Event], names: dict[str, str]) -> pd.DataFrame:
    """Prices as read out at opening (唱标), lowest first."""
    rows = {}
    for e in events:
        if e.type == "bid.opened":
            rows[e.payload.bidder_id] = float(e.payload.price)
    return (
        pd.DataFrame(
            [{"bidder": b, "name": names.get(b, ""), "price": p} for b, p in rows.items()]
        ).sort_values("price")
        if rows
        else pd.DataFrame()
    )


def short_name(name: str | None, ident: str, limit: int = 8) -> str:
    """A label that fits an axis: the name's first characters, else the id's last ones."""
    if name:
        return name if len(name) <= limit else name[:limit] + "…"
    return ident if len(ident) <= limit + 2 else "…" + ident[-limit:]
