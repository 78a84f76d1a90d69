"""Generated documents (witness records, referral letters) and their links in the chain.

A document is stored whole (table `generated_documents`) and its SHA-256 is appended to
the project's chain as a `document` link, in one transaction. A document covers the
chain up to its last link that is not itself a document, so making the same document
twice from an unchanged chain gives the same bytes, the same hash, and no second link.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from witness.events import canonical_json
from witness.store.chains import ChainWriter, in_write_transaction
from witness.store.ledger import GENESIS, Link
from witness.store.models import GeneratedDocument, LedgerEntry, to_utc

DOCUMENT = "document"  # the ledger kind
DOCS = ("record", "referral")
FORMATS = ("pdf", "html")


@dataclass(frozen=True)
class Covers:
    """The chain state a document is made from."""

    seq: int
    hash: str
    at: datetime | None


def covers(store, chain: str) -> Covers:
    """The last link of `chain` that is not a generated document (genesis if none)."""
    q = (
        select(LedgerEntry.seq, LedgerEntry.hash, LedgerEntry.recorded_at)
        .where(LedgerEntry.chain == chain, LedgerEntry.kind != DOCUMENT)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    )
    with store.session() as s:
        row = s.execute(q).first()
    if row is None:
        return Covers(0, GENESIS, None)
    return Covers(row[0], row[1], to_utc(row[2]))


def save(
    store,
    project_id: str,
    content: bytes,
    *,
    doc: str,
    fmt: str,
    locale: str,
    filename: str,
    cov: Covers,
    made_by: str,
    alert_id: str | None = None,
) -> tuple[GeneratedDocument, bool]:
    """Store `content` and append its hash to the project's chain; (row, newly made).

    The same bytes again return the stored row and append nothing.
    """
    if doc not in DOCS or fmt not in FORMATS:
        raise ValueError(f"unknown document {doc!r} or format {fmt!r}")
    digest = sha256(content).hexdigest()
    known = get(store, digest)
    if known is not None:
        return known, False
    meta = {
        "sha256": digest,
        "doc": doc,
        "format": fmt,
        "locale": locale,
        "filename": filename,
        "size": len(content),
        "alert_id": alert_id,
        "covers_seq": cov.seq,
        "covers_hash": cov.hash,
        "made_by": made_by,
    }
    body = canonical_json(meta)  # the link: what the document is, and its hash
    row = GeneratedDocument(project_id=project_id, content=content, chain_seq=0, **meta)

    def add_row(s, seq: int) -> None:
        row.chain_seq = seq
        s.add(row)

    try:
        append_link(store, project_id, DOCUMENT, f"{doc}:{digest}", body, add_row)
    except IntegrityError:
        known = get(store, digest)  # made at the same moment by another process
        if known is None:
            raise
        return known, False
    return get(store, digest), True  # type: ignore[return-value]


def append_link(
    store, chain: str, kind: str, ref: str, body: str, also: Callable[[Any, int], None]
) -> int:
    """Append one link to `chain` and, in the same transaction, what `also(session, seq)`
    adds. The chain is locked and its head read inside the transaction, and the whole
    write retried on a conflict (witness/store/chains.py), so any number of writers may
    append at once without forking the chain."""

    def work(s) -> int:
        links = ChainWriter(s, [chain])
        seq = links.append(chain, kind, ref, body)
        links.flush()
        also(s, seq)
        return seq

    return in_write_transaction(store.engine, work)


def get(store, digest: str) -> GeneratedDocument | None:
    with store.session() as s:
        row = s.get(GeneratedDocument, digest)
        if row is not None:
            s.expunge(row)
        return row


def listing(store, project_id: str, doc: str | None = None) -> list[GeneratedDocument]:
    """The project's documents, newest first, without their content (cheap for the wall)."""
    q = (
        select(GeneratedDocument)
        .options(defer(GeneratedDocument.content))
        .where(GeneratedDocument.project_id == project_id)
        .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.sha256)
    )
    if doc:
        q = q.where(GeneratedDocument.doc == doc)
    with store.session() as s:
        rows = list(s.execute(q).scalars().all())
        for r in rows:
            s.expunge(r)
        return rows


def document_links(links: Iterable[Link]) -> dict[str, tuple[Link, dict]]:
    """sha256 -> (link, parsed body) for every `document` link of a chain."""
    out: dict[str, tuple[Link, dict]] = {}
    for link in links:
        if link.kind != DOCUMENT:
            continue
        try:
            body = json.loads(link.body)
            out[str(body["sha256"])] = (link, body)
        except (ValueError, KeyError, TypeError):
            continue  # an altered body: the chain walk reports it
    return out
