"""Sealed bids (开标前保密): what the wall may show before a project's opening.

Before `opening.started`, nothing that names a bidder, counts bids or shows a price may
reach any page. Alerts from that phase show only their catalogue title and a sealed
marker; they unseal when the project opens. Every page goes through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from witness.alerts import AlertLike
from witness.rules import localized_title, rule

__all__ = ["AlertLike", "AlertView", "alert_view", "event_visible", "is_sealed", "localized_title"]

#: Event types that carry bidder identities, bid counts or prices.
BID_EVENT_TYPES = frozenset({"bid.submitted", "document.submitted", "bid.opened", "boq.submitted"})


@dataclass(frozen=True)
class AlertView:
    """An alert as the wall may show it."""

    alert_id: str
    rule: str
    severity: str
    project_id: str
    room_id: str | None
    title: str
    legal_basis: str
    first_seen: datetime
    last_seen: datetime
    status: str
    sealed: bool
    subjects: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    event_ids: tuple[str, ...] = ()


def is_sealed(alert_sealed: bool, project_id: str, project_opened: bool) -> bool:
    """Sealed if the recorder says so, or the alert's project has not opened its bids."""
    return bool(alert_sealed) or (project_id != "*" and not project_opened)


def alert_view(a: AlertLike, *, project_opened: bool, locale: str) -> AlertView:
    """The one place that decides what of an alert is visible."""
    sealed = is_sealed(a.sealed, a.project_id, project_opened)
    base = dict(
        alert_id=a.alert_id,
        rule=a.rule,
        severity=a.severity,
        project_id=a.project_id,
        room_id=a.room_id,
        legal_basis=a.legal_basis,
        first_seen=a.first_seen,
        last_seen=a.last_seen,
        status=a.status,
        sealed=sealed,
    )
    if sealed:
        # The catalogue title, not the stored one: a title_detail could carry a count.
        try:
            title = rule(a.rule).title(locale)
        except KeyError:
            title = a.rule
        return AlertView(title=title, **base)
    return AlertView(
        title=localized_title(a.rule, a.title, locale),
        subjects=tuple(a.subjects),
        evidence=dict(a.evidence),
        event_ids=tuple(a.event_ids),
        **base,
    )


def event_visible(event_type: str, project_opened: bool) -> bool:
    """Bid events stay off every page until the project's opening."""
    return project_opened or event_type not in BID_EVENT_TYPES
