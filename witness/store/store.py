"""The store: what the recorder writes and the wall, replay and archive read.

Writes come in batches (one transaction per consumer poll), so the recorder can commit
its Kafka offsets right after `write()` returns: at-least-once, and idempotent because
events are de-duplicated by event_id and alerts upserted by alert_id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, insert, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, create_engine

from witness.alerts import Alert
from witness.events import Event, canonical_json, parse_event
from witness.sealing import projects_named
from witness.store.chains import ChainWriter, in_write_transaction
from witness.store.dead_letters import DeadLetterRecord, insert_dead_letters
from witness.store.decisions import chain_of_alert, decide
from witness.store.ledger import (
    ChainFault,
    Link,
    event_chain,
    verify_links,
)
from witness.store.models import (
    AlertRow,
    ConsumerLag,
    Decision,
    EventRow,
    LatestFrame,
    LedgerEntry,
    Project,
    RoomRow,
    to_utc,
    utcnow,
)

#: Lifecycle stage each event type moves a project to (for the wall's stage column).
STAGE_OF = {
    "project.registered": "registered",
    "bid.submitted": "bidding",
    "opening.started": "opening",
    "opening.closed": "opened",
    "evaluation.started": "evaluation",
    "evaluation.finished": "finished",
    "project.archived": "archived",
}

_CHUNK = 500
_ABSENT = object()  # prefetched: known not to exist yet


@dataclass
class WriteResult:
    new_events: int = 0
    duplicate_events: int = 0
    changed_alerts: int = 0
    dead_letters: int = 0


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """SQLAlchemy engine for `url`; SQLite gets WAL and its parent folder created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    args = {"connect_timeout": 10} if "+psycopg2" in url else {}  # a hung server is an outage
    return create_engine(url, pool_pre_ping=True, connect_args=args)


def _frame_body(event: Event) -> dict[str, Any]:
    """Frames enter the ledger without their thumbnail (kept in latest_frames instead)."""
    d = event.to_dict()
    if event.type == "frame.analyzed":
        d["payload"].pop("thumbnail", None)
    return d


class Store:
    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            self.migrate()

    # ------------------------------------------------------------------ schema

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from witness.store.migrate import upgrade

        upgrade(self.engine)

    def create_all(self) -> None:
        """Create tables without Alembic (only for throwaway databases in tests)."""
        SQLModel.metadata.create_all(self.engine)

    def session(self) -> Session:
        return Session(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes

    def write(
        self,
        events: Sequence[Event] = (),
        alerts: Sequence[Alert] = (),
        dead_letters: Sequence[DeadLetterRecord] = (),
    ) -> WriteResult:
        """Record a batch in one transaction, holding the locks of every chain it touches.

        Chain heads are read under those locks; a conflict with another writer retries
        the whole batch (witness/store/chains.py), so nothing is half-written or forked.
        """
        return in_write_transaction(
            self.engine, lambda s: self._write(s, events, alerts, dead_letters)
        )

    def _existing_event_ids(self, s: Session, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            q = select(EventRow.event_id).where(EventRow.event_id.in_(chunk))
            found.update(s.execute(q).scalars().all())
        return found

    def _write(self, s: Session, events, alerts, dead_letters) -> WriteResult:
        result = WriteResult()
        event_rows: list[dict] = []
        chains = {event_chain(e) for e in events}
        chains |= {chain_of_alert(a.project_id) for a in alerts}
        links = ChainWriter(s, chains)  # locks first: everything below is read under them
        existing = self._existing_event_ids(s, [e.event_id for e in events])
        with s.no_autoflush:  # side-effect rows are looked up once per batch, not per event
            rows = self._prefetch_rows(s, events)
            self._record_events(s, events, existing, links, event_rows, result, rows)
        result.changed_alerts = self._upsert_alerts(s, alerts, links)
        links.flush()
        if event_rows:
            s.execute(insert(EventRow), event_rows)
        result.dead_letters = insert_dead_letters(s, dead_letters)
        return result

    def _prefetch_rows(self, s: Session, events: Sequence[Event]) -> dict[tuple, Any]:
        """Summary rows a batch will update, loaded with one query per table."""
        rows: dict[tuple, Any] = {}
        wanted: dict[type, set] = {Project: set(), RoomRow: set(), LatestFrame: set()}
        for ev in events:
            if ev.type in STAGE_OF and ev.project_id != "*":
                wanted[Project].add(ev.project_id)
                if ev.type == "project.registered":
                    wanted[RoomRow].update(r.room_id for r in ev.payload.rooms)
            elif ev.type == "room.session":
                wanted[RoomRow].add(ev.payload.room_id)
            elif ev.type in ("frame.analyzed", "camera.status"):
                wanted[LatestFrame].add((ev.payload.room_id, ev.payload.camera_id))
        for model, keys in wanted.items():
            if not keys:
                continue
            for key in keys:
                rows[(model, key)] = _ABSENT
            if model is LatestFrame:
                rooms = sorted({k[0] for k in keys})
                found = s.execute(
                    select(LatestFrame).where(LatestFrame.room_id.in_(rooms))
                ).scalars()
                for r in found:
                    if (r.room_id, r.camera_id) in keys:
                        rows[(model, (r.room_id, r.camera_id))] = r
            else:
                pk = Project.project_id if model is Project else RoomRow.room_id
                for r in s.execute(select(model).where(pk.in_(sorted(keys)))).scalars():
                    rows[(model, getattr(r, pk.key))] = r
        return rows

    def _record_events(self, s, events, existing, links, event_rows, result, rows) -> None:
        for ev in events:
            if ev.event_id in existing:
                result.duplicate_events += 1
                continue
            existing.add(ev.event_id)
            chain = event_chain(ev)
            seq = links.append(chain, "event", ev.event_id, canonical_json(_frame_body(ev)))
            event_rows.append(
                {
                    "event_id": ev.event_id,
                    "type": ev.type,
                    "project_id": ev.project_id,
                    "room_id": ev.room_id,
                    "ts": to_utc(ev.ts),
                    "chain": chain,
                    "seq": seq,
                }
            )
            self._apply_side_effects(s, ev, rows)
            result.new_events += 1

    def _upsert_alerts(self, s: Session, alerts: Sequence[Alert], links: ChainWriter) -> int:
        if not alerts:
            return 0
        latest: dict[str, Alert] = {}
        for a in alerts:  # the last version in a batch wins
            latest[a.alert_id] = a
        ids = list(latest)
        rows: dict[str, AlertRow] = {}
        for i in range(0, len(ids), _CHUNK):
            q = select(AlertRow).where(AlertRow.alert_id.in_(ids[i : i + _CHUNK]))
            for row in s.execute(q).scalars().all():
                rows[row.alert_id] = row
        changed = 0
        for aid, alert in latest.items():
            content = alert.content_key()
            digest = sha256(content.encode("utf-8")).hexdigest()
            row = rows.get(aid)
            if row is not None and (row.content_hash == digest or _older(alert, row)):
                continue  # recorded already, or superseded by what is (a re-delivery)
            links.append(chain_of_alert(alert.project_id), "alert", aid, content)
            values = {
                "rule": alert.rule,
                "severity": alert.severity,
                "project_id": alert.project_id,
                "room_id": alert.room_id,
                "title": alert.title,
                "legal_basis": alert.legal_basis,
                "subjects": alert.subjects,
                "evidence": alert.evidence,
                "event_ids": alert.event_ids,
                "projects": alert.projects,
                "first_seen": to_utc(alert.first_seen),
                "last_seen": to_utc(alert.last_seen),
                "sealed": alert.sealed,
                "content_hash": digest,
                "updated_at": utcnow(),
            }
            if row is None:
                s.add(AlertRow(alert_id=aid, status="open", version=1, **values))
            else:
                values["first_seen"] = min(row.first_seen, values["first_seen"])
                values["last_seen"] = max(row.last_seen, values["last_seen"])
                for k, v in values.items():
                    setattr(row, k, v)
                row.version += 1
                s.add(row)
            changed += 1
        return changed

    @staticmethod
    def _row(s: Session, rows: dict[tuple, Any], model: type, pk: Any, **new: Any) -> Any:
        """The batch's row for `pk`: cached, else loaded, else created (added once)."""
        key = (model, pk)
        row = rows.get(key)
        if row is None:
            row = s.get(model, pk)
        if row is None or row is _ABSENT:
            row = model(**new)
            s.add(row)
        rows[key] = row
        return row

    @staticmethod
    def _unseal(s: Session, project_id: str) -> None:
        """Alerts naming the project unseal, except those naming another still sealed."""
        q = select(AlertRow).where(AlertRow.sealed.is_(True), alert_names(project_id))
        rows = [r for r in s.execute(q).scalars() if project_id in projects_named(r)]
        named = set().union(*(projects_named(r) for r in rows)) - {project_id}
        opened = {project_id}
        if named:
            q = select(Project.project_id).where(
                Project.project_id.in_(sorted(named)), Project.opened.is_(True)
            )
            opened |= set(s.execute(q).scalars())
        for r in rows:
            if projects_named(r) <= opened:
                r.sealed = False
                s.add(r)

    def _apply_side_effects(self, s: Session, ev: Event, rows: dict[tuple, Any]) -> None:
        """Keep the wall's summary tables current; the ledger stays the source of truth."""
        p = ev.payload
        if ev.type in STAGE_OF and ev.project_id != "*":
            project = self._row(s, rows, Project, ev.project_id, project_id=ev.project_id)
            if ev.type == "project.registered":
                project.name = p.name
                project.category = p.category
                project.bid_deadline = to_utc(p.bid_deadline) if p.bid_deadline else None
                project.opening_at = to_utc(p.opening_at) if p.opening_at else None
                for room in p.rooms:
                    r = self._row(s, rows, RoomRow, room.room_id, room_id=room.room_id)
                    r.project_id, r.kind, r.cameras = ev.project_id, room.kind, list(room.cameras)
            if ev.type == "opening.started":
                project.opened = True
            project.stage = STAGE_OF[ev.type]
            project.updated_at = utcnow()
            if ev.type == "opening.started":
                self._unseal(s, ev.project_id)
        elif ev.type == "room.session":
            r = self._row(s, rows, RoomRow, p.room_id, room_id=p.room_id)
            r.project_id, r.kind, r.session_state = p.project_id, p.kind, p.state
            if p.cameras:
                r.cameras = list(p.cameras)
        elif ev.type == "frame.analyzed":
            ts = to_utc(ev.ts)
            lf = self._row(
                s,
                rows,
                LatestFrame,
                (p.room_id, p.camera_id),
                room_id=p.room_id,
                camera_id=p.camera_id,
                ts=ts,
            )
            if ts < lf.ts:
                return
            lf.ts, lf.status = ts, "online"
            lf.metrics = p.model_dump(mode="json", exclude={"thumbnail"})
            if p.thumbnail:
                lf.thumbnail, lf.thumbnail_ts = p.thumbnail, ts
        elif ev.type == "camera.status":
            lf = self._row(
                s,
                rows,
                LatestFrame,
                (p.room_id, p.camera_id),
                room_id=p.room_id,
                camera_id=p.camera_id,
                ts=to_utc(ev.ts),
            )
            lf.status = p.status

    # ------------------------------------------------------------------ decisions

    def decide(self, alert_id: str, action: str, actor: str, reason: str | None = None) -> Decision:
        """Log an officer's decision and move the alert's status (witness/store/decisions.py)."""
        return decide(self.engine, alert_id, action, actor, reason)

    # ------------------------------------------------------------------ ops

    def record_lag(self, rows: Iterable[ConsumerLag]) -> None:
        with self.session() as s:
            for r in rows:
                s.merge(r)
            s.commit()

    # ------------------------------------------------------------------ reads

    def alerts(
        self,
        *,
        project_ids: Sequence[str] | None = None,
        severity: str | None = None,
        status: str | None = None,
        rule: str | None = None,
        limit: int | None = None,
    ) -> list[AlertRow]:
        q = select(AlertRow)
        if project_ids is not None:
            q = q.where(AlertRow.project_id.in_(list(project_ids)))
        if severity:
            q = q.where(AlertRow.severity == severity)
        if status:
            q = q.where(AlertRow.status == status)
        if rule:
            q = q.where(AlertRow.rule == rule)
        q = q.order_by(AlertRow.last_seen.desc(), AlertRow.alert_id)
        if limit:
            q = q.limit(limit)
        with self.session() as s:
            return list(s.execute(q).scalars().all())

    def alert_models(self, **filters: Any) -> list[Alert]:
        """Stored alerts as contract models (for replay comparison and export)."""
        return [row_to_alert(r) for r in self.alerts(**filters)]

    def events(
        self,
        project_id: str | None = None,
        *,
        types: Sequence[str] | None = None,
        rooms: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Event]:
        """Recorded events in recording order, parsed back into the contract."""
        q = select(LedgerEntry.body).join(
            EventRow, (EventRow.chain == LedgerEntry.chain) & (EventRow.seq == LedgerEntry.seq)
        )
        if project_id is not None:
            q = q.where(EventRow.project_id == project_id)
        if types:
            q = q.where(EventRow.type.in_(list(types)))
        if rooms is not None:
            q = q.where(EventRow.room_id.in_(list(rooms)))
        if since is not None:
            q = q.where(EventRow.ts >= to_utc(since))
        if until is not None:
            q = q.where(EventRow.ts <= to_utc(until))
        q = q.order_by(LedgerEntry.id)
        with self.session() as s:
            return [parse_event(body) for body in s.execute(q).scalars().all()]

    def count_events(self, project_id: str | None = None) -> int:
        from sqlalchemy import func

        q = select(func.count()).select_from(EventRow)
        if project_id is not None:
            q = q.where(EventRow.project_id == project_id)
        with self.session() as s:
            return s.execute(q).scalar_one()

    def ledger(self, chain: str) -> list[Link]:
        q = select(LedgerEntry).where(LedgerEntry.chain == chain).order_by(LedgerEntry.seq)
        with self.session() as s:
            return [
                Link(r.seq, r.kind, r.ref, r.body, r.prev_hash, r.hash)
                for r in s.execute(q).scalars().all()
            ]

    def verify_chain(self, chain: str) -> ChainFault | None:
        return verify_links(self.ledger(chain))

    def opened_projects(self) -> set[str]:
        """Projects whose bids are open (from `opening.started` on): what sealing allows."""
        q = select(Project.project_id).where(Project.opened.is_(True))
        with self.session() as s:
            return set(s.execute(q).scalars().all())

    def knows(self, project_id: str) -> bool:
        """Has this store any trace of the project: its row, an event or a chain link?
        (A project it knows whose chain is empty has lost records; one it never heard of
        is a wrong id.)"""
        with self.session() as s:
            return any(
                s.execute(q.limit(1)).first() is not None
                for q in (
                    select(Project.project_id).where(Project.project_id == project_id),
                    select(EventRow.event_id).where(EventRow.project_id == project_id),
                    select(LedgerEntry.seq).where(LedgerEntry.chain == project_id),
                )
            )

    def projects(self) -> list[Project]:
        with self.session() as s:
            return list(s.execute(select(Project).order_by(Project.project_id)).scalars().all())

    def decisions(self, alert_id: str | None = None) -> list[Decision]:
        q = select(Decision).order_by(Decision.id)
        if alert_id:
            q = q.where(Decision.alert_id == alert_id)
        with self.session() as s:
            return list(s.execute(q).scalars().all())


def alert_names(project_id: str) -> ColumnElement[bool]:
    """SQL: the alert is filed under `project_id` or may name it in `projects`.

    `projects` is a JSON list: a text match finds the candidates on both backends;
    callers that must be exact filter with witness.sealing.projects_named().
    """
    quoted = json.dumps(project_id)  # as the JSON column writes it
    pattern = "%" + quoted.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    names = cast(AlertRow.projects, String).like(pattern, escape="!")
    return or_(AlertRow.project_id == project_id, names)


def row_to_alert(r: AlertRow) -> Alert:
    aware = to_utc
    return Alert(
        alert_id=r.alert_id,
        rule=r.rule,
        severity=r.severity,  # type: ignore[arg-type]
        project_id=r.project_id,
        room_id=r.room_id,
        title=r.title,
        legal_basis=r.legal_basis,
        subjects=list(r.subjects),
        evidence=json.loads(json.dumps(r.evidence)),
        event_ids=list(r.event_ids),
        projects=list(r.projects or ()),
        first_seen=aware(r.first_seen),
        last_seen=aware(r.last_seen),
        sealed=r.sealed,
        status=r.status,  # type: ignore[arg-type]
    )


def _older(alert: Alert, row: AlertRow) -> bool:
    """A version whose evidence ends before the recorded one's: an earlier version sent
    again (a worker restarted past its last commit re-publishes the versions it had
    already sent, batched differently), not news. Recording it would put a stale version
    after the newer one in the chain and then the newer one a second time.

    Sealing only ever lifts (bids are opened once): a sealed version of an alert recorded
    unsealed, ending no later, is the version from before the opening sent again
    (bench/faults.py: a PROC-ORDER alert recorded sealed, unsealed, sealed, unsealed)."""
    mine, theirs = to_utc(alert.last_seen), to_utc(row.last_seen)
    return mine < theirs or (mine == theirs and alert.sealed and not row.sealed)
