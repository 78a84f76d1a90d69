"""Restore: bring a verified bundle back, into another store or as contract models.

`import_bundle` writes the ledger rows verbatim (with their hashes) and the index rows;
`bundle_events` and `bundle_alerts` give an offline replay its input and the recorded
alerts to compare with (the replay itself is driven by `witness archive replay`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from witness.archive.format import (
    ALERTS,
    CONTEXT,
    DECISIONS,
    EVENTS,
    FRAMES,
    LEDGER,
    PROJECT,
    ArchiveError,
    Record,
    context_segments,
    parse_iso,
    parse_records,
    part_lines,
    read_parts,
)
from witness.archive.generated_parts import restore_documents
from witness.archive.index_parts import event_row
from witness.archive.verify import verify_bundle
from witness.i18n import register, t
from witness.store.models import (
    AlertRow,
    ConsumerLag,
    Decision,
    EventRow,
    LatestFrame,
    LedgerEntry,
    Project,
    RoomRow,
    ServiceHealth,
    to_utc,
    utcnow,
)

register(
    {
        "archive.holds_project": (
            "本库已有项目 {project} 的记录：请导入到另一个库",
            "this store already holds records of project {project}",
        ),
        "archive.holds_event": ("本库已有事件 {id!r}", "this store already holds event {id!r}"),
        "archive.holds_alert": ("本库已有告警 {id!r}", "this store already holds alert {id!r}"),
        "archive.context_clash": (
            "本库的链 {chain} 第 {seq} 条记录与归档包中的不同：此包与本库已有的记录出自不同的库，未导入",
            "record {seq} of chain {chain} in this store differs from the bundle's: the "
            "bundle and this store's records come from different stores; nothing imported",
        ),
    }
)


@dataclass
class ImportResult:
    project_id: str
    records: int
    events: int
    alerts: int
    decisions: int
    frames: int
    renumbered_decisions: int = 0
    documents: int = 0
    #: Records of room and registry chains restored beside the project's own ...
    context: int = 0
    #: ... none when the store is a live one (a recorder reported there).
    context_skipped: bool = False


def import_bundle(engine: Engine, path: str | Path) -> ImportResult:
    """Re-import a verified bundle verbatim: ledger rows with their hashes and the index.

    Refuses a bundle that does not verify, and a store that already holds any of the
    project's chain, events or alerts (imports never overwrite or merge records).
    """
    from sqlmodel import Session

    report = verify_bundle(path)
    if not report.ok:
        raise ArchiveError(report.problems[0].message())
    parts, _ = read_parts(path)
    manifest = report.manifest
    project_id = manifest["project_id"]
    records, _ = parse_records(parts[LEDGER])
    events = [json.loads(x) for x in part_lines(parts[EVENTS])]
    alerts = [json.loads(x) for x in part_lines(parts[ALERTS])]
    decisions = [json.loads(x) for x in part_lines(parts[DECISIONS])]
    frames = [json.loads(x) for x in part_lines(parts[FRAMES])]
    proj = json.loads(parts[PROJECT])
    renumbered = 0
    with Session(engine) as s:
        if s.execute(
            select(LedgerEntry.id).where(LedgerEntry.chain == project_id).limit(1)
        ).first():
            raise ArchiveError(t("archive.holds_project", project=project_id))
        _refuse_held_events(s, [e["event_id"] for e in events])
        aids = [a["alert_id"] for a in alerts]
        if aids:
            clash = s.execute(
                select(AlertRow.alert_id).where(AlertRow.alert_id.in_(aids)).limit(1)
            ).first()
            if clash:
                raise ArchiveError(t("archive.holds_alert", id=clash[0]))
        _insert_links(s, project_id, records)
        if events:
            s.execute(insert(EventRow), [{**e, "ts": parse_iso(e["ts"])} for e in events])
        for a in alerts:
            s.add(
                AlertRow(
                    **{
                        **a,
                        "first_seen": parse_iso(a["first_seen"]),
                        "last_seen": parse_iso(a["last_seen"]),
                        "updated_at": parse_iso(a["updated_at"]) or utcnow(),
                    }
                )
            )
        for d in decisions:
            did = d["decision_id"]
            if s.get(Decision, did) is not None:
                did, renumbered = None, renumbered + 1
            s.add(
                Decision(
                    id=did,
                    alert_id=d["alert_id"],
                    action=d["action"],
                    status_after=d["status_after"],
                    actor=d["actor"],
                    reason=d["reason"],
                    at=parse_iso(d["at"]),
                )
            )
        p = proj.get("project")
        if p and s.get(Project, p["project_id"]) is None:
            s.add(
                Project(
                    **{
                        **p,
                        "bid_deadline": parse_iso(p["bid_deadline"]),
                        "opening_at": parse_iso(p["opening_at"]),
                        "updated_at": parse_iso(p["updated_at"]) or utcnow(),
                    }
                )
            )
        for room in proj.get("rooms", []):
            if s.get(RoomRow, room["room_id"]) is None:
                s.add(RoomRow(**room))
        for f in frames:
            existing = s.get(LatestFrame, (f["room_id"], f["camera_id"]))
            ts = parse_iso(f["ts"])
            if existing is not None and to_utc(existing.ts) >= to_utc(ts):
                continue
            thumb = f.get("thumbnail_b64")
            if f.get("thumbnail") and f["thumbnail"] in parts:
                thumb = base64.b64encode(parts[f["thumbnail"]]).decode("ascii")
            row = existing or LatestFrame(room_id=f["room_id"], camera_id=f["camera_id"], ts=ts)
            row.ts, row.metrics, row.status = ts, f["metrics"], f["status"]
            row.thumbnail, row.thumbnail_ts = thumb, parse_iso(f.get("thumbnail_ts"))
            s.add(row)
        documents = restore_documents(s, parts)
        # A store a recorder runs on keeps appending to its room and registry chains:
        # another store's stretches among them would leave gaps and foreign links there.
        live = _recorder_ran(s)
        segments = {} if live else context_segments(parts.get(CONTEXT, b""))
        context = _restore_context(s, segments)
        s.flush()
        if engine.dialect.name == "postgresql":
            # explicit ids do not advance PostgreSQL sequences; keep later inserts safe
            for table in ("decisions", "ledger"):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                    )
                )
        s.commit()
    return ImportResult(
        project_id=project_id,
        records=len(records),
        events=len(events),
        alerts=len(alerts),
        decisions=len(decisions),
        frames=len(frames),
        renumbered_decisions=renumbered,
        documents=documents,
        context=context,
        context_skipped=live,
    )


def _recorder_ran(s: Any) -> bool:
    """Has a recorder or a worker reported in this store: is it a live one?"""
    return any(
        s.execute(select(column).limit(1)).first() is not None
        for column in (ServiceHealth.service, ConsumerLag.group_id)
    )


def _insert_links(s: Any, chain: str, records: list[Record]) -> None:
    """Ledger rows verbatim: seq, kind, ref, body and both hashes as the bundle has them."""
    if not records:
        return
    s.execute(
        insert(LedgerEntry),
        [
            {
                "chain": chain,
                "seq": r.seq,
                "kind": r.kind,
                "ref": r.ref,
                "body": r.body,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
                "recorded_at": parse_iso(r.recorded_at) or utcnow(),
            }
            for r in records
        ],
    )


def _refuse_held_events(s: Any, ids: list[str]) -> None:
    """Imports never overwrite: an event id the store holds already stops the import."""
    for i in range(0, len(ids), 500):
        clash = s.execute(
            select(EventRow.event_id).where(EventRow.event_id.in_(ids[i : i + 500])).limit(1)
        ).first()
        if clash:
            raise ArchiveError(t("archive.holds_event", id=clash[0]))


def _restore_context(s: Any, segments: dict[str, list[Record]]) -> int:
    """The stretches of room and registry chains the bundle carries, so a replay in this
    store (`witness replay --project`) sees the frames and registry facts the live worker
    saw; without them an imported project's REL-34 came back 'gone' and its VID-OFFLINE
    'changed'. A record this store holds already is skipped when it is the same one
    (another project's bundle carried it) and refused when it is not."""
    added = 0
    for chain, recs in segments.items():
        seqs = [r.seq for r in recs]
        held = dict(
            s.execute(
                select(LedgerEntry.seq, LedgerEntry.hash).where(
                    LedgerEntry.chain == chain, LedgerEntry.seq.between(min(seqs), max(seqs))
                )
            ).all()
        )
        for r in recs:
            if r.seq in held and held[r.seq] != r.hash:
                raise ArchiveError(t("archive.context_clash", chain=chain, seq=r.seq))
        new = [r for r in recs if r.seq not in held]
        _insert_links(s, chain, new)
        rows = [event_row(r, chain) for r in new if r.kind == "event"]
        _refuse_held_events(s, [e["event_id"] for e in rows])  # under another seq: not ours
        if rows:
            s.execute(insert(EventRow), rows)
        added += len(new)
    return added


def bundle_events(parts: dict[str, bytes], *, skip_bad: bool = False) -> list[Any]:
    """The project's events plus its context, in recording order, for an offline replay.

    With `skip_bad` (a bundle that failed verification, read for its record), records that
    no longer read as events are left out; the record says the bundle failed and why.
    """
    from pydantic import ValidationError

    from witness.events import parse_event

    rows: list[tuple[datetime, int, int, Record]] = []
    records, _ = parse_records(parts.get(LEDGER, b""))
    rows += [(_recorded(r), 0, r.seq, r) for r in records]
    segments = context_segments(parts.get(CONTEXT, b""), skip_bad=skip_bad)
    for n, recs in enumerate(segments.values(), start=1):
        rows += [(_recorded(r), n, r.seq, r) for r in recs]
    rows.sort(key=lambda x: (to_utc(x[0]), x[1], x[2]))
    events = []
    for *_, r in rows:
        if r.kind != "event":
            continue
        try:
            events.append(parse_event(r.body))
        except (ValueError, ValidationError):
            if not skip_bad:
                raise
    return events


def _recorded(r: Record) -> datetime:
    try:
        return parse_iso(r.recorded_at) or utcnow()
    except ValueError:  # an altered record's time: it sorts as if recorded now
        return utcnow()


def bundle_alerts(parts: dict[str, bytes], *, skip_bad: bool = False) -> list[Any]:
    """The bundle's current alerts as contract models (`skip_bad` as for bundle_events)."""
    from pydantic import ValidationError

    from witness.alerts import Alert

    fields = set(Alert.model_fields)
    alerts = []
    for line in part_lines(parts.get(ALERTS, b"")):
        try:
            row = json.loads(line)
            alerts.append(Alert.model_validate({k: v for k, v in row.items() if k in fields}))
        except (ValueError, AttributeError, ValidationError):
            if not skip_bad:
                raise
    return alerts
