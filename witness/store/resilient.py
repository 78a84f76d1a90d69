"""Writing a batch so that one bad row costs only itself, and an outage costs nothing.

`Store.write` records a batch in one transaction. When the database refuses the batch,
this module tells two cases apart:
- the database is unreachable or not answering (connection refused or lost, disk full,
  locked, too many connections, a deadlock): `StoreUnavailable` - nothing is wrong with
  the rows, the caller must keep them and try again later;
- the database refused something in the batch (a value it cannot hold, a constraint):
  the batch is split in halves, each written again, down to the single rows refused;
  the caller dead-letters those, with the reason, and everything else is stored.
Re-writing part of a batch is harmless: events are de-duplicated by id, alerts by content
and dead letters by origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import exc as sa_exc

from witness.errors import WitnessError
from witness.store.store import Store, WriteResult

#: PostgreSQL SQLSTATE classes that mean "not now", not "not this row": connection
#: (08), insufficient resources (53), operator intervention / shutdown (57), transaction
#: rollback such as a deadlock (40), system / I/O error (58); 55P03 = lock not available.
_TRANSIENT_CLASSES = ("08", "53", "57", "40", "58")


class StoreUnavailable(WitnessError, RuntimeError):
    """The database cannot take writes just now; keep the batch and retry."""


@dataclass
class Item:
    """One row of a batch: an event, an alert or a dead letter, with where it came from."""

    kind: Literal["event", "alert", "dead"]
    value: Any
    origin: Any = None


def is_transient(exc: BaseException) -> bool:
    """True for an outage (retry later), False for a refusal of the data itself."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None)
    if code:
        return code[:2] in _TRANSIENT_CLASSES or code == "55P03"
    return isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError,
    )


def reason(exc: BaseException) -> str:
    """The database's own words, first line, for a dead letter or a log line."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else exc.__class__.__name__
    return f"{exc.__class__.__name__}: {first}"[:1000]


def write_isolating(store: Store, items: list[Item]) -> tuple[WriteResult, list[tuple[Item, str]]]:
    """Write `items`; return what was written and the rows refused, each with its reason.
    Raise StoreUnavailable on an outage (some halves may be written already)."""
    total = WriteResult()
    refused: list[tuple[Item, str]] = []

    def attempt(chunk: list[Item]) -> None:
        try:
            result = store.write(
                [i.value for i in chunk if i.kind == "event"],
                [i.value for i in chunk if i.kind == "alert"],
                [i.value for i in chunk if i.kind == "dead"],
            )
        except Exception as exc:  # noqa: BLE001 - sorted into outage or refusal below
            if is_transient(exc):
                raise StoreUnavailable(reason(exc)) from exc
            if len(chunk) == 1:
                refused.append((chunk[0], reason(exc)))
                return
            mid = len(chunk) // 2
            attempt(chunk[:mid])
            attempt(chunk[mid:])
            return
        total.new_events += result.new_events
        total.duplicate_events += result.duplicate_events
        total.changed_alerts += result.changed_alerts
        total.dead_letters += result.dead_letters

    if items:
        attempt(list(items))
    return total, refused
