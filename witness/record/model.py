"""What a witness record (见证记录) says, as plain data: gathered once, rendered as PDF or HTML.

Everything a renderer shows is here and already sealed: `gather` decides what a record
made before the opening may say (DESIGN §5), the renderers only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Source = Literal["store", "bundle", "events"]


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    kind: str
    cameras: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    project_id: str
    name: str | None = None
    category: str | None = None
    ceiling_price: float | None = None
    currency: str | None = None
    method: str | None = None
    tenderer: str | None = None
    tender_published_at: datetime | None = None
    bid_deadline: datetime | None = None
    opening_at: datetime | None = None
    rooms: tuple[RoomInfo, ...] = ()


@dataclass(frozen=True)
class Milestone:
    """One lifecycle step: when it happened, when it was due, and what was wrong."""

    key: str  # registered | opening | opening_closed | evaluation | evaluation_finished | archived
    at: datetime | None
    due: datetime | None = None
    flags: tuple[str, ...] = ()  # late | missing | out_of_order | overran


@dataclass(frozen=True)
class BidderRow:
    bidder_id: str
    name: str
    price: float | None
    submitted_at: datetime | None
    late: bool = False


@dataclass(frozen=True)
class ExpertRow:
    expert_id: str
    name: str | None
    role: str | None
    specialty: str | None
    employer: str | None


@dataclass(frozen=True)
class DecisionRow:
    """An officer's decision, from any source; a record shows it without the reason while
    sealed (free text may name a bidder)."""

    alert_id: str
    at: datetime
    actor: str
    action: str
    status_after: str
    reason: str | None


@dataclass(frozen=True)
class AlertEntry:
    alert_id: str
    rule: str
    severity: str
    title: str
    legal_basis: str
    first_seen: datetime
    last_seen: datetime
    status: str
    sealed: bool
    subjects: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()  # (key, short value) lines
    decisions: tuple[DecisionRow, ...] = ()


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    what: str = ""  # for tamper periods: the rule

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class CameraCoverage:
    camera_id: str
    online_minutes: float
    gaps: tuple[Period, ...] = ()
    tamper: tuple[Period, ...] = ()


@dataclass(frozen=True)
class SessionCoverage:
    room_id: str
    kind: str  # opening | evaluation
    start: datetime
    end: datetime
    cameras: tuple[CameraCoverage, ...] = ()

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class DeadLetterRow:
    at: datetime | None
    where: str  # topic/partition/offset, or the line of an events file
    error: str


@dataclass(frozen=True)
class ChainInfo:
    """Which chain state the record was made from, and whether that chain verified."""

    source: Source
    name: str | None = None  # the chain (project id); None for an events file
    covers_seq: int = 0
    covers_hash: str = ""
    as_of: datetime | None = None
    verified: bool | None = None  # None: nothing to verify (events file)
    fault: str | None = None
    detail: str | None = None  # the bundle file, or the events file and its SHA-256


@dataclass(frozen=True)
class RecordData:
    locale: str
    facts: Facts
    sealed: bool
    chain: ChainInfo
    milestones: tuple[Milestone, ...] = ()
    bidders: tuple[BidderRow, ...] = ()
    committee: tuple[ExpertRow, ...] = ()
    alerts: tuple[AlertEntry, ...] = ()
    coverage: tuple[SessionCoverage, ...] = ()
    dead_letters: tuple[DeadLetterRow, ...] = ()
    dead_letters_known: bool = True  # False: the source does not carry them (a bundle)
    #: The project's own UTC offset (of its registration event): times are shown in it.
    utc_offset_minutes: int = 480
