"""Service health in the store: what the ops page and `witness doctor` read.

A service (the recorder) reports `ok` with a heartbeat, `degraded` while it cannot do
its work (the database refuses writes: it holds its place in Kafka and retries),
`stopped` on a clean stop and `failed` when it gave up. The row is written on a best-effort
basis: when the database itself is down it cannot be, and the row says so afterwards
(`detail` keeps how long the outage lasted).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from witness import timebase
from witness.store.models import ServiceHealth, utcnow

#: A running service writes at least this often; a row older than twice this while its
#: status is ok or degraded means the service died without saying so.
HEARTBEAT = timedelta(seconds=30)
#: How a `degraded` detail starts when Kafka, not the database, is what is down.
BROKER_DETAIL = "broker unreachable"


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def report(engine, service: str, status: str, detail: str | None = None) -> None:
    """Upsert this instance's row; `since` moves only when the status changes."""
    now = utcnow()
    with Session(engine) as s:
        row = s.get(ServiceHealth, (service, instance_name()))
        if row is None:
            row = ServiceHealth(service=service, instance=instance_name(), status=status, since=now)
        elif row.status != status:
            row.status, row.since = status, now
        row.detail = detail
        row.updated_at = now
        s.add(row)
        s.commit()


def rows(engine, *, newer_than: datetime | None = None) -> list[ServiceHealth]:
    """Every service's last report (optionally only recent ones), newest first."""
    q = select(ServiceHealth).order_by(ServiceHealth.updated_at.desc())
    if newer_than is not None:
        q = q.where(ServiceHealth.updated_at >= newer_than)
    with Session(engine) as s:
        return list(s.execute(q).scalars().all())


def is_stale(row: ServiceHealth, now: datetime | None = None) -> bool:
    """Running by its status, but silent for more than two heartbeats."""
    from witness.store.models import to_utc

    now = now or utcnow()
    # heartbeats come every HEARTBEAT real seconds; times here are on the (demo's) clock
    allowed = 2 * HEARTBEAT * timebase.speed()
    return row.status in ("ok", "degraded") and now - to_utc(row.updated_at) > allowed
