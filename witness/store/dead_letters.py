"""Dead letters into the store: always storable, recorded once per origin and stage.

A dead letter is the last resort for a record nothing else could take, so the store must
never refuse one: text is cleaned of what PostgreSQL cannot hold (NUL, lone surrogates)
and the origin is cut to its column; the raw bytes stay on `witness.deadletter`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from witness.store.models import ORIGIN_CHARS, STAGE_CHARS, DeadLetter

PREVIEW_CHARS = 2000
ERROR_CHARS = 4000


@dataclass
class DeadLetterRecord:
    topic: str
    partition: int
    offset: int
    key: str | None
    error: str
    raw: bytes = field(repr=False, default=b"")
    #: Which step refused it: "" (the contract), "detector:NAME", "store", "publish:...".
    stage: str = ""


def storable(text: str) -> str:
    """`text` with NUL and lone surrogates replaced, so any database keeps it."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def insert_dead_letters(s: Session, records: Sequence[DeadLetterRecord]) -> int:
    """Add the records not yet stored (same origin and stage = same dead letter)."""
    added = 0
    for dl in records:
        topic = storable(dl.topic)[:ORIGIN_CHARS]
        stage = storable(dl.stage)[:STAGE_CHARS]
        exists = s.execute(
            select(DeadLetter.id).where(
                DeadLetter.topic == topic,
                DeadLetter.partition == dl.partition,
                DeadLetter.offset == dl.offset,
                DeadLetter.stage == stage,
            )
        ).first()
        if exists is not None:
            continue
        s.add(
            DeadLetter(
                topic=topic,
                partition=dl.partition,
                offset=dl.offset,
                stage=stage,
                key=storable(dl.key) if dl.key is not None else None,
                error=storable(dl.error[:ERROR_CHARS]),
                raw_preview=storable(dl.raw[:PREVIEW_CHARS].decode("utf-8", errors="replace")),
                raw_size=len(dl.raw),
            )
        )
        added += 1
    return added
