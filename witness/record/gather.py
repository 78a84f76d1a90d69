"""Build a record's data from a project's events, alerts, decisions and dead letters.

Pure: the sources (`sources.py`) read the store, a bundle or an events file; this module
decides what the record says. Sealing is an allow-list (DESIGN §5): before the project's
`opening.started` the record shows the project, each alert's rule and catalogue title
and times, and the lifecycle times; no bidder, no bid count, no price, no evidence, no
committee, no decision reason, no dead-letter text. An alert that names other projects
too (cross-project rules) stays sealed while any of them is (witness/sealing.py).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from witness.alerts import AlertLike
from witness.events import Event
from witness.record.coverage import coverage
from witness.record.milestones import milestones
from witness.record.model import (
    AlertEntry,
    BidderRow,
    ChainInfo,
    DeadLetterRow,
    DecisionRow,
    ExpertRow,
    Facts,
    RecordData,
    RoomInfo,
)
from witness.rules import CATALOGUE, SEVERITY_ORDER, localized_title
from witness.sealing import alert_sealed

#: Evidence lines per alert, and characters per value, in a record.
MAX_EVIDENCE_LINES = 14
MAX_VALUE_CHARS = 240


@dataclass
class RecordInput:
    """Everything a record is made from, whatever the source."""

    project_id: str
    events: Sequence[Event]  # the project's events and its rooms' frames, in order
    alerts: Sequence[AlertLike]
    decisions: Sequence[DecisionRow]
    chain: ChainInfo
    dead_letters: Sequence[DeadLetterRow] | None = None  # None: the source has none
    gap_seconds: float = 60
    #: projects whose bids are open, where the source knows (the store); None: each
    #: alert's own sealed flag speaks for the other projects it names
    opened: Collection[str] | None = None


def _short(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0").rstrip(".")
    elif isinstance(value, (str, int, bool)) or value is None:
        text = str(value)
    elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = ", ".join(_short(v) for v in value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def evidence_lines(evidence: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The evidence as short (key, value) lines; the store keeps the whole of it."""
    lines = [(str(k), _short(v)) for k, v in evidence.items() if k != "thumbnail"]
    if len(lines) > MAX_EVIDENCE_LINES:
        rest = len(lines) - MAX_EVIDENCE_LINES + 1
        lines = lines[: MAX_EVIDENCE_LINES - 1] + [("…", f"+{rest}")]
    return tuple(lines)


def facts(project_id: str, events: Sequence[Event]) -> Facts:
    reg = next((e for e in events if e.type == "project.registered"), None)
    if reg is None:
        return Facts(project_id)
    p = reg.payload
    extra = p.model_extra or {}
    return Facts(
        project_id=project_id,
        name=p.name,
        category=p.category,
        ceiling_price=p.ceiling_price,
        currency=p.currency,
        method=p.evaluation_method,
        tenderer=extra.get("tenderer") if isinstance(extra.get("tenderer"), str) else None,
        tender_published_at=p.tender_published_at,
        bid_deadline=p.bid_deadline,
        opening_at=p.opening_at,
        rooms=tuple(RoomInfo(r.room_id, r.kind, tuple(r.cameras)) for r in p.rooms),
    )


def bidders(events: Sequence[Event], deadline: datetime | None) -> tuple[BidderRow, ...]:
    """One row per bidder: its last submission, and the price read out at opening."""
    subs: dict[str, Event] = {}
    read: dict[str, float] = {}
    for e in events:
        if e.type == "bid.submitted":
            subs[e.payload.bidder.id] = e
        elif e.type == "bid.opened":
            read[e.payload.bidder_id] = e.payload.price
    rows = []
    for bid, e in subs.items():
        p = e.payload
        at = (p.submission.submitted_at if p.submission else None) or e.ts
        late = deadline is not None and max(at, e.ts) > deadline
        rows.append(BidderRow(bid, p.bidder.name, read.get(bid, p.price), at, late))
    return tuple(sorted(rows, key=lambda r: (r.price is None, r.price or 0, r.bidder_id)))


def committee(events: Sequence[Event]) -> tuple[ExpertRow, ...]:
    seen: dict[str, ExpertRow] = {}
    for e in events:
        if e.type == "expert.assigned":
            x = e.payload.expert
            named = (x.model_extra or {}).get("employer_name")  # platforms often send it
            employer = f"{named} ({x.employer})" if named and x.employer else named or x.employer
            seen[x.id] = ExpertRow(x.id, x.name, x.role, x.specialty, employer)
    return tuple(seen.values())


def names(events: Sequence[Event]) -> dict[str, str]:
    """Bidder and expert ids -> names, to show beside the ids an alert is about."""
    out: dict[str, str] = {}
    for e in events:
        if e.type == "bid.submitted":
            out[e.payload.bidder.id] = e.payload.bidder.name
        elif e.type == "expert.assigned" and e.payload.expert.name:
            out[e.payload.expert.id] = e.payload.expert.name
    return out


def alert_entries(
    alerts: Iterable[AlertLike],
    decisions: Iterable[DecisionRow],
    *,
    opened: bool,
    locale: str,
    named: dict[str, str] | None = None,
    opened_projects: Collection[str] | None = None,
) -> tuple[AlertEntry, ...]:
    named = named or {}
    by_alert: dict[str, list[DecisionRow]] = {}
    for d in decisions:
        by_alert.setdefault(d.alert_id, []).append(d)
    out = []
    for a in sorted(
        alerts, key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), a.first_seen, a.alert_id)
    ):
        sealed = not opened or alert_sealed(a, opened_projects)
        rows = tuple(
            replace(d, reason=None) if sealed else d
            for d in sorted(by_alert.get(a.alert_id, []), key=lambda d: d.at)
        )
        catalogued = CATALOGUE.get(a.rule)
        if sealed:
            # the catalogue title: a stored title's detail could carry a count
            title = catalogued.title(locale) if catalogued else a.rule
        else:
            title = localized_title(a.rule, a.title, locale)
        out.append(
            AlertEntry(
                alert_id=a.alert_id,
                rule=a.rule,
                severity=a.severity,
                title=title,
                legal_basis=a.legal_basis,
                first_seen=a.first_seen,
                last_seen=a.last_seen,
                status=a.status,
                sealed=sealed,
                subjects=()
                if sealed
                else tuple(f"{named[x]} ({x})" if x in named else x for x in a.subjects),
                evidence=() if sealed else evidence_lines(a.evidence),
                decisions=rows,
            )
        )
    return tuple(out)


def build(inp: RecordInput, locale: str) -> RecordData:
    """The record's content, sealed if the project has not opened its bids."""
    own = [e for e in inp.events if e.project_id == inp.project_id]
    opened = any(e.type == "opening.started" for e in own)
    f = facts(inp.project_id, own)
    alerts = alert_entries(
        inp.alerts,
        inp.decisions,
        opened=opened,
        locale=locale,
        named=names(own) if opened else {},
        opened_projects=inp.opened,
    )
    dead = tuple(inp.dead_letters or ())
    first = own[0].ts.utcoffset() if own else None
    return RecordData(
        locale=locale,
        facts=f,
        sealed=not opened,
        chain=inp.chain,
        milestones=tuple(milestones(own)),
        bidders=bidders(own, f.bid_deadline) if opened else (),
        committee=committee(own) if opened else (),
        alerts=alerts,
        coverage=tuple(coverage(inp.events, f.rooms, inp.alerts, inp.gap_seconds)),
        dead_letters=dead if opened else (),
        dead_letters_known=inp.dead_letters is not None,
        utc_offset_minutes=int(first.total_seconds() // 60) if first is not None else 480,
    )
