"""A bundle's index parts must say exactly what its chain says, row for row.

`events.jsonl`, `alerts.jsonl`, `decisions.jsonl` and `generated.jsonl` are what `import`
writes back into a store and what an offline replay compares with. Only the chain is hashed
link by link, and only the chain is held against the live store by `verify --live`. So
each row is checked whole against the chain record(s) it stands for, and each record must
have its row. Otherwise a bundle whose manifest was rebuilt over an edited row, with the
chain left alone, would verify, match the live store, and import the edit.

The only free fields are the clock's own: an alert's and a document's `updated_at` and
`created_at`, which no chain record holds. They must still read as times, because import
parses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from hashlib import sha256
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from witness.archive.format import (
    ALERTS,
    DECISIONS,
    EVENTS,
    FRAMES,
    PROJECT,
    Problem,
    Record,
    part_lines,
)
from witness.events import PAYLOADS
from witness.i18n import register
from witness.payloads import MAX_ID_CHARS
from witness.store.generated import DOCUMENT

GENERATED = "generated.jsonl"
#: Findings kept per part; a wholesale forgery would otherwise print one line per row.
MAX_PER_PART = 10

register(
    {
        "archive.p.part_line": (
            "{part} 第 {line} 行无法读取：{reason}",
            "{part} line {line} cannot be read: {reason}",
        ),
        "archive.p.row_missing": (
            "链上第 {seq} 条记录（{kind} {ref}）在 {part} 中没有对应行",
            "record {seq} ({kind} {ref}) has no row in {part}",
        ),
        "archive.p.row_extra": (
            "{part} 第 {line} 行（{ref}）在链上没有对应记录",
            "{part} line {line} ({ref}) stands for no record of the chain",
        ),
        "archive.p.row_twice": (
            "{part} 第 {line} 行（{ref}）与前面的行重复",
            "{part} line {line} ({ref}) repeats an earlier row",
        ),
        "archive.p.event_body": (
            "{chain} 第 {seq} 条记录（event {ref}）不是可恢复的事件：{reason}",
            "record {seq} of {chain} (event {ref}) is not an event the store can hold: {reason}",
        ),
        "archive.p.more": (
            "{part} 另有 {n} 处与链不符（未逐条列出）",
            "{part}: {n} more rows disagree with the chain (not listed)",
        ),
    }
)

Row = dict[str, Any]


def read_rows(parts: dict[str, bytes], name: str) -> tuple[list[tuple[int, Row]], list[Problem]]:
    """(line number, object) for each line of a part; a line that is no JSON object is a
    problem naming the part and the line."""
    rows: list[tuple[int, Row]] = []
    problems: list[Problem] = []
    for n, line in enumerate(part_lines(parts.get(name, b"")), start=1):
        try:
            value = json.loads(line)
        except ValueError as exc:
            problems.append(Problem("part_line", {"part": name, "line": n, "reason": str(exc)}))
            continue
        if not isinstance(value, dict):
            reason = f"a JSON object expected, not {type(value).__name__}"
            problems.append(Problem("part_line", {"part": name, "line": n, "reason": reason}))
            continue
        rows.append((n, value))
    return rows, problems


def _instant(v: Any) -> datetime | None:
    """An ISO time as an aware instant; None for anything that is not one."""
    if not isinstance(v, str):
        return None
    try:
        ts = datetime.fromisoformat(v)
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def _body(r: Record) -> Row:
    """A record's body as a dict ({} if it is not one: the chain walk reports that)."""
    try:
        body = json.loads(r.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Expected:
    """What one row must hold: exact values, instants (any offset), and free time fields."""

    def __init__(self, record: Record, exact: Row, instants: Row, free: Iterable[str] = ()):
        self.record = record
        self.exact = exact
        self.instants = instants  # field -> the aware datetime it must equal
        self.free = set(free)
        self.allowed: dict[str, tuple[Any, ...]] = {}  # field -> the values it may take

    def first_difference(self, row: Row) -> str | None:
        """The first field (sorted) whose value is not what the chain says, if any."""
        fields = set(self.exact) | set(self.instants) | self.free | set(self.allowed)
        for key in sorted(fields | set(row)):
            if key not in row or key not in fields:
                return key
            value = row[key]
            if key in self.exact:
                if not same_json(value, self.exact[key]):
                    return key
            elif key in self.instants:
                if _instant(value) != self.instants[key]:
                    return key
            elif key in self.allowed:
                if not any(same_json(value, ok) for ok in self.allowed[key]):
                    return key
            elif value is not None and _instant(value) is None:
                return key
        return None


def same_json(a: Any, b: Any) -> bool:
    """JSON equality, where 1 and True (and 1.0 and 1) are not the same value."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _compare(
    part: str,
    parts: dict[str, bytes],
    expected: dict[str, Expected],
    *,
    key: str,
    code: str,
    ref: Callable[[Any], str] = str,
) -> list[Problem]:
    """Each row against the record its key names; each record must have exactly one row."""
    rows, problems = read_rows(parts, part)
    seen: set[str] = set()
    for line, row in rows:
        k = row.get(key)
        name = ref(k) if isinstance(k, str | int) and not isinstance(k, bool) else None
        exp = expected.get(name) if name is not None else None
        shown = name if name is not None else json.dumps(k, ensure_ascii=False)[:40]
        if exp is None:
            problems.append(Problem("row_extra", {"part": part, "line": line, "ref": shown}))
        elif name in seen:
            problems.append(Problem("row_twice", {"part": part, "line": line, "ref": shown}))
        else:
            seen.add(name)
            field = exp.first_difference(row)
            if field is not None:
                r = exp.record
                params = {"part": part, "line": line, "seq": r.seq, "detail": field}
                problems.append(Problem(code, {**params, "ref": name}))
    for name, exp in expected.items():
        if name not in seen:
            r = exp.record
            problems.append(
                Problem("row_missing", {"part": part, "seq": r.seq, "kind": r.kind, "ref": r.ref})
            )
    if len(problems) > MAX_PER_PART:
        more = len(problems) - MAX_PER_PART
        problems = [*problems[:MAX_PER_PART], Problem("more", {"part": part, "n": more})]
    return problems


def event_row(r: Record, chain: str) -> Row:
    """The store's index row of an event record (ts an aware time, None if it has none)."""
    body = _body(r)
    payload = body.get("payload")
    return {
        "event_id": r.ref,
        "type": body.get("type"),
        "project_id": body.get("project_id"),
        "room_id": payload.get("room_id") if isinstance(payload, dict) else None,
        "ts": _instant(body.get("ts")),
        "chain": chain,
        "seq": r.seq,
    }


def event_body_problems(records: Sequence[Record], chain: str) -> list[Problem]:
    """The first event record of `chain` whose body the store could not index: a chain
    rebuilt with fresh hashes over a non-event links up, but import could not hold it."""
    for r in records:
        if r.kind != "event":
            continue
        body, reason = _body(r), None
        if body.get("event_id") != r.ref:
            reason = "event_id is not the record's ref"
        elif body.get("type") not in PAYLOADS:
            reason = f"unknown type {str(body.get('type'))[:40]!r}"
        elif not isinstance(body.get("project_id"), str) or not body["project_id"]:
            reason = "no project_id"
        elif _instant(body.get("ts")) is None:
            reason = "ts is not a time with a zone"
        if reason is not None:
            params = {"chain": chain, "seq": r.seq, "ref": r.ref[:60], "reason": reason}
            return [Problem("event_body", params)]
    return []


def _events(records: Sequence[Record], chain: str) -> dict[str, Expected]:
    out: dict[str, Expected] = {}
    for r in records:
        if r.kind != "event":
            continue
        row = event_row(r, chain)
        out[r.ref] = Expected(r, row, {"ts": row.pop("ts")})
    return out


def _alerts(records: Sequence[Record], *, opened: bool) -> dict[str, Expected]:
    """An alert's row: its last version, seen from the first version's first_seen to the
    latest last_seen, in the status its last decision left it.

    The opening unseals an alert in its row, not in its chain (DESIGN §5): with `opened`
    (a bundle: only a project that opened, naming only projects that opened, leaves the
    store) no row may be sealed; otherwise a row may be as sealed as its last version.
    """
    versions: dict[str, list[tuple[Record, Row]]] = {}
    status: dict[str, str] = {}
    for r in records:
        if r.kind == "alert":
            versions.setdefault(r.ref, []).append((r, _body(r)))
        elif r.kind == "decision":
            body = _body(r)
            status[str(body.get("alert_id"))] = body.get("status_after")
    out: dict[str, Expected] = {}
    for aid, seen in versions.items():
        last_record, last = seen[-1]
        exact = {k: v for k, v in last.items() if k not in ("first_seen", "last_seen", "sealed")}
        exact["projects"] = last.get("projects", [])
        exact["alert_id"] = aid
        exact["status"] = status.get(aid, "open")
        exact["version"] = len(seen)
        exact["content_hash"] = sha256(last_record.body.encode("utf-8")).hexdigest()
        firsts = [t for t in (_instant(b.get("first_seen")) for _, b in seen) if t]
        lasts = [t for t in (_instant(b.get("last_seen")) for _, b in seen) if t]
        instants = {
            "first_seen": min(firsts) if firsts else None,
            "last_seen": max(lasts) if lasts else None,
        }
        exp = Expected(last_record, exact, instants, free=["updated_at"])
        exp.allowed["sealed"] = (False,) if opened else (last.get("sealed", False), False)
        out[aid] = exp
    return out


def _decisions(records: Sequence[Record]) -> dict[str, Expected]:
    out: dict[str, Expected] = {}
    for r in records:
        if r.kind != "decision":
            continue
        body = _body(r)
        exact = {k: v for k, v in body.items() if k != "at"}
        out[r.ref] = Expected(r, exact, {"at": _instant(body.get("at"))})
    return out


def _documents(records: Sequence[Record], project_id: str) -> dict[str, Expected]:
    out: dict[str, Expected] = {}
    for r in records:
        if r.kind != DOCUMENT:
            continue
        body = _body(r)
        exact = {**body, "project_id": project_id, "chain_seq": r.seq}
        out[str(body.get("sha256"))] = Expected(r, exact, {}, free=["created_at"])
    return out


def check_index_parts(
    parts: dict[str, bytes], records: Sequence[Record], project_id: str, *, opened: bool
) -> list[Problem]:
    """Every index row against the chain of `project_id` (whose walk found no fault);
    `opened`: the project and all its alerts name have opened (true of every bundle)."""
    return [
        *event_body_problems(records, project_id),
        *_compare(
            EVENTS, parts, _events(records, project_id), key="event_id", code="event_mismatch"
        ),
        *_compare(
            ALERTS, parts, _alerts(records, opened=opened), key="alert_id", code="alert_mismatch"
        ),
        *_compare(
            DECISIONS,
            parts,
            _decisions(records),
            key="decision_id",
            code="decision_mismatch",
            ref=lambda k: f"decision:{k}",
        ),
        *_compare(
            GENERATED,
            parts,
            _documents(records, project_id),
            key="sha256",
            code="document_mismatch",
        ),
    ]


# ------------------------------------------------------------------ restorable shapes
# project.json and frames.jsonl restore the project's registration row and its rooms'
# latest frames; no chain record is their row, so they are held to the store's columns.

_STRICT = ConfigDict(extra="forbid", strict=True)


class _ProjectRow(BaseModel):
    model_config = _STRICT
    project_id: str = Field(max_length=MAX_ID_CHARS)
    name: str | None
    category: str | None
    stage: str = Field(max_length=32)
    opened: bool
    bid_deadline: AwareDatetime | None
    opening_at: AwareDatetime | None
    updated_at: AwareDatetime | None


class _RoomRow(BaseModel):
    model_config = _STRICT
    room_id: str = Field(max_length=MAX_ID_CHARS)
    project_id: str | None = Field(max_length=MAX_ID_CHARS)
    kind: str | None = Field(max_length=32)
    cameras: list[str]
    session_state: str | None = Field(max_length=32)


class _ProjectPart(BaseModel):
    model_config = _STRICT
    project: _ProjectRow | None
    rooms: list[_RoomRow]


class _FrameRow(BaseModel):
    model_config = _STRICT
    room_id: str = Field(max_length=MAX_ID_CHARS)
    camera_id: str = Field(max_length=MAX_ID_CHARS)
    ts: AwareDatetime
    metrics: dict[str, Any]
    status: str = Field(max_length=16)
    thumbnail_ts: AwareDatetime | None
    thumbnail: str | None = None
    thumbnail_b64: str | None = None


def _shape_fault(model: type[BaseModel], line: str) -> str | None:
    try:
        model.model_validate_json(line)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "line"
        return f"{where}: {err['msg']}"
    return None


def restorable_shapes(parts: dict[str, bytes], project_id: str) -> list[Problem]:
    """project.json and each frames.jsonl line must be rows the store can take back, and
    the project row that of an opened project (nothing else is exported)."""
    problems: list[Problem] = []
    if PROJECT in parts:
        text = parts[PROJECT].decode("utf-8", errors="replace")
        fault = _shape_fault(_ProjectPart, text)
        if fault is None:
            row = json.loads(text)["project"]
            if row is None:
                fault = "project: null, but only a registered project leaves the store"
            elif row["project_id"] != project_id:
                fault = f"project.project_id: {row['project_id']!r}, not {project_id!r}"
            elif not row["opened"]:  # imported as sealed, the wall would hide its bids
                fault = "project.opened: false, but only an opened project leaves the store"
        if fault is not None:
            problems.append(Problem("part_line", {"part": PROJECT, "line": 1, "reason": fault}))
    for n, line in enumerate(part_lines(parts.get(FRAMES, b"")), start=1):
        fault = _shape_fault(_FrameRow, line)
        if fault is not None:
            problems.append(Problem("part_line", {"part": FRAMES, "line": n, "reason": fault}))
            break
    return problems
