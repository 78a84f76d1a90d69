"""Store tables (sqlmodel). SQLite by default, PostgreSQL in production.

Times are aware datetimes stored as UTC (sqlmodel's UTCDateTime) so both backends order
them the same way; the original event, with its offset, is kept verbatim in the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def to_utc(ts: datetime) -> datetime:
    """Any datetime -> aware UTC; naive values are taken as UTC already."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class LedgerEntry(SQLModel, table=True):
    """One link of a hash chain: an event, an alert version or an officer decision."""

    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_ledger_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(index=True, max_length=300)
    seq: int
    kind: str = Field(max_length=16)  # event | alert | decision
    ref: str = Field(max_length=300)  # event_id | alert_id | decision id
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

    event_id: str = Field(primary_key=True, max_length=256)
    type: str = Field(max_length=64, index=True)
    project_id: str = Field(max_length=256)
    room_id: str | None = Field(default=None, max_length=256)
    ts: datetime
    chain: str = Field(max_length=300)
    seq: int


class Project(SQLModel, table=True):
    __tablename__ = "projects"

    project_id: str = Field(primary_key=True, max_length=256)
    name: str | None = None
    category: str | None = None
    stage: str = Field(default="registered", max_length=32)
    opened: bool = False  # True from opening.started on: bids may be shown (开标前保密)
    bid_deadline: datetime | None = None
    opening_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class RoomRow(SQLModel, table=True):
    __tablename__ = "rooms"

    room_id: str = Field(primary_key=True, max_length=256)
    project_id: str | None = Field(default=None, max_length=256, index=True)
    kind: str | None = Field(default=None, max_length=32)
    cameras: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    session_state: str | None = Field(default=None, max_length=32)


class AlertRow(SQLModel, table=True):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_project_last", "project_id", "last_seen"),)

    alert_id: str = Field(primary_key=True, max_length=64)
    rule: str = Field(max_length=32, index=True)
    severity: str = Field(max_length=8, index=True)
    project_id: str = Field(max_length=256)
    room_id: str | None = Field(default=None, max_length=256)
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

    room_id: str = Field(primary_key=True, max_length=256)
    camera_id: str = Field(primary_key=True, max_length=256)
    ts: datetime
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    thumbnail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    thumbnail_ts: datetime | None = None
    status: str = Field(default="online", max_length=16)


class DeadLetter(SQLModel, table=True):
    """A record that broke the contract, copied from `witness.deadletter` for the ops page."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        UniqueConstraint("topic", "partition", "offset", name="uq_deadletter_origin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=256)
    partition: int
    offset: int
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
