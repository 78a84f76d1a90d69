"""Store tables (sqlmodel). SQLite by default, PostgreSQL in production.

Times are aware datetimes stored as UTC (sqlmodel's UTCDateTime) so both backends order
them the same way; the original event, with its offset, is kept verbatim in the ledger.

Column sizes come from the contract's bounds (witness/events.py), so whatever the contract
accepts the store accepts, on SQLite and PostgreSQL alike (tests/store/test_store_bounds.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from witness import timebase
from witness.events import MAX_ID_CHARS

#: A ledger chain: a project id, or "room/" / "registry/" and an id (witness/store/ledger.py).
CHAIN_CHARS = MAX_ID_CHARS + 44
#: A ledger reference: an event id, an alert id or "decision:<n>".
REF_CHARS = MAX_ID_CHARS + 44
#: Where a dead letter came from: a topic name, or "file:" and a path (cut to fit).
ORIGIN_CHARS = 256
#: Which step refused a dead letter: "", "detector:NAME", "store", "publish:...".
STAGE_CHARS = 64


def to_utc(ts: datetime) -> datetime:
    """Any datetime -> aware UTC; naive values are taken as UTC already."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def utcnow() -> datetime:
    """Now in UTC; on the demo's clock when `witness demo` set one (witness/timebase.py)."""
    return timebase.now()


class LedgerEntry(SQLModel, table=True):
    """One link of a hash chain: an event, an alert version or an officer decision."""

    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_ledger_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(index=True, max_length=CHAIN_CHARS)
    seq: int
    kind: str = Field(max_length=16)  # event | alert | decision
    ref: str = Field(max_length=REF_CHARS)  # event_id | alert_id | decision id
    body: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow)


class ChainLock(SQLModel, table=True):
    """One row per chain, locked (SELECT ... FOR UPDATE) by whoever appends to it (PostgreSQL)."""

    __tablename__ = "chain_locks"

    chain: str = Field(primary_key=True, max_length=300)


class EventRow(SQLModel, table=True):
    """Queryable index of recorded events (the body lives in the ledger)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_project_ts", "project_id", "ts"),)

    event_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    type: str = Field(max_length=64, index=True)
    project_id: str = Field(max_length=MAX_ID_CHARS)
    room_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    ts: datetime
    chain: str = Field(max_length=CHAIN_CHARS)
    seq: int


class Project(SQLModel, table=True):
    __tablename__ = "projects"

    project_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    name: str | None = None
    category: str | None = None
    stage: str = Field(default="registered", max_length=32)
    opened: bool = False  # True from opening.started on: bids may be shown (开标前保密)
    bid_deadline: datetime | None = None
    opening_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class RoomRow(SQLModel, table=True):
    __tablename__ = "rooms"

    room_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    project_id: str | None = Field(default=None, max_length=MAX_ID_CHARS, index=True)
    kind: str | None = Field(default=None, max_length=32)
    cameras: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    session_state: str | None = Field(default=None, max_length=32)


class AlertRow(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_project_last", "project_id", "last_seen"),)

    alert_id: str = Field(primary_key=True, max_length=64)
    rule: str = Field(max_length=32, index=True)
    severity: str = Field(max_length=8, index=True)
    project_id: str = Field(max_length=MAX_ID_CHARS)
    room_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    title: str
    legal_basis: str
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    event_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Every project whose bids the alert names, when more than its own (cross-project rules).
    projects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen: datetime
    last_seen: datetime
    sealed: bool = False
    status: str = Field(default="open", max_length=16, index=True)
    version: int = 1
    content_hash: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class Decision(SQLModel, table=True):
    """An officer's decision on an alert: who, when, what, why."""

    __tablename__ = "decisions"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: str = Field(max_length=64, index=True)
    action: str = Field(max_length=16)  # acknowledge | refer | dismiss
    status_after: str = Field(max_length=16)
    actor: str = Field(max_length=128)
    reason: str | None = None
    at: datetime = Field(default_factory=utcnow)


class LatestFrame(SQLModel, table=True):
    """The newest analysed frame per room and camera, with a thumbnail for the wall."""

    __tablename__ = "latest_frames"

    room_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    camera_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    ts: datetime
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    thumbnail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    thumbnail_ts: datetime | None = None
    status: str = Field(default="online", max_length=16)


class DeadLetter(SQLModel, table=True):
    """A record that broke the contract, made a detector fail or that the store refused,
    copied from `witness.deadletter` (or written by the recorder) for the ops page."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        UniqueConstraint("topic", "partition", "offset", "stage", name="uq_deadletter_origin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=ORIGIN_CHARS)
    partition: int
    offset: int
    stage: str = Field(default="", max_length=STAGE_CHARS)
    key: str | None = None
    error: str
    raw_preview: str = Field(sa_column=Column(Text, nullable=False))
    raw_size: int
    at: datetime = Field(default_factory=utcnow)


class ConsumerLag(SQLModel, table=True):
    """Per-partition progress reported by workers, for the ops page."""

    __tablename__ = "consumer_lag"

    group_id: str = Field(primary_key=True, max_length=128)
    topic: str = Field(primary_key=True, max_length=256)
    partition: int = Field(primary_key=True)
    position: int
    end_offset: int
    lag: int
    events_per_s: float = 0.0
    updated_at: datetime = Field(default_factory=utcnow)


class ServiceHealth(SQLModel, table=True):
    """How a long-running service last reported itself, for the ops page and `witness doctor`
    (the recorder says here when it cannot write and is holding its place in Kafka)."""

    __tablename__ = "service_health"

    service: str = Field(primary_key=True, max_length=64)  # recorder
    instance: str = Field(primary_key=True, max_length=128)  # host:pid
    status: str = Field(max_length=16)  # ok | degraded | stopped | failed
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    since: datetime = Field(default_factory=utcnow)  # when this status began
    updated_at: datetime = Field(default_factory=utcnow)


class GeneratedDocument(SQLModel, table=True):
    """A generated witness record (见证记录) or referral letter (移交函/督办单).

    `sha256` is the hash of `content`; the same hash sits in a `document` link of the
    project's chain, so a file altered later no longer matches any link.
    """

    __tablename__ = "generated_documents"
    __table_args__ = (Index("ix_generated_project_created", "project_id", "created_at"),)

    sha256: str = Field(primary_key=True, max_length=64)
    project_id: str = Field(max_length=256)
    doc: str = Field(max_length=16)  # record | referral
    format: str = Field(max_length=8)  # pdf | html
    locale: str = Field(max_length=8)
    alert_id: str | None = Field(default=None, max_length=64)
    filename: str = Field(max_length=300)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    covers_seq: int  # the chain link the document was made from
    covers_hash: str = Field(max_length=64)
    chain_seq: int  # its own `document` link
    made_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
