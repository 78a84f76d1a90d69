"""The enterprise registry as every worker holds it: read whole, outside the group.

Like a Kafka Streams global table. At start the worker loads the registry's newest
snapshot (if its version matches) and reads the topic from the snapshot's offsets, or
from the beginning, up to its end before it judges a single bid (and says so in the
log); afterwards each poll reads what arrived. A tombstone retracts a fact.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kafka import TopicPartition

from detectors import Context
from detectors.registry import Registry
from detectors.state_version import state_version
from streams.bus import make_consumer
from streams.snapshots import SnapshotKeeper, SnapshotPolicy, decode, new_job
from streams.topics import Topics
from witness.events import ContractError, parse_event

log = logging.getLogger(__name__)

#: Longest wait for the registry's end at start (a broker that answers nothing).
CATCH_UP_TIMEOUT_S = 300.0


class RegistryFeed:
    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        ctx: Context,
        keeper: SnapshotKeeper,
        policy: SnapshotPolicy,
        *,
        on_bad: Callable[[object, str], None] | None = None,
        on_fact: Callable[[object, object], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.keeper = keeper
        self.policy = policy
        self.on_bad = on_bad
        self.on_fact = on_fact
        self.unit = topics.registry
        self.version = state_version([], ctx)
        self.consumer = make_consumer(bootstrap, None)
        parts = self.consumer.partitions_for_topic(topics.registry) or {0}
        self.tps = [TopicPartition(topics.registry, p) for p in sorted(parts)]
        self.consumer.assign(self.tps)
        self.position: dict[TopicPartition, int] = {}
        self.since = 0
        self.folded = 0
        self._snapshot_wall = time.monotonic()

    def catch_up(self) -> None:
        """Snapshot, then the topic up to its end: the registry is whole before bids."""
        started = time.monotonic()
        snap, why = self.keeper.latest(self.unit, self.version)
        loaded = False
        if snap is not None:
            try:
                registry = decode(snap.blob)
                offsets = {tp: int(snap.offsets[f"{tp.topic}:{tp.partition}"]) for tp in self.tps}
                if not isinstance(registry, Registry):
                    raise TypeError(type(registry).__name__)
                self.ctx.registry = registry
                for tp, offset in offsets.items():
                    self.consumer.seek(tp, offset)
                    self.position[tp] = offset
                self.folded = snap.events
                loaded = True
                why = f"snapshot {snap.id} ({len(registry)} facts)"
            except Exception as exc:  # noqa: BLE001 - rebuild instead
                why = f"snapshot {snap.id} unusable ({exc.__class__.__name__}: {exc})"
        if not loaded:
            self.consumer.seek_to_beginning(*self.tps)
        end = self.consumer.end_offsets(self.tps)
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
        while time.monotonic() < deadline:
            if all(self.consumer.position(tp) >= end[tp] for tp in self.tps):
                break
            self._fold(self.consumer.poll(timeout_ms=200))
        log.info(
            "registry read to its end before judging bids: %d facts, %s (%.2f s)",
            len(self.ctx.registry),
            why if loaded else f"from the start ({why})",
            time.monotonic() - started,
        )

    def poll(self) -> None:
        self._fold(self.consumer.poll(timeout_ms=0))

    def _fold(self, batch) -> None:
        for tp, records in batch.items():
            for rec in records:
                self.position[tp] = rec.offset + 1
                self.since += 1
                self.folded += 1
                if rec.value is None:  # a tombstone: the fact is retracted
                    if rec.key is not None:
                        self.ctx.registry.retract(rec.key.decode("utf-8", "replace"))
                    continue
                try:
                    event = parse_event(rec.value)
                except ContractError as exc:
                    if self.on_bad is not None:
                        self.on_bad(rec, exc.describe())
                    continue
                if event.type != "registry.relation":
                    continue
                if self.ctx.registry.add(event.payload) and self.on_fact is not None:
                    self.on_fact(rec, event)

    def snapshot_due(self, *, force: bool = False) -> None:
        if not self.keeper.enabled or self.since == 0:
            return
        if not force and not self.policy.due(self.since, time.monotonic() - self._snapshot_wall):
            return
        offsets = {f"{tp.topic}:{tp.partition}": self.consumer.position(tp) for tp in self.tps}
        self.keeper.save(new_job(self.unit, self.version, offsets, self.ctx.registry, self.folded))
        self.since = 0
        self._snapshot_wall = time.monotonic()

    def close(self) -> None:
        self.consumer.close()
