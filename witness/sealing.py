"""Sealed bids (开标前保密): the one allow-list every output goes through (DESIGN §5).

Before a project's `opening.started`, nothing that names a bidder, counts bids or shows a
price may reach anyone: not the wall, `witness tail`, dead-letter views, exports or
records. So the question asked here is never "what must be hidden?" but "what may be
shown?": while sealed, an alert shows its project, the rule's catalogue title (never the
stored title, whose detail could carry a count), its severity and legal basis (both are
the catalogue's) and its times; an event shows its type and time, and only for types
whose mere existence says nothing about bids; a dead letter shows where it came from and
its size. A field added to alerts or events tomorrow stays hidden until someone adds it
here on purpose.

An alert is sealed while any project it names is sealed (cross-project rules name
several: `Alert.projects`), or while its own record says so. Video alerts are about
rooms and cameras and name no bidder; they are never sealed (the engine agrees).

Callers pass the set of opened projects (`Store.opened_projects()`), or None where no
store is reachable (`witness tail` without a database): then the alert's own flag, set
by the engine that saw the openings, decides, and anything tied to a project is sealed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from witness.alerts import AlertLike
from witness.rules import localized_title, rule

#: Rule families whose alerts name rooms and cameras only: never sealed.
UNSEALED_FAMILIES = ("VID-",)

#: Project-less marker (frames, registry facts, alerts of no single project).
GLOBAL = "*"

#: Event types that may be listed (type and time only) while their project is sealed:
#: their existence and number say nothing about bidders, bids or prices. Everything
#: else, including types added later, stays off every output until the opening.
LISTED_WHILE_SEALED = frozenset(
    {
        "project.registered",
        "expert.assigned",
        "evaluation.started",
        "opening.started",
        "opening.closed",
        "project.archived",
        "room.session",
    }
)


@dataclass(frozen=True)
class AlertView:
    """An alert as any output may show it."""

    alert_id: str
    rule: str
    severity: str
    project_id: str
    title: str
    legal_basis: str
    first_seen: datetime
    last_seen: datetime
    status: str
    sealed: bool
    room_id: str | None = None
    subjects: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    event_ids: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; a sealed view has only the allowed keys (no empty evidence to hint)."""
        d: dict[str, Any] = {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "severity": self.severity,
            "project_id": self.project_id,
            "title": self.title,
            "legal_basis": self.legal_basis,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "status": self.status,
            "sealed": self.sealed,
        }
        if not self.sealed:
            d |= {
                "room_id": self.room_id,
                "subjects": list(self.subjects),
                "evidence": self.evidence,
                "event_ids": list(self.event_ids),
            }
            if self.projects:
                d["projects"] = list(self.projects)
        return d


@dataclass(frozen=True)
class EventView:
    """An event as any output may show it; `payload` and `event_id` only once opened."""

    type: str
    project_id: str
    ts: datetime
    sealed: bool
    event_id: str = ""
    room_id: str | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class DeadLetterView:
    """A dead letter as ops may see it: the bytes only when they belong to an opened project."""

    at: datetime
    topic: str
    partition: int
    offset: int
    size: int
    sealed: bool
    project_id: str | None = None
    error: str | None = None
    raw: str | None = None
    stage: str = ""  # where it failed (contract, store, detector): no bid in it


def projects_named(a: Any) -> frozenset[str]:
    """Every project whose bids the alert may name (its own and any cross-project ones)."""
    named = {a.project_id, *(getattr(a, "projects", None) or ())}
    return frozenset(named - {GLOBAL})


def alert_sealed(a: Any, opened: Collection[str] | None) -> bool:
    """Sealed if its record says so or any project it names has not opened its bids."""
    if a.rule.startswith(UNSEALED_FAMILIES):
        return False
    if a.sealed:
        return True
    if opened is None:
        return False  # no store: the engine's flag (it saw the openings) decides
    return any(p not in opened for p in projects_named(a))


def catalogue_title(rule_id: str, locale: str) -> str:
    try:
        return rule(rule_id).title(locale)
    except KeyError:
        return rule_id


def catalogue_basis(rule_id: str, stored: str) -> str:
    try:
        return rule(rule_id).legal_basis
    except KeyError:
        return stored


def alert_view(a: AlertLike, opened: Collection[str] | None, locale: str) -> AlertView:
    """The one place that decides what of an alert any output may show."""
    sealed = alert_sealed(a, opened)
    base = dict(
        alert_id=a.alert_id,
        rule=a.rule,
        severity=a.severity,
        project_id=a.project_id,
        first_seen=a.first_seen,
        last_seen=a.last_seen,
        status=a.status,
        sealed=sealed,
    )
    if sealed:
        return AlertView(
            title=catalogue_title(a.rule, locale),
            legal_basis=catalogue_basis(a.rule, a.legal_basis),
            **base,
        )
    return AlertView(
        title=localized_title(a.rule, a.title, locale),
        legal_basis=a.legal_basis,
        room_id=a.room_id,
        subjects=tuple(a.subjects),
        evidence=json.loads(json.dumps(a.evidence)),  # a copy: pages may not alter the record
        event_ids=tuple(a.event_ids),
        projects=tuple(getattr(a, "projects", None) or ()),
        **base,
    )


def event_sealed(project_id: str, opened: Collection[str] | None) -> bool:
    return project_id != GLOBAL and (opened is None or project_id not in opened)


def event_view(e: Any, opened: Collection[str] | None) -> EventView | None:
    """What of an event may be shown; None when even its existence must stay hidden."""
    sealed = event_sealed(e.project_id, opened)
    if sealed and e.type not in LISTED_WHILE_SEALED:
        return None
    if sealed:
        return EventView(type=e.type, project_id=e.project_id, ts=e.ts, sealed=True)
    payload = e.payload.model_dump(mode="json") if hasattr(e.payload, "model_dump") else e.payload
    return EventView(
        type=e.type,
        project_id=e.project_id,
        ts=e.ts,
        sealed=False,
        event_id=e.event_id,
        room_id=getattr(e, "room_id", None),
        payload=payload,
    )


def event_views(events: Iterable[Any], opened: Collection[str] | None) -> list[EventView]:
    return [v for v in (event_view(e, opened) for e in events) if v is not None]


def project_of_raw(raw: bytes | str | None, key: str | None) -> tuple[str | None, bool]:
    """(project a dead record belongs to, whether it parsed as a JSON object at all)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else raw or ""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return key, False
    if not isinstance(obj, dict):
        return key, False
    pid = obj.get("project_id")
    return (pid if isinstance(pid, str) and pid else key), True


def dead_letter_view(
    *,
    at: datetime,
    topic: str,
    partition: int,
    offset: int,
    key: str | None,
    error: str,
    raw: bytes | str | None,
    size: int,
    opened: Collection[str] | None,
    stage: str = "",
) -> DeadLetterView:
    """A dead record's bytes and error are shown only when they belong to an opened project
    (or to no project: frames, registry facts). A record whose project cannot be told is
    sealed, except that the error of bytes that are not even a JSON object (bad UTF-8,
    bad JSON, over the size limit) speaks of their form only and is shown."""
    project, is_object = project_of_raw(raw, key)
    if not project and is_object:
        shown = False  # a JSON object without a project: it may be anybody's bid
    elif not project:
        shown = None  # not an event at all: its error is about form; its bytes stay hidden
    else:
        shown = project == GLOBAL or (opened is not None and project in opened)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else raw
    return DeadLetterView(
        at=at,
        topic=topic,
        partition=partition,
        offset=offset,
        size=size,
        sealed=not shown,
        project_id=project,
        error=error if shown is not False else None,
        raw=text if shown else None,
        stage=stage,
    )
