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

from sqlalchemy import select
from sqlalchemy.engine import Engine

from witness.archive.context import verify_context
from witness.archive.export import collect
from witness.archive.format import (
    ALERTS,
    DECISIONS,
    EVENTS,
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
from witness.store.models import LedgerEntry


def verify_parts(parts: dict[str, bytes], pre: Sequence[Problem] = ()) -> Report:
    """Check a bundle's parts: manifest hashes, the chain, head, and cross-references."""
    report = Report(problems=list(pre))
    try:
        manifest = json.loads(parts[MANIFEST])
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
        if int(manifest.get("schema_version", 0)) > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {manifest['schema_version']} is newer than this tool ({SCHEMA_VERSION})"
            )
        listed = manifest["parts"]
        chain = manifest["chain"]
    except KeyError as exc:
        report.problems.append(Problem("manifest", {"reason": f"missing {exc}"}))
        return report
    except ValueError as exc:
        report.problems.append(Problem("manifest", {"reason": str(exc)}))
        return report
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
    index: dict[int, tuple[str, str]] = {}
    for line in part_lines(parts.get(INDEX, b"")):
        try:
            d = json.loads(line)
            index[int(d["seq"])] = (str(d["kind"]), str(d["ref"]))
        except (ValueError, KeyError, TypeError):
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
        for r in records:
            if index.get(r.seq, (r.kind, r.ref)) != (r.kind, r.ref) or r.seq not in index:
                report.problems.append(
                    Problem("index_mismatch", {"seq": r.seq, "kind": r.kind, "ref": r.ref})
                )
                break
        report.problems.extend(_cross_check(parts, records, manifest))
        report.problems.extend(verify_documents(parts, records))
    return report


def _cross_check(
    parts: dict[str, bytes], records: Sequence[Record], manifest: dict[str, Any]
) -> list[Problem]:
    """The index rows, current alerts and decisions must agree with the chain."""
    problems: list[Problem] = []
    by_seq = {r.seq: r for r in records}
    for line in part_lines(parts.get(EVENTS, b"")):
        e = json.loads(line)
        r = by_seq.get(int(e["seq"]))
        if r is None or r.kind != "event" or r.ref != e["event_id"]:
            problems.append(Problem("event_mismatch", {"ref": e["event_id"], "seq": e["seq"]}))
            break
    last_alert: dict[str, Record] = {}
    status: dict[str, str] = {}
    decision_bodies: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.kind == "alert":
            last_alert[r.ref] = r
        elif r.kind == "decision":
            body = json.loads(r.body)
            status[body["alert_id"]] = body["status_after"]
            decision_bodies[r.ref] = body
    for line in part_lines(parts.get(ALERTS, b"")):
        a = json.loads(line)
        aid = a["alert_id"]
        r = last_alert.get(aid)
        if r is None:
            problems.append(Problem("alert_mismatch", {"ref": aid, "detail": "not in chain"}))
            continue
        if sha256(r.body.encode("utf-8")).hexdigest() != a.get("content_hash"):
            problems.append(Problem("alert_mismatch", {"ref": aid, "detail": "content_hash"}))
            continue
        body = json.loads(r.body)
        for key in ("rule", "severity", "title", "subjects", "evidence", "event_ids"):
            if body.get(key) != a.get(key):
                problems.append(Problem("alert_mismatch", {"ref": aid, "detail": key}))
                break
        else:
            if a.get("status") != status.get(aid, "open"):
                problems.append(Problem("alert_mismatch", {"ref": aid, "detail": "status"}))
    for line in part_lines(parts.get(DECISIONS, b"")):
        d = json.loads(line)
        ref = f"decision:{d['decision_id']}"
        body = decision_bodies.get(ref)
        if body is None or any(
            body.get(k) != d.get(k)
            for k in ("alert_id", "action", "actor", "reason", "status_after")
        ):
            problems.append(Problem("decision_mismatch", {"ref": ref}))
    counts = manifest.get("counts", {})
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
        fake_manifest = {"counts": {}}
        report.problems.extend(_cross_check(parts, records, fake_manifest))
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
