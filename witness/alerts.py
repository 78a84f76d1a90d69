"""The alert contract (DESIGN §5) and deterministic alert ids.

An alert id is a hash of the rule, the project and the evidence's *identifying* keys
(for example the two bidder ids and the shared account), never of timestamps or
offsets, so a re-delivered event or a replay produces the same id and the store's
upsert keeps exactly one alert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from witness.events import canonical_json
from witness.rules import Severity, rule

Status = Literal["open", "acknowledged", "referred", "dismissed"]


class AlertLike(Protocol):
    """What readers of alerts need: an `Alert`, or a store row (`AlertRow`)."""

    alert_id: str
    rule: str
    severity: str
    project_id: str
    room_id: str | None
    title: str
    legal_basis: str
    subjects: list[str]
    evidence: dict[str, Any]
    event_ids: list[str]
    first_seen: datetime
    last_seen: datetime
    sealed: bool
    status: str


class Alert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alert_id: str
    rule: str
    severity: Severity
    project_id: str
    room_id: str | None = None
    title: str
    legal_basis: str
    subjects: list[str] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    event_ids: list[str] = Field(default_factory=list)
    #: Every project whose bids the alert names (its own included), for alerts of
    #: cross-project rules; empty when the alert names only `project_id`. Such an alert
    #: stays sealed while any of these projects is (DESIGN §5).
    projects: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    sealed: bool = False
    status: Status = "open"

    def to_dict(self) -> dict[str, Any]:
        d = self.model_dump(mode="json")
        if not d["projects"]:  # added later: left out while empty, so the JSON of alerts
            del d["projects"]  # of one project (and their hashes) stays as it was
        return d

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    def content_key(self) -> str:
        """What must match between live and replay: everything but status, times in UTC."""
        d = self.to_dict()
        d.pop("status", None)
        d["first_seen"] = self.first_seen.astimezone(UTC).isoformat()
        d["last_seen"] = self.last_seen.astimezone(UTC).isoformat()
        return canonical_json(d)


def alert_id(rule_id: str, project_id: str, identity: Any) -> str:
    """Deterministic id: same rule + project + identifying evidence -> same id."""
    basis = canonical_json([rule_id, project_id, identity])
    return sha256(basis.encode("utf-8")).hexdigest()[:32]


def make_alert(
    rule_id: str,
    project_id: str,
    *,
    identity: Any,
    subjects: list[str],
    evidence: dict[str, Any],
    event_ids: list[str],
    first_seen: datetime,
    last_seen: datetime | None = None,
    room_id: str | None = None,
    sealed: bool = False,
    locale: str = "zh-CN",
    title_detail: str | None = None,
    projects: list[str] | None = None,
) -> Alert:
    """Build an alert from the catalogue. `identity` is what makes this case this case.

    `projects`: for cross-project rules, every project whose bids the evidence names.
    """
    r = rule(rule_id)
    title = r.title(locale)
    if title_detail:
        title = (
            f"{title}：{title_detail}"
            if not locale.startswith("en")
            else f"{title}: {title_detail}"
        )
    return Alert(
        alert_id=alert_id(rule_id, project_id, identity),
        rule=rule_id,
        severity=r.severity,
        project_id=project_id,
        room_id=room_id,
        title=title,
        legal_basis=r.legal_basis,
        subjects=sorted(set(subjects)),
        evidence=evidence,
        event_ids=list(dict.fromkeys(event_ids)),
        projects=sorted(set(projects or ())),
        first_seen=first_seen,
        last_seen=last_seen or first_seen,
        sealed=sealed,
    )
