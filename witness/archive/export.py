"""Export: read one project from the store and write it as a bundle."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from witness.archive.context import context_records, project_rooms
from witness.archive.format import (
    ALERTS,
    CONTEXT,
    DECISIONS,
    EVENTS,
    FRAMES,
    INDEX,
    LEDGER,
    LEDGER_COLUMNS,
    PROJECT,
    ArchiveError,
    Record,
    build_manifest,
    iso_utc,
    jsonl_bytes,
    pack,
)
from witness.archive.generated_parts import collect_documents
from witness.events import canonical_json
from witness.i18n import register, t
from witness.sealing import projects_named
from witness.store.models import (
    AlertRow,
    Decision,
    EventRow,
    LatestFrame,
    LedgerEntry,
    Project,
    RoomRow,
)

register(
    {
        "archive.no_records": (
            "本库中没有项目 {project} 的记录",
            "project {project} has no records in this store",
        ),
        "archive.sealed": (
            "项目 {project} 尚未开标：开标前投标信息保密，不能导出",
            "project {project} has not opened its bids: sealed bids cannot be exported",
        ),
        "archive.sealed_other": (
            "项目 {project} 的告警涉及尚未开标的项目 {others}：待其开标后再导出",
            "alerts of project {project} name projects that have not opened ({others}): "
            "export after they open",
        ),
    }
)


def check_unsealed(engine: Engine, project_id: str) -> None:
    """A bundle holds every record, bids included: only an opened project may leave the store,
    and only once every project its alerts name has opened too (DESIGN §5)."""
    from sqlmodel import Session

    with Session(engine) as s:
        opened = set(
            s.execute(select(Project.project_id).where(Project.opened.is_(True))).scalars()
        )
        if project_id not in opened:
            known = s.get(Project, project_id) is not None
            raise ArchiveError(
                t("archive.sealed" if known else "archive.no_records", project=project_id)
            )
        rows = s.execute(select(AlertRow).where(AlertRow.project_id == project_id)).scalars()
        others = sorted(set().union(*(projects_named(r) for r in rows)) - opened)
    if others:
        raise ArchiveError(t("archive.sealed_other", project=project_id, others=", ".join(others)))


def _alert_dict(r: AlertRow) -> dict[str, Any]:
    return {
        "alert_id": r.alert_id,
        "rule": r.rule,
        "severity": r.severity,
        "project_id": r.project_id,
        "room_id": r.room_id,
        "title": r.title,
        "legal_basis": r.legal_basis,
        "subjects": list(r.subjects),
        "evidence": r.evidence,
        "event_ids": list(r.event_ids),
        "projects": list(r.projects or ()),
        "first_seen": iso_utc(r.first_seen),
        "last_seen": iso_utc(r.last_seen),
        "sealed": r.sealed,
        "status": r.status,
        "version": r.version,
        "content_hash": r.content_hash,
        "updated_at": iso_utc(r.updated_at),
    }


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "decision_id": d.id,
        "alert_id": d.alert_id,
        "action": d.action,
        "status_after": d.status_after,
        "actor": d.actor,
        "reason": d.reason,
        "at": iso_utc(d.at),
    }


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def collect(engine: Engine, project_id: str) -> dict[str, bytes]:
    """Read one project from the store and lay it out as bundle parts (no manifest)."""
    from sqlmodel import Session

    with Session(engine) as s:
        # plain column tuples, not ORM objects: ten times faster on long chains
        records = [
            Record(*row[:6], iso_utc(row[6]) or "")
            for row in s.execute(
                select(*LEDGER_COLUMNS)
                .where(LedgerEntry.chain == project_id)
                .order_by(LedgerEntry.seq)
            )
        ]
        if not records:
            raise ArchiveError(t("archive.no_records", project=project_id))
        events = [
            {
                "event_id": e.event_id,
                "type": e.type,
                "project_id": e.project_id,
                "room_id": e.room_id,
                "ts": iso_utc(e.ts),
                "chain": e.chain,
                "seq": e.seq,
            }
            for e in s.execute(
                select(
                    EventRow.event_id,
                    EventRow.type,
                    EventRow.project_id,
                    EventRow.room_id,
                    EventRow.ts,
                    EventRow.chain,
                    EventRow.seq,
                )
                .where(EventRow.chain == project_id)
                .order_by(EventRow.seq)
            )
        ]
        alert_rows = list(
            s.execute(
                select(AlertRow)
                .where(AlertRow.project_id == project_id)
                .order_by(AlertRow.alert_id)
            ).scalars()
        )
        alert_ids = [a.alert_id for a in alert_rows]
        decisions = (
            list(
                s.execute(
                    select(Decision).where(Decision.alert_id.in_(alert_ids)).order_by(Decision.id)
                ).scalars()
            )
            if alert_ids
            else []
        )
        project = s.get(Project, project_id)
        rooms = project_rooms(s, project_id, records)
        context = context_records(s, project_id, rooms)
        room_rows = [s.get(RoomRow, r) for r in sorted(rooms)]
        documents = collect_documents(s, project_id)
        frames = list(
            s.execute(
                select(LatestFrame)
                .where(LatestFrame.room_id.in_(sorted(rooms)))
                .order_by(LatestFrame.room_id, LatestFrame.camera_id)
            ).scalars()
        )
    parts: dict[str, bytes] = {
        LEDGER: jsonl_bytes([r.to_json() for r in records]),
        INDEX: jsonl_bytes(
            [{"seq": r.seq, "kind": r.kind, "ref": r.ref, "hash": r.hash} for r in records]
        ),
        EVENTS: jsonl_bytes(events),
        ALERTS: jsonl_bytes([_alert_dict(a) for a in alert_rows]),
        DECISIONS: jsonl_bytes([_decision_dict(d) for d in decisions]),
    }
    parts[PROJECT] = canonical_json(
        {
            "project": None
            if project is None
            else {
                "project_id": project.project_id,
                "name": project.name,
                "category": project.category,
                "stage": project.stage,
                "opened": project.opened,
                "bid_deadline": iso_utc(project.bid_deadline),
                "opening_at": iso_utc(project.opening_at),
                "updated_at": iso_utc(project.updated_at),
            },
            "rooms": [
                {
                    "room_id": r.room_id,
                    "project_id": r.project_id,
                    "kind": r.kind,
                    "cameras": list(r.cameras),
                    "session_state": r.session_state,
                }
                for r in room_rows
                if r is not None
            ],
        }
    ).encode("utf-8")
    frame_rows = []
    for f in frames:
        row = {
            "room_id": f.room_id,
            "camera_id": f.camera_id,
            "ts": iso_utc(f.ts),
            "metrics": f.metrics,
            "status": f.status,
            "thumbnail_ts": iso_utc(f.thumbnail_ts),
            "thumbnail": None,
        }
        if f.thumbnail:
            name = f"thumbnails/{_safe(f.room_id)}__{_safe(f.camera_id)}.jpg"
            try:
                parts[name] = base64.b64decode(f.thumbnail, validate=True)
                row["thumbnail"] = name
            except ValueError:
                row["thumbnail_b64"] = f.thumbnail
        frame_rows.append(row)
    parts[FRAMES] = jsonl_bytes(frame_rows)
    parts[CONTEXT] = jsonl_bytes(context)
    parts.update(documents)
    return parts


def export_bundle(
    engine: Engine, project_id: str, out: str | Path, *, years: int | None = None
) -> dict[str, Any]:
    """Write the project's bundle to `out`; return its manifest (never of a sealed project)."""
    check_unsealed(engine, project_id)
    parts = collect(engine, project_id)
    manifest = build_manifest(project_id, parts, years=years)
    data = pack(parts, manifest)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".partial")
    tmp.write_bytes(data)
    tmp.replace(out)
    return manifest
