"""Context carried in a bundle: the stretches of other chains a replay needs.

A project's own chain is not enough to replay it: frames and camera status of its rooms
live on shared `room/R` chains and registry facts on `registry/...` chains. Export
includes them as segments anchored at the hash before them, so they verify on their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from witness.archive.format import (
    CONTEXT,
    LEDGER_COLUMNS,
    Problem,
    Record,
    context_segments,
    iso_utc,
    walk_chain,
)
from witness.archive.index_parts import event_body_problems
from witness.store.models import AlertRow, EventRow, LedgerEntry, RoomRow


def project_rooms(s: Any, project_id: str, records: Sequence[Record]) -> set[str]:
    """Rooms the project used: from its registration and sessions, and the rooms table."""
    rooms = set(
        s.execute(select(RoomRow.room_id).where(RoomRow.project_id == project_id)).scalars()
    )
    for r in records:
        if r.kind != "event":
            continue
        body = json.loads(r.body)
        payload = body.get("payload") or {}
        if body.get("type") == "project.registered":
            rooms.update(room["room_id"] for room in payload.get("rooms") or [])
        elif payload.get("room_id"):
            rooms.add(payload["room_id"])
    return rooms


def context_records(s: Any, project_id: str, rooms: set[str]) -> list[dict[str, Any]]:
    """Records of other chains a replay of this project needs, as verifiable segments.

    Frames and camera status of the project's rooms live on shared `room/R` chains: the
    contiguous stretch of each that covers the project's time span is included, anchored
    at the hash before it. Registry facts (`registry/...`, read whole by every worker)
    are included as whole chains.
    """
    from sqlalchemy import func

    lo, hi = s.execute(
        select(func.min(EventRow.ts), func.max(EventRow.ts)).where(EventRow.chain == project_id)
    ).one()
    # A room's frames can raise the project's alert after its own last event (a camera
    # heard again after a long silence in a session never closed): the span reaches the
    # last alert's trigger too, or the replay could not raise it.
    last_alert = s.execute(
        select(func.max(AlertRow.last_seen)).where(AlertRow.project_id == project_id)
    ).scalar()
    if hi is not None and last_alert is not None:
        hi = max(hi, _same_kind(last_alert, hi))
    ranges: list[tuple[str, int, int]] = []
    if lo is not None:
        for room in sorted(rooms):
            chain = f"room/{room}"
            first, last = s.execute(
                select(func.min(EventRow.seq), func.max(EventRow.seq)).where(
                    EventRow.chain == chain, EventRow.ts >= lo, EventRow.ts <= hi
                )
            ).one()
            if first is not None:
                ranges.append((chain, first, last))
    out: list[dict[str, Any]] = []
    for chain, first, last in ranges:
        q = (
            select(LedgerEntry.chain, *LEDGER_COLUMNS)
            .where(LedgerEntry.chain == chain, LedgerEntry.seq >= first, LedgerEntry.seq <= last)
            .order_by(LedgerEntry.seq)
        )
        out += [_ctx_row(row) for row in s.execute(q)]
    q = (
        select(LedgerEntry.chain, *LEDGER_COLUMNS)
        .where(LedgerEntry.chain.like("registry/%"))
        .order_by(LedgerEntry.chain, LedgerEntry.seq)
    )
    out += [_ctx_row(row) for row in s.execute(q)]
    return out


def _same_kind(t: datetime, like: datetime) -> datetime:
    """`t` as aware or naive (UTC) as `like`, so the two compare (SQLite keeps no zone)."""
    if (t.tzinfo is None) == (like.tzinfo is None):
        return t
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC).replace(tzinfo=None)


def _ctx_row(row: Any) -> dict[str, Any]:
    rec = Record(*row[1:7], iso_utc(row[7]) or "")
    return {"chain": row[0], **rec.__dict__}


def verify_context(parts: dict[str, bytes], manifest: dict[str, Any]) -> list[Problem]:
    """Each context segment links from its anchor to its last hash, record by record."""
    problems: list[Problem] = []
    try:
        found = context_segments(parts.get(CONTEXT, b""))
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        return [Problem("context", {"chain": CONTEXT, "detail": str(exc)[:120]})]
    declared = {c["chain"]: c for c in manifest.get("context", [])}
    for chain in sorted(set(found) | set(declared)):
        seg = declared.get(chain)
        if seg is None:
            problems.append(Problem("context", {"chain": chain, "detail": "not in manifest"}))
            continue
        recs = found.get(chain, [])
        fault = walk_chain(
            recs,
            start=(int(seg["from_seq"]), str(seg["anchor"])),
            head=(int(seg["to_seq"]), str(seg["last_hash"])),
        )
        if fault is None and not recs:
            problems.append(Problem("context", {"chain": chain, "detail": "missing"}))
        elif fault is None:
            problems.extend(event_body_problems(recs, chain))
        elif fault is not None:
            problems.append(
                Problem(
                    "context",
                    {
                        "chain": chain,
                        "inner": {"code": fault.code, "params": fault.params},
                        "seq": fault.seq,
                        "kind": fault.kind,
                        "ref": fault.ref,
                    },
                )
            )
    return problems
