"""Appending to hash chains under any number of writers (recorder, wall sessions, tools).

A chain's head (last seq and hash) is read inside the transaction that appends to it,
after that transaction holds the chain's lock, and never remembered between
transactions: a head cached in one process is wrong as soon as another process appends,
and a link built on it either collides on (chain, seq) or, worse, forks the chain.

Locks: on SQLite `BEGIN IMMEDIATE` takes the database's single write lock before the
first read, so a writer's reads and writes form one serial step (readers are not blocked
in WAL mode). On PostgreSQL each chain has a row in `chain_locks`, locked with
`SELECT ... FOR UPDATE` in chain order (a fixed order, so two writers never deadlock on
each other's chains). If anything still collides (a writer that bypasses the lock, a
deadlock the server broke, a lock timeout), the whole transaction is retried from the
start with a fresh read.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from witness.store.ledger import GENESIS, link_hash
from witness.store.models import ChainLock, LedgerEntry, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a write transaction is retried after a conflict before the error surfaces.
WRITE_ATTEMPTS = 8
_CHUNK = 500

#: PostgreSQL SQLSTATEs that mean "another writer got there first; try again".
_RETRY_SQLSTATES = {"40001", "40P01", "55P03", "23505"}


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # (chain, seq) or a primary key taken by a concurrent writer
    if isinstance(exc, OperationalError | DBAPIError):
        code = getattr(getattr(exc, "orig", None), "pgcode", None)
        if code in _RETRY_SQLSTATES:
            return True
        text = str(getattr(exc, "orig", exc)).lower()
        return "database is locked" in text or "deadlock" in text
    return False


def begin_write(s: Session) -> None:
    """Start the session's transaction as a writer (SQLite: take the write lock now)."""
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def in_write_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one write transaction and commit; retry it on conflicts.

    `work` must do everything from its reads on (it runs again from scratch on a retry),
    and must not commit itself.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with Session(engine, expire_on_commit=False) as s:
                begin_write(s)
                result = work(s)
                s.commit()
                return result
        except Exception as exc:
            if attempt == WRITE_ATTEMPTS or not _retryable(exc):
                raise
            log.info("write conflict (attempt %d): %s; retrying", attempt, exc.__class__.__name__)
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")


def lock_chains(s: Session, chains: Iterable[str]) -> None:
    """Hold every chain's lock until the transaction ends (no-op on SQLite: see above)."""
    names = sorted(set(chains))
    if not names or s.connection().dialect.name != "postgresql":
        return
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    for i in range(0, len(names), _CHUNK):
        chunk = names[i : i + _CHUNK]
        s.execute(
            pg_insert(ChainLock).values([{"chain": c} for c in chunk]).on_conflict_do_nothing()
        )
        s.execute(
            select(ChainLock.chain)
            .where(ChainLock.chain.in_(chunk))
            .order_by(ChainLock.chain)
            .with_for_update()
        ).all()


_HEAD_SQLITE = "SELECT seq, hash FROM ledger WHERE chain = ? ORDER BY seq DESC LIMIT 1"
_HEADS_PG = text(
    "SELECT c.chain, l.seq, l.hash FROM unnest(CAST(:chains AS text[])) AS c(chain) "
    "CROSS JOIN LATERAL (SELECT seq, hash FROM ledger WHERE ledger.chain = c.chain "
    "ORDER BY seq DESC LIMIT 1) AS l"
)


def read_heads(s: Session, chains: Iterable[str]) -> dict[str, tuple[int, str]]:
    """The current head (last seq, hash) of each chain; (0, GENESIS) for a new one.

    One index seek per chain on the (chain, seq) unique index, whatever the chain's
    length: a loop of tiny in-process queries on SQLite, one LATERAL join on PostgreSQL.
    """
    names = sorted(set(chains))
    heads = {c: (0, GENESIS) for c in names}
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        cur = conn.connection.dbapi_connection.cursor()
        try:
            for c in names:
                row = cur.execute(_HEAD_SQLITE, (c,)).fetchone()
                if row is not None:
                    heads[c] = (row[0], row[1])
        finally:
            cur.close()
        return heads
    for i in range(0, len(names), _CHUNK):
        for chain, seq, h in s.execute(_HEADS_PG, {"chains": names[i : i + _CHUNK]}).all():
            heads[chain] = (seq, h)
    return heads


class ChainWriter:
    """Links appended in one transaction: lock, read heads once, build, insert at the end."""

    def __init__(self, s: Session, chains: Iterable[str]) -> None:
        names = set(chains)
        lock_chains(s, names)
        self._s = s
        self._heads = read_heads(s, names)
        self.rows: list[dict] = []

    def append(self, chain: str, kind: str, ref: str, body: str) -> int:
        """Add one link to `chain` (which must be among the locked chains); its seq."""
        if chain not in self._heads:
            raise KeyError(f"chain {chain!r} was not locked by this transaction")
        seq, prev = self._heads[chain]
        seq += 1
        h = link_hash(prev, kind, ref, body)
        self.rows.append(
            {
                "chain": chain,
                "seq": seq,
                "kind": kind,
                "ref": ref,
                "body": body,
                "prev_hash": prev,
                "hash": h,
                "recorded_at": utcnow(),
            }
        )
        self._heads[chain] = (seq, h)
        return seq

    def flush(self) -> None:
        """Insert the links built so far (a (chain, seq) clash raises: the caller retries)."""
        from sqlalchemy import insert

        if self.rows:
            self._s.execute(insert(LedgerEntry), self.rows)
            self.rows = []
