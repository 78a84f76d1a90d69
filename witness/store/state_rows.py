"""Detector state kept in the store: per-partition snapshots and released projects.

Why the store and not a compacted changelog topic (Kafka Streams' way): a worker looking
for a partition's latest snapshot asks one indexed query, however many snapshots were
written before, while a changelog topic must be read through up to its end, and Kafka
only compacts closed segments (the embedded broker never compacts), so recovery would
read every snapshot written since the last compaction. A snapshot (several MB of
pickled state, more with document texts) also exceeds the broker's default message size;
here it is split into chunks in one transaction, and the previous snapshot stays
intact until the new one is complete. The cross-project rules keep their state here
too (DESIGN §3), with the same mechanism.

Bytes are opaque to the store: the streams floor pickles and compresses them, and
checks the version before it loads anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from witness.store.models import utcnow

#: Bytes per chunk row (PostgreSQL and SQLite both take far more; smaller rows keep a
#: failed write cheap and memory flat while reading).
CHUNK_BYTES = 8 * 1024 * 1024


class SnapshotRow(SQLModel, table=True):
    """One snapshot of one unit's detector state (a partition, or the cross-project set)."""

    __tablename__ = "detector_snapshots"
    __table_args__ = (Index("ix_snapshots_unit", "namespace", "unit", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    namespace: str = Field(max_length=300)  # consumer group @ topic prefix
    unit: str = Field(max_length=300)  # e.g. "witness.events:2", "rooms:1", "cross"
    version: str = Field(max_length=64)
    offsets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    events: int = 0  # events folded into the state (for the log)
    size: int = 0  # bytes, all chunks
    chunks: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class SnapshotChunk(SQLModel, table=True):
    __tablename__ = "detector_snapshot_chunks"

    snapshot_id: int = Field(primary_key=True, foreign_key="detector_snapshots.id")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ReleasedProject(SQLModel, table=True):
    """An archived project's detector memory, out of the worker's RAM (detectors/released.py)."""

    __tablename__ = "released_projects"

    namespace: str = Field(primary_key=True, max_length=300)
    project_id: str = Field(primary_key=True, max_length=256)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    released_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class StoredSnapshot:
    id: int
    version: str
    offsets: dict[str, Any]
    events: int
    size: int
    created_at: datetime
    blob: bytes


class DetectorStateStore:
    """Read and write snapshots and released projects on the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        namespace: str,
        unit: str,
        *,
        version: str,
        offsets: Mapping[str, Any],
        blob: bytes,
        events: int = 0,
        released: Mapping[str, bytes] | None = None,
    ) -> int:
        """Write a snapshot and the projects released since the last one, in one
        transaction; older snapshots of the unit go once the new one is complete."""
        pieces = [blob[i : i + CHUNK_BYTES] for i in range(0, len(blob), CHUNK_BYTES)] or [b""]
        with Session(self.engine) as s:
            row = SnapshotRow(
                namespace=namespace,
                unit=unit,
                version=version,
                offsets=dict(offsets),
                events=events,
                size=len(blob),
                chunks=len(pieces),
            )
            s.add(row)
            s.flush()
            for seq, piece in enumerate(pieces):
                s.add(SnapshotChunk(snapshot_id=row.id, seq=seq, data=piece))
            for pid, data in (released or {}).items():
                s.merge(ReleasedProject(namespace=namespace, project_id=pid, data=data))
            old = select(SnapshotRow.id).where(
                SnapshotRow.namespace == namespace,
                SnapshotRow.unit == unit,
                SnapshotRow.id != row.id,
            )
            old_ids = list(s.execute(old).scalars())
            if old_ids:
                s.execute(delete(SnapshotChunk).where(SnapshotChunk.snapshot_id.in_(old_ids)))
                s.execute(delete(SnapshotRow).where(SnapshotRow.id.in_(old_ids)))
            s.commit()
            return int(row.id)

    def latest(self, namespace: str, unit: str) -> StoredSnapshot | None:
        """The newest complete snapshot of the unit (any version: the caller checks)."""
        with Session(self.engine) as s:
            row = s.execute(
                select(SnapshotRow)
                .where(SnapshotRow.namespace == namespace, SnapshotRow.unit == unit)
                .order_by(SnapshotRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if row is None:
                return None
            pieces = s.execute(
                select(SnapshotChunk.seq, SnapshotChunk.data)
                .where(SnapshotChunk.snapshot_id == row.id)
                .order_by(SnapshotChunk.seq)
            ).all()
            if [seq for seq, _ in pieces] != list(range(row.chunks)):
                return None  # incomplete: never load it
            blob = b"".join(bytes(data) for _, data in pieces)
            return StoredSnapshot(
                row.id, row.version, dict(row.offsets), row.events, row.size, row.created_at, blob
            )

    def released(self, namespace: str, project_id: str) -> bytes | None:
        with Session(self.engine) as s:
            row = s.get(ReleasedProject, (namespace, project_id))
            return bytes(row.data) if row is not None else None

    def released_count(self, namespace: str) -> int:
        with Session(self.engine) as s:
            rows = s.execute(
                select(ReleasedProject.project_id).where(ReleasedProject.namespace == namespace)
            )
            return len(rows.all())
