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

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine

from witness.alerts import Alert
from witness.events import Event, canonical_json, parse_event
from witness.store.dead_letters import DeadLetterRecord, insert_dead_letters
from witness.store.ledger import GENESIS, ChainFault, Link, event_chain, link_hash, verify_links
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

#: Allowed officer actions: action -> (statuses it may follow, status after).
ACTIONS = {
    "acknowledge": ({"open"}, "acknowledged"),
    "refer": ({"open", "acknowledged"}, "referred"),
    "dismiss": ({"open", "acknowledged"}, "dismissed"),
}

_CHUNK = 500
_ABSENT = object()  # prefetched: known not to exist yet


class DecisionError(ValueError):
    """An officer decision that is not allowed (wrong status, missing reason)."""


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
        self._heads: dict[str, tuple[int, str]] = {}
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
        """Record a batch in one transaction; retried once if another writer raced us."""
        for attempt in range(3):
            try:
                with self.session() as s:
                    result = self._write(s, events, alerts, dead_letters)
                    s.commit()
                    return result
            except IntegrityError:
                self._heads.clear()  # another writer appended: re-read chain heads
                if attempt == 2:
                    raise
            except Exception:
                self._heads.clear()
                raise
        raise AssertionError("unreachable")

    def _append(
        self, s: Session, rows: list[dict], chain: str, kind: str, ref: str, body: str
    ) -> int:
        seq, prev = self._head(s, chain)
        seq += 1
        h = link_hash(prev, kind, ref, body)
        rows.append(
            {
                "chain": chain,
                "seq": seq,
                "kind": kind,
                "ref": ref,
                "body": body,
                "prev_hash": prev,
                "hash": h,
                "recorded_at": utcnow(),
            }
        )
        self._heads[chain] = (seq, h)
        return seq

    def _head(self, s: Session, chain: str) -> tuple[int, str]:
        head = self._heads.get(chain)
        if head is None:
            row = s.execute(
                select(LedgerEntry.seq, LedgerEntry.hash)
                .where(LedgerEntry.chain == chain)
                .order_by(LedgerEntry.seq.desc())
                .limit(1)
            ).first()
            head = (row[0], row[1]) if row else (0, GENESIS)
            self._heads[chain] = head
        return head

    def _existing_event_ids(self, s: Session, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            q = select(EventRow.event_id).where(EventRow.event_id.in_(chunk))
            found.update(s.execute(q).scalars().all())
        return found

    def _write(self, s: Session, events, alerts, dead_letters) -> WriteResult:
        result = WriteResult()
        ledger_rows: list[dict] = []
        event_rows: list[dict] = []
        existing = self._existing_event_ids(s, [e.event_id for e in events])
        chains = {event_chain(e) for e in events}
        chains |= {a.project_id if a.project_id != "*" else "alerts/*" for a in alerts}
        self._prefetch_heads(s, chains)
        with s.no_autoflush:  # side-effect rows are looked up once per batch, not per event
            rows = self._prefetch_rows(s, events)
            self._record_events(s, events, existing, ledger_rows, event_rows, result, rows)
        result.changed_alerts = self._upsert_alerts(s, alerts, ledger_rows)
        if ledger_rows:
            s.execute(insert(LedgerEntry), ledger_rows)
        if event_rows:
            s.execute(insert(EventRow), event_rows)
        result.dead_letters = insert_dead_letters(s, dead_letters)
        return result

    def _prefetch_heads(self, s: Session, chains: set[str]) -> None:
        """Load the head (last seq, hash) of every chain a batch touches, in one query."""
        from sqlalchemy import func, tuple_

        missing = sorted(c for c in chains if c not in self._heads)
        for i in range(0, len(missing), _CHUNK):
            chunk = missing[i : i + _CHUNK]
            last = (
                select(LedgerEntry.chain, func.max(LedgerEntry.seq))
                .where(LedgerEntry.chain.in_(chunk))
                .group_by(LedgerEntry.chain)
            )
            tops = [tuple(r) for r in s.execute(last).all()]
            for c in chunk:
                self._heads[c] = (0, GENESIS)
            if tops:
                q = select(LedgerEntry.chain, LedgerEntry.seq, LedgerEntry.hash).where(
                    tuple_(LedgerEntry.chain, LedgerEntry.seq).in_(tops)
                )
                for chain, seq, h in s.execute(q).all():
                    self._heads[chain] = (seq, h)

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

    def _record_events(self, s, events, existing, ledger_rows, event_rows, result, rows) -> None:
        for ev in events:
            if ev.event_id in existing:
                result.duplicate_events += 1
                continue
            existing.add(ev.event_id)
            chain = event_chain(ev)
            seq = self._append(
                s, ledger_rows, chain, "event", ev.event_id, canonical_json(_frame_body(ev))
            )
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

    def _upsert_alerts(self, s: Session, alerts: Sequence[Alert], ledger_rows: list[dict]) -> int:
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
            if row is not None and row.content_hash == digest:
                continue
            chain = alert.project_id if alert.project_id != "*" else "alerts/*"
            self._append(s, ledger_rows, chain, "alert", aid, content)
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
                s.execute(
                    update(AlertRow)
                    .where(AlertRow.project_id == ev.project_id)
                    .values(sealed=False)
                )
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
        """Log an officer's decision and move the alert's status (hash-chained like events)."""
        if action not in ACTIONS:
            raise DecisionError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
        allowed_from, status_after = ACTIONS[action]
        if action == "dismiss" and not (reason and reason.strip()):
            raise DecisionError("dismissing an alert needs a reason")
        if not actor:
            raise DecisionError("a decision needs the officer's name")
        with self.session() as s:
            row = s.get(AlertRow, alert_id)
            if row is None:
                raise DecisionError(f"no alert {alert_id}")
            if row.status not in allowed_from:
                raise DecisionError(f"cannot {action} an alert that is {row.status}")
            at = utcnow()
            decision = Decision(
                alert_id=alert_id,
                action=action,
                status_after=status_after,
                actor=actor,
                reason=reason,
                at=at,
            )
            s.add(decision)
            s.flush()
            body = canonical_json(
                {
                    "decision_id": decision.id,
                    "alert_id": alert_id,
                    "action": action,
                    "status_after": status_after,
                    "actor": actor,
                    "reason": reason,
                    "at": at.isoformat(),
                }
            )
            ledger_rows: list[dict] = []
            chain = row.project_id if row.project_id != "*" else "alerts/*"
            self._append(s, ledger_rows, chain, "decision", f"decision:{decision.id}", body)
            s.execute(insert(LedgerEntry), ledger_rows)
            row.status = status_after
            row.updated_at = at
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                self._heads.clear()
                raise
            s.refresh(decision)
            return decision

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

    def projects(self) -> list[Project]:
        with self.session() as s:
            return list(s.execute(select(Project).order_by(Project.project_id)).scalars().all())

    def decisions(self, alert_id: str | None = None) -> list[Decision]:
        q = select(Decision).order_by(Decision.id)
        if alert_id:
            q = q.where(Decision.alert_id == alert_id)
        with self.session() as s:
            return list(s.execute(q).scalars().all())


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
        first_seen=aware(r.first_seen),
        last_seen=aware(r.last_seen),
        sealed=r.sealed,
        status=r.status,  # type: ignore[arg-type]
    )
