"""Where a record's input comes from: the live store, an archive bundle, or an events file.

Each returns a `RecordInput`; `gather.build` turns it into what the record says, so a
record reads the same whichever source an auditor has at hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from witness.alerts import AlertLike
from witness.errors import WitnessError
from witness.events import Event
from witness.i18n import register, t
from witness.record.coverage import FRAME_TYPES, sessions
from witness.record.gather import RecordInput
from witness.record.model import ChainInfo, DeadLetterRow, DecisionRow
from witness.store.generated import DOCUMENT, covers
from witness.store.models import DeadLetter, Decision, to_utc

register(
    {
        "record.no_events_store": (
            "本库中没有项目 {project} 的事件",
            "project {project} has no events in this store",
        ),
        "record.no_events_file": (
            "{file} 中没有项目 {project} 的事件",
            "project {project} has no events in {file}",
        ),
        "record.unknown_format": (
            "未知格式 {fmt!r}：请用 pdf 或 html",
            "unknown format {fmt!r}; use pdf or html",
        ),
        "record.unknown_recipient": (
            "未知收件方 {to!r}：请用 {known}",
            "unknown recipient {to!r}; use {known}",
        ),
        "record.no_alert": ("本库中没有告警 {alert!r}", "no alert {alert!r} in this store"),
        "record.other_bundle": (
            "{bundle} 是项目 {other} 的归档包，不是 {project}",
            "{bundle} is a bundle of project {other}, not {project}",
        ),
    }
)


class RecordError(WitnessError):
    """A record that cannot be made (unknown project, unreadable bundle); says why."""


def decision_row(d: Decision) -> DecisionRow:
    """A store decision as a record reads it (times in UTC)."""
    return DecisionRow(
        alert_id=d.alert_id,
        at=to_utc(d.at),
        actor=d.actor,
        action=d.action,
        status_after=d.status_after,
        reason=d.reason,
    )


def project_rooms(events: Sequence[Event]) -> list[str]:
    rooms = {r.room_id for e in events if e.type == "project.registered" for r in e.payload.rooms}
    rooms |= {e.room_id for e in events if e.room_id}
    return sorted(rooms)


def from_store(store, project_id: str, *, gap_seconds: float = 60) -> RecordInput:
    own = store.events(project_id)
    if not own:
        raise RecordError(t("record.no_events_store", project=project_id))
    frames = []  # only what coverage reads: the rooms' frames during the sessions
    for room, _kind, start, end in sessions(own):
        frames += store.events(
            "*",
            types=sorted(FRAME_TYPES),
            rooms=[room],
            since=start - timedelta(seconds=gap_seconds),
            until=end,
        )
    alerts = store.alert_models(project_ids=[project_id])
    ids = [a.alert_id for a in alerts]
    with store.session() as s:
        decisions = [
            decision_row(d)
            for i in range(0, len(ids), 500)
            for d in s.execute(
                select(Decision)
                .where(Decision.alert_id.in_(ids[i : i + 500]))
                .order_by(Decision.id)
            ).scalars()
        ]
        dead = [
            DeadLetterRow(to_utc(d.at), f"{d.topic}/{d.partition}@{d.offset}", d.error)
            for d in s.execute(
                select(DeadLetter).where(DeadLetter.key == project_id).order_by(DeadLetter.id)
            ).scalars()
        ]
    cov = covers(store, project_id)
    fault = store.verify_chain(project_id)
    chain = ChainInfo(
        source="store",
        name=project_id,
        covers_seq=cov.seq,
        covers_hash=cov.hash,
        as_of=cov.at,
        verified=fault is None,
        fault=fault.describe() if fault else None,
    )
    return RecordInput(
        project_id,
        [*own, *frames],
        alerts,
        decisions,
        chain,
        dead,
        gap_seconds=gap_seconds,
        opened=frozenset(store.opened_projects()),
    )


def from_bundle(path: str | Path, *, gap_seconds: float = 60) -> RecordInput:
    """A record from a bundle alone; the bundle is verified first and the outcome shown."""
    from witness import archive
    from witness.archive.format import LEDGER

    report = archive.verify_bundle(path)
    if not report.manifest:
        first = report.problems[0].message() if report.problems else "not a bundle"
        raise RecordError(f"{path}: {first}")
    parts, _ = archive.read_parts(path)
    project_id = report.manifest["project_id"]
    altered = not report.ok  # read what still reads; the record says it failed and why
    events = archive.bundle_events(parts, skip_bad=altered)
    events = [e for e in events if e.type != "registry.relation"]
    alerts = archive.bundle_alerts(parts, skip_bad=altered)
    records, _ = archive.parse_records(parts.get(LEDGER, b""))
    decisions = _chained_decisions(records)
    chained = [r for r in records if r.kind != DOCUMENT]
    last = chained[-1] if chained else None
    chain = ChainInfo(
        source="bundle",
        name=project_id,
        covers_seq=last.seq if last else 0,
        covers_hash=last.hash if last else "",
        as_of=datetime.fromisoformat(last.recorded_at) if last and last.recorded_at else None,
        verified=report.ok,
        fault=None if report.ok else report.problems[0].message(),
        detail=Path(path).name,
    )
    return RecordInput(project_id, events, alerts, decisions, chain, None, gap_seconds=gap_seconds)


def _chained_decisions(records: Sequence) -> list[DecisionRow]:
    """The officers' decisions as the chain holds them (decisions.jsonl must agree with
    the chain to verify, and of a bundle that does not, the chain is what verifies)."""
    out = []
    for r in records:
        if r.kind != "decision":
            continue
        try:
            d = json.loads(r.body)
            out.append(
                DecisionRow(
                    alert_id=str(d["alert_id"]),
                    at=datetime.fromisoformat(d["at"]),
                    actor=str(d["actor"]),
                    action=str(d["action"]),
                    status_after=str(d["status_after"]),
                    reason=d.get("reason"),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # an altered record: the verification outcome names it
    return out


def from_events(
    project_id: str,
    events: Sequence[Event],
    alerts: Sequence[AlertLike],
    *,
    file_name: str,
    file_sha256: str,
    bad_lines: Sequence[tuple[int, str]] = (),
    gap_seconds: float = 60,
) -> RecordInput:
    """A record from an events file and the alerts the detectors raised over it now."""
    own = [e for e in events if e.project_id == project_id]
    if not own:
        raise RecordError(t("record.no_events_file", project=project_id, file=file_name))
    rooms = set(project_rooms(own))
    frames = [e for e in events if e.type in FRAME_TYPES and e.room_id in rooms]
    chain = ChainInfo(
        source="events",
        as_of=max(e.ts for e in own),
        detail=f"{file_name} (SHA-256 {file_sha256})",
    )
    dead = [DeadLetterRow(None, f"{file_name}:{line}", reason) for line, reason in bad_lines]
    mine = [a for a in alerts if a.project_id == project_id]
    return RecordInput(project_id, [*own, *frames], mine, [], chain, dead, gap_seconds=gap_seconds)
