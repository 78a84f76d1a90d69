"""Generated documents in a bundle: witness records and referral letters, with their links.

`generated.jsonl` lists each document (no content) and `generated/<sha256>.<format>`
holds its bytes. Verification holds every `document` link of the chain against the file
it names (present, and hashing to the link's SHA-256) and every file against a link, and
`find` tells whether some file a person holds is one of the project's documents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from witness.archive.format import ArchiveError, Problem, Record, iso_utc, jsonl_bytes, part_lines
from witness.i18n import register, t
from witness.store.generated import document_links
from witness.store.models import GeneratedDocument

GENERATED = "generated.jsonl"
GENERATED_DIR = "generated/"

register(
    {
        "archive.generated_missing": (
            "{listing} 列出的 {part} 不在归档包内",
            "{part} listed in {listing} is not in the bundle",
        ),
        "archive.p.document_missing": (
            "第 {seq} 条记录（{kind} {ref}）所指的文件不在包内",
            "record {seq} ({kind} {ref}) names a document the bundle does not carry",
        ),
        "archive.p.document_altered": (
            "文件 {part} 与链上第 {seq} 条记录的 SHA-256 不符（文件被改动）",
            "{part} does not hash to the SHA-256 in record {seq} of the chain (the file was altered)",
        ),
        "archive.p.document_unlinked": (
            "文件 {part} 不在项目哈希链中（链上没有它的 SHA-256）",
            "{part} is not in the project's hash chain (no record holds its SHA-256)",
        ),
    }
)


def part_name(digest: str, fmt: str) -> str:
    return f"{GENERATED_DIR}{digest}.{fmt}"


def collect_documents(s: Any, project_id: str) -> dict[str, bytes]:
    """The project's generated documents as bundle parts."""
    rows = list(
        s.execute(
            select(GeneratedDocument)
            .where(GeneratedDocument.project_id == project_id)
            .order_by(GeneratedDocument.chain_seq)
        ).scalars()
    )
    parts = {part_name(r.sha256, r.format): bytes(r.content) for r in rows}
    parts[GENERATED] = jsonl_bytes([_row_dict(r) for r in rows])
    return parts


def _row_dict(r: GeneratedDocument) -> dict[str, Any]:
    return {
        "sha256": r.sha256,
        "project_id": r.project_id,
        "doc": r.doc,
        "format": r.format,
        "locale": r.locale,
        "alert_id": r.alert_id,
        "filename": r.filename,
        "size": r.size,
        "covers_seq": r.covers_seq,
        "covers_hash": r.covers_hash,
        "chain_seq": r.chain_seq,
        "made_by": r.made_by,
        "created_at": iso_utc(r.created_at),
    }


def verify_documents(parts: dict[str, bytes], records: Sequence[Record]) -> list[Problem]:
    """Every document link has its file, unaltered; every file has its link."""
    problems: list[Problem] = []
    linked = document_links(records)
    files = {name for name in parts if name.startswith(GENERATED_DIR)}
    for digest, (link, body) in sorted(linked.items(), key=lambda kv: kv[1][0].seq):
        name = part_name(digest, str(body.get("format", "pdf")))
        params = {"seq": link.seq, "kind": link.kind, "ref": link.ref}
        if name not in parts:
            problems.append(Problem("document_missing", params))
        elif sha256(parts[name]).hexdigest() != digest:
            problems.append(Problem("document_altered", {**params, "part": name}))
        files.discard(name)
    for name in sorted(files):
        problems.append(Problem("document_unlinked", {"part": name}))
    return problems


@dataclass(frozen=True)
class Match:
    """Where a held file sits in a chain."""

    seq: int
    doc: str
    covers_seq: int
    covers_hash: str
    made_by: str


def find(records: Sequence[Any], data: bytes) -> Match | None:
    """The `document` link whose SHA-256 is that of `data`, if any."""
    hit = document_links(records).get(sha256(data).hexdigest())
    if hit is None:
        return None
    link, body = hit
    return Match(
        link.seq,
        str(body.get("doc")),
        int(body.get("covers_seq", 0)),
        str(body.get("covers_hash", "")),
        str(body.get("made_by", "")),
    )


def restore_documents(s: Any, parts: dict[str, bytes]) -> int:
    """Insert the bundle's documents (after the bundle verified); returns how many."""
    from witness.archive.format import parse_iso

    n = 0
    for line in part_lines(parts.get(GENERATED, b"")):
        d = json.loads(line)
        name = part_name(d["sha256"], d["format"])
        if name not in parts:
            raise ArchiveError(t("archive.generated_missing", part=name, listing=GENERATED))
        if s.get(GeneratedDocument, d["sha256"]) is not None:
            continue
        s.add(
            GeneratedDocument(
                **{**d, "created_at": parse_iso(d["created_at"]), "content": parts[name]}
            )
        )
        n += 1
    return n
