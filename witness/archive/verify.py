"""Verify: re-walk a bundle's chain and check every part, head and cross-reference.

Altered, removed and reordered records are located by seq, kind and ref; the current
alerts and decisions must agree with the chain. A bundle can also be held against the
live store, where a bundle rebuilt with fresh hashes shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine

from witness.archive.context import verify_context
from witness.archive.export import collect
from witness.archive.format import (
    ALERTS,
    FORMAT,
    INDEX,
    LEDGER,
    MANIFEST,
    SCHEMA_VERSION,
    ArchiveError,
    Problem,
    Record,
    Report,
    parse_records,
    part_lines,
    read_parts,
    walk_chain,
)
from witness.archive.generated_parts import verify_documents
from witness.archive.index_parts import (
    check_index_parts,
    read_rows,
    restorable_shapes,
    same_json,
)
from witness.store.models import LedgerEntry


class _Part(BaseModel):
    sha256: str


class _Head(BaseModel):
    head_seq: int
    head_hash: str


class _Segment(BaseModel):
    chain: str
    from_seq: int
    to_seq: int
    anchor: str
    last_hash: str


class ManifestShape(BaseModel):
    """The manifest fields verification reads, with their types: a manifest of another
    shape is reported naming the field, never raised as a traceback. Other fields pass."""

    model_config = ConfigDict(extra="allow", strict=True)

    format: str
    schema_version: int
    project_id: str
    chain: _Head
    parts: dict[str, _Part]
    context: list[_Segment] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    retention_until: str | None = None


def _manifest_fault(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """The manifest, and why it cannot be used (None when it can)."""
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        return {}, str(exc)
    if not isinstance(manifest, dict):
        return {}, f"a JSON object expected, not {type(manifest).__name__}"
    if manifest.get("format") != FORMAT:
        return {}, f"format is {manifest.get('format')!r}, expected {FORMAT!r}"
    try:
        ManifestShape.model_validate(manifest)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        if err["type"] == "missing":
            return {}, f"missing {where!r}"
        return {}, f"{where}: {err['msg']}"
    if manifest["schema_version"] > SCHEMA_VERSION:
        return {}, (
            f"schema_version {manifest['schema_version']} is newer than this tool ({SCHEMA_VERSION})"
        )
    return manifest, None


def verify_parts(parts: dict[str, bytes], pre: Sequence[Problem] = ()) -> Report:
    """Check a bundle's parts: manifest hashes, the chain, head, and cross-references."""
    report = Report(problems=list(pre))
    manifest, fault = _manifest_fault(parts[MANIFEST])
    if fault is not None:
        report.problems.append(Problem("manifest", {"reason": fault}))
        return report
    listed = manifest["parts"]
    chain = manifest["chain"]
    report.manifest = manifest

    # every part hash
    for name, meta in sorted(listed.items()):
        data = parts.get(name)
        if data is None:
            if not any(p.params.get("part") == name for p in report.problems):
                report.problems.append(Problem("part_missing", {"part": name}))
        elif sha256(data).hexdigest() != meta.get("sha256"):
            report.problems.append(Problem("part_hash", {"part": name}))
    for name in sorted(set(parts) - set(listed) - {MANIFEST}):
        report.problems.append(Problem("part_extra", {"part": name}))

    # the chain itself, named through the index where records are gone
    index_rows, index_unreadable = read_rows(parts, INDEX)  # read once: names and checks
    index: dict[int, tuple[str, str]] = {}
    for _, d in index_rows:
        try:
            index[int(d["seq"])] = (str(d["kind"]), str(d["ref"]))
        except (ValueError, KeyError, TypeError, OverflowError):
            continue
    records, unreadable = parse_records(parts.get(LEDGER, b""))
    report.records = len(records)
    chain_fault = walk_chain(
        records, head=(int(chain["head_seq"]), str(chain["head_hash"])), index=index
    )
    if unreadable:
        # A line that no longer parses is an altered record; name it by its position.
        line = unreadable[0].params["line"]
        seq = line
        kind, ref = index.get(seq, ("?", "?"))
        report.problems.insert(len(pre), Problem("altered", {"seq": seq, "kind": kind, "ref": ref}))
        report.problems.extend(unreadable)
    elif chain_fault is not None:
        report.problems.insert(len(pre), chain_fault)
    report.problems.extend(verify_context(parts, manifest))
    if chain_fault is None and not unreadable:
        report.problems.extend(_index_mismatch(index_rows, index_unreadable, records))
        report.problems.extend(
            _cross_check(
                parts, records, manifest["project_id"], manifest.get("counts", {}), opened=True
            )
        )
        report.problems.extend(verify_documents(parts, records))
    report.problems.extend(restorable_shapes(parts, manifest["project_id"]))
    return report


def _index_mismatch(
    rows: list[tuple[int, dict[str, Any]]], unreadable: list[Problem], records: Sequence[Record]
) -> list[Problem]:
    """With the chain intact, the index is exactly seq, kind, ref and hash of each record."""
    if unreadable:
        return unreadable[:1]
    for n, r in enumerate(records):
        want = {"seq": r.seq, "kind": r.kind, "ref": r.ref, "hash": r.hash}
        if n >= len(rows) or not same_json(rows[n][1], want):
            return [Problem("index_mismatch", {"seq": r.seq, "kind": r.kind, "ref": r.ref})]
    if len(rows) > len(records):
        line, row = rows[len(records)]
        return [
            Problem("row_extra", {"part": INDEX, "line": line, "ref": str(row.get("ref"))[:40]})
        ]
    return []


def _cross_check(
    parts: dict[str, bytes],
    records: Sequence[Record],
    project_id: str,
    counts: dict[str, int],
    *,
    opened: bool,
) -> list[Problem]:
    """The index rows, current alerts and decisions must agree with the chain."""
    problems = check_index_parts(parts, records, project_id, opened=opened)
    actual = {
        "records": len(records),
        "alerts": len(part_lines(parts.get(ALERTS, b""))),
        "decisions": sum(1 for r in records if r.kind == "decision"),
    }
    for what, n in actual.items():
        if what in counts and counts[what] != n:
            problems.append(Problem("count", {"what": what, "expected": counts[what], "actual": n}))
    return problems


def verify_bundle(path: str | Path) -> Report:
    parts, problems = read_parts(path)
    if MANIFEST not in parts:
        if not problems:
            problems.append(Problem("manifest", {"reason": "manifest.json missing"}))
        return Report(problems=problems)
    return verify_parts(parts, problems)


def verify_live(engine: Engine, project_id: str) -> Report:
    """The live store's chain for one project, with the same checks as a bundle."""
    try:
        parts = collect(engine, project_id)
    except ArchiveError as exc:
        return Report(problems=[Problem("manifest", {"reason": str(exc)})])
    # The live chain has no independent head; its head is whatever is stored last.
    records, _ = parse_records(parts[LEDGER])
    report = Report(records=len(records))
    fault = walk_chain(records)
    if fault is not None:
        report.problems.append(fault)
    else:
        report.problems.extend(_cross_check(parts, records, project_id, {}, opened=False))
        report.problems.extend(verify_documents(parts, records))
    return report


def compare_with_live(engine: Engine, parts: dict[str, bytes], project_id: str) -> list[Problem]:
    """The bundle's chain must be a prefix of the live chain, hash for hash.

    A bundle verifies on its own even if someone rebuilt it with fresh hashes; held
    against the live store (or another independent copy), such a forgery shows.
    """
    manifest = json.loads(parts[MANIFEST])
    if manifest.get("project_id") != project_id:
        return [Problem("live_project", {"bundle": manifest.get("project_id"), "live": project_id})]
    from sqlmodel import Session

    with Session(engine) as s:
        live = dict(
            s.execute(
                select(LedgerEntry.seq, LedgerEntry.hash).where(LedgerEntry.chain == project_id)
            ).all()
        )
    records, _ = parse_records(parts.get(LEDGER, b""))
    for r in records:
        params = {"seq": r.seq, "kind": r.kind, "ref": r.ref}
        if r.seq not in live:
            return [Problem("live_missing", params)]
        if live[r.seq] != r.hash:
            return [Problem("live_differs", params)]
    return []
