"""Reference data every per-project worker holds whole, read outside the group.

Like Kafka Streams' global tables: each worker reads every partition of the topic,
whatever units the group gave it, so its rules see the same reference data however many
workers run.
- `RegistryFeed`: the enterprise registry (`witness.registry`). A tombstone retracts a
  fact; a fact that changes the registry is handed to `on_fact`, so live units re-judge
  their projects (REL-34 on a fact published after the bids).
- `CorpusFeed`: the centre's document corpus (detectors/corpus.py): every
  `document.submitted` of `witness.events`, all partitions, counted once. DOC-40-4 judges
  rarity against the whole corpus, not the share of it one worker's partitions hold;
  each document is added with its event time, so a judgement counts only the documents
  before its event (detectors/corpus_timeline.py), however far ahead this feed read.

At start a table loads its newest snapshot (if its version matches) and reads on from
the snapshot's offsets, or from the beginning, up to the topic's end before a single
record of the group is judged (and says so in the log); at every poll it reads up to the
end again, so what was written before a record is known when the record is judged. A
table not read to its end (a long backlog, no broker answering) holds the group back:
the worker judges nothing until it is (`caught_up`).
Both are snapshotted like units (streams/snapshots.py), so a restart does not re-read
years of registry or documents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kafka import TopicPartition

from detectors import Context
from detectors.state_version import state_version
from streams.bus import make_consumer, partitions_of
from streams.snapshots import SnapshotKeeper, SnapshotPolicy, decode, new_job
from witness.events import ContractError, parse_event

log = logging.getLogger(__name__)

#: Longest wait for a table's end at start (a broker that answers nothing).
CATCH_UP_TIMEOUT_S = 300.0
#: Longest a poll reads on to the end of a table (then the group's records go first).
POLL_READ_S = 30.0
#: Longest wait for one broker answer (end offsets, a position) while reading: a leader
#: that died answers nothing until the new one is elected.
BROKER_ASK_S = 5.0


class TableFeed:
    """A topic read whole into one object of `ctx`; see the module doc."""

    #: The `Context` attribute holding the table, and what the log calls it.
    attribute = ""
    label = ""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        ctx: Context,
        keeper: SnapshotKeeper,
        policy: SnapshotPolicy,
    ) -> None:
        self.ctx = ctx
        self.keeper = keeper
        self.policy = policy
        self.unit = f"{topic}:{self.label}"
        self.version = state_version([], ctx)
        self.consumer = make_consumer(bootstrap, None)
        parts = partitions_of(self.consumer, topic) or {0}
        self.tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(self.tps)
        self.since = 0
        self.folded = 0
        #: Read up to the end asked at the last read: records may be judged against it.
        self.caught_up = False
        self._snapshot_wall = time.monotonic()

    # ------------------------------------------------------------------ the table

    def table(self) -> Any:
        return getattr(self.ctx, self.attribute)

    def size(self) -> int:
        return len(self.table())

    def fold(self, rec) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ reading

    def catch_up(self) -> None:
        """Snapshot, then the topic up to its end, before the group's first record."""
        started = time.monotonic()
        snap, why = self.keeper.latest(self.unit, self.version)
        loaded = False
        if snap is not None:
            try:
                table = decode(snap.blob)
                offsets = {tp: int(snap.offsets[f"{tp.topic}:{tp.partition}"]) for tp in self.tps}
                if not isinstance(table, type(self.table())):
                    raise TypeError(type(table).__name__)
                setattr(self.ctx, self.attribute, table)
                for tp, offset in offsets.items():
                    self.consumer.seek(tp, offset)
                self.folded = snap.events
                loaded = True
                why = f"snapshot {snap.id}"
            except Exception as exc:  # noqa: BLE001 - rebuild instead
                why = f"snapshot {snap.id} unusable ({exc.__class__.__name__}: {exc})"
        if not loaded:
            self.consumer.seek_to_beginning(*self.tps)
        read = self.read_to_end(CATCH_UP_TIMEOUT_S)
        if not self.caught_up:
            log.warning(
                "%s not read to its end within %.0f s (%d records read): nothing is judged "
                "until it is",
                self.label,
                CATCH_UP_TIMEOUT_S,
                read,
            )
            return
        log.info(
            "%s read to its end before judging: %d entries, %s, %d records after it (%.2f s)",
            self.label,
            self.size(),
            why if loaded else f"from the start ({why})",
            read,
            time.monotonic() - started,
        )

    def poll(self) -> bool:
        """What arrived since the last poll, up to the end; False if the end was not
        reached (a backlog longer than POLL_READ_S, or no broker answered)."""
        self.read_to_end(POLL_READ_S)
        return self.caught_up

    def read_to_end(self, budget_s: float) -> int:
        """Read up to the topic's end as of now, for at most `budget_s`; sets `caught_up`."""
        deadline = time.monotonic() + budget_s
        self.caught_up = False
        ask_ms = max(1, int(min(budget_s, BROKER_ASK_S) * 1000))
        try:
            end = self.consumer.end_offsets(self.tps, timeout_ms=ask_ms)
        except Exception as exc:  # noqa: BLE001 - no broker answered: not caught up
            log.warning("%s: end offsets unknown (%s); read again next poll", self.label, exc)
            return 0
        read = 0
        while True:
            if self._at(end, ask_ms):
                self.caught_up = True
                break
            if time.monotonic() >= deadline:
                break
            for records in self.consumer.poll(timeout_ms=100).values():
                for rec in records:
                    self.since += 1
                    self.folded += 1
                    read += 1
                    self.fold(rec)
        return read

    def _at(self, end: dict[TopicPartition, int], timeout_ms: int) -> bool:
        """Every partition's position is at `end`; False if a position is not known within
        `timeout_ms` (a leader gone while the position is reset or validated)."""
        for tp in self.tps:
            position = self.consumer.position(tp, timeout_ms=timeout_ms)
            if position is None or position < end[tp]:
                return False
        return True

    # ------------------------------------------------------------------ snapshots

    def snapshot_due(self, *, force: bool = False) -> None:
        if not self.keeper.enabled or self.since == 0:
            return
        if not force and not self.policy.due(self.since, time.monotonic() - self._snapshot_wall):
            return
        offsets = {f"{tp.topic}:{tp.partition}": self.consumer.position(tp) for tp in self.tps}
        self.keeper.save(new_job(self.unit, self.version, offsets, self.table(), self.folded))
        self.since = 0
        self._snapshot_wall = time.monotonic()

    def close(self) -> None:
        self.consumer.close()


class RegistryFeed(TableFeed):
    attribute = "registry"
    label = "registry"

    def __init__(
        self,
        bootstrap: str,
        topics,
        ctx: Context,
        keeper: SnapshotKeeper,
        policy: SnapshotPolicy,
        *,
        on_bad: Callable[[object, str], None] | None = None,
        on_fact: Callable[[object, object], None] | None = None,
    ) -> None:
        super().__init__(bootstrap, topics.registry, ctx, keeper, policy)
        self.on_bad = on_bad
        self.on_fact = on_fact

    def fold(self, rec) -> None:
        if rec.value is None:  # a tombstone: the fact is retracted
            if rec.key is not None:
                self.ctx.registry.retract(rec.key.decode("utf-8", "replace"))
            return
        try:
            event = parse_event(rec.value)
        except ContractError as exc:
            if self.on_bad is not None:
                self.on_bad(rec, exc.describe())
            return
        if event.type != "registry.relation":
            return
        if self.ctx.registry.add(event.payload) and self.on_fact is not None:
            self.on_fact(rec, event)


#: How a document event starts its type field in canonical JSON (witness/events.py):
#: other records are skipped without parsing.
_DOCUMENT_MARK = b'"type":"document.submitted"'


class CorpusFeed(TableFeed):
    attribute = "corpus"
    label = "corpus"

    def __init__(self, bootstrap: str, topics, ctx: Context, keeper, policy) -> None:
        super().__init__(bootstrap, topics.events, ctx, keeper, policy)
        from detectors.neardup import Params, corpus_shape

        self.shape = corpus_shape(ctx.thresholds.typed(Params))

    def size(self) -> int:
        return self.ctx.corpus.total_documents

    def fold(self, rec) -> None:
        if not rec.value or _DOCUMENT_MARK not in rec.value:
            return
        try:
            event = parse_event(rec.value)
        except ContractError:
            return  # the unit that owns the partition dead-letters it
        if event.type == "document.submitted":
            self.ctx.documents.observe(event)
            self.ctx.corpus.add(event.payload.text, self.shape, ts=event.ts, key=event.event_id)
