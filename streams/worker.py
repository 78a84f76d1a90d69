"""The live detector worker: consume -> engine -> alerts topic, at least once.

- One consumer group ("witness-detectors") reads `witness.events`, `witness.frames` and
  `witness.sessions`; frames and sessions share key and partition count, so the range
  assignor hands a room's frames and its sessions to the same worker.
- The enterprise registry is read whole by every worker, outside the group.
- Offsets are committed only after the alerts (and derived sessions, dead letters) of a
  poll are acknowledged by the broker, so a crash re-delivers and never loses. Alert ids
  are deterministic, so re-delivery never makes a second alert.
- One poll's records are processed within a time budget (a third of
  max.poll.interval.ms; `streams/poll_budget.py`): the rest is sought back and fetched by
  the next poll, so long document work never gets the worker dropped from the group.
- On (re)assignment the worker rebuilds its per-project state by reading its partitions
  from the beginning; records before the committed offset only rebuild state (their
  alerts were already published).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import ConsumerRebalanceListener, TopicPartition

import detectors
from streams.bus import Producer, ensure_topics, make_consumer
from streams.document_texts import StoreDocumentTexts
from streams.poll_budget import BudgetedBatch, budget_seconds
from streams.topics import Topics
from witness.config import Settings
from witness.events import ContractError, parse_event

log = logging.getLogger(__name__)

DETECTOR_GROUP = "witness-detectors"


@dataclass
class WorkerStats:
    records: int = 0
    events: int = 0
    alerts: int = 0
    dead_letters: int = 0
    rebuilt: int = 0
    duplicates: int = 0


def quiet_gc() -> None:
    """Fewer, cheaper garbage collections for long-running loops.

    The engine's state is large and long-lived; with the default threshold (700) the
    collector ran so often over it that alerts stalled for up to ~1 s (bench/pipeline.py
    --trace). Collecting young objects every 50,000 allocations took p99 event->alert
    latency from 0.9-1.2 s to 120-190 ms, with nothing frozen or leaked."""
    gc.set_threshold(50_000, 50, 100)


class _Rebuild(ConsumerRebalanceListener):
    """Notes assignments; the poll loop rewinds them (kafka-python 3 runs listeners on
    its IO thread, where blocking calls such as `committed()` are not allowed)."""

    def __init__(self, worker: DetectorWorker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked) -> None:
        for tp in revoked:
            self.worker.resume_at.pop(tp, None)
            self.worker.pending_rewind.discard(tp)

    def on_partitions_assigned(self, assigned) -> None:
        self.worker.pending_rewind.update(assigned)


class DetectorWorker:
    def __init__(
        self,
        bootstrap: str,
        settings: Settings | None = None,
        topics: Topics | None = None,
        *,
        group_id: str = DETECTOR_GROUP,
        lag_sink: Callable[[list], None] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.topics = topics or Topics()
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.lag_sink = lag_sink
        # Texts a detector let go come back from the store (detectors never run SQL).
        self.documents = StoreDocumentTexts(self.settings.database_url)
        ctx = detectors.Context(
            thresholds=self.settings.thresholds,
            locale=self.settings.locale,
            documents=self.documents,
        )
        self.engine = detectors.Engine(detectors.all_detectors(), ctx, fold_sessions=False)
        self.stats = WorkerStats()
        self.resume_at: dict[TopicPartition, int] = {}
        self.pending_rewind: set[TopicPartition] = set()
        self.stop_event = threading.Event()
        ensure_topics(bootstrap, self.topics, self.settings.partitions)
        self.producer = Producer(bootstrap, self.topics)
        self.consumer = make_consumer(bootstrap, group_id)
        self.poll_budget_s = budget_seconds(self.consumer)
        self.consumer.subscribe(
            [self.topics.events, self.topics.frames, self.topics.sessions], listener=_Rebuild(self)
        )
        self.registry = make_consumer(bootstrap, None)
        parts = self.registry.partitions_for_topic(self.topics.registry) or {0}
        self.registry.assign([TopicPartition(self.topics.registry, p) for p in sorted(parts)])
        self.registry.seek_to_beginning()
        self._last_lag = 0.0

    # ------------------------------------------------------------------ loop

    def run(self, *, until: Callable[[], bool] | None = None) -> WorkerStats:
        quiet_gc()
        try:
            while not self.stop_event.is_set() and not (until and until()):
                self.poll_once()
        finally:
            self.close()
        return self.stats

    def poll_once(self, timeout_ms: int = 200) -> int:
        """One poll: registry first (reference data), then the group's records."""
        for records in self.registry.poll(timeout_ms=0).values():
            for rec in records:
                self._handle(rec, warming=False, dead_letter=True)
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        if self.pending_rewind:
            rewound = self._rewind()
            batch = {tp: recs for tp, recs in batch.items() if tp not in rewound}
        n = 0
        budgeted = BudgetedBatch(batch, self.poll_budget_s)  # see streams/poll_budget.py
        for tp, rec in budgeted:
            self._handle(rec, warming=rec.offset < self.resume_at.get(tp, 0), dead_letter=True)
            n += 1
        for tp, offset in budgeted.resume.items():
            self.consumer.seek(tp, offset)  # the next poll fetches the rest
        if budgeted.resume:
            log.info("poll budget of %.0f s spent after %d records", self.poll_budget_s, n)
        if batch:
            self.producer.flush()  # alerts, sessions and dead letters are durable first ...
            self.consumer.commit_async()  # ... then the offsets (a lost commit only re-delivers)
        self._report_lag()
        return n

    def _rewind(self) -> set[TopicPartition]:
        """Rebuild state for new partitions: read them again from the start."""
        rewound = set(self.pending_rewind)
        self.pending_rewind.clear()
        for tp in rewound:
            self.resume_at[tp] = self.consumer.committed(tp) or 0
        self.consumer.seek_to_beginning(*rewound)
        return rewound

    def _handle(self, rec, *, warming: bool, dead_letter: bool) -> None:
        self.stats.records += 1
        try:
            event = parse_event(rec.value)
        except ContractError as exc:
            if not warming and dead_letter:
                self.producer.dead_letter(
                    raw=rec.value or b"",
                    error=exc.describe(),
                    origin_topic=rec.topic,
                    partition=rec.partition,
                    offset=rec.offset,
                    key=rec.key,
                )
                self.stats.dead_letters += 1
            return
        try:
            out = self.engine.process(event)
        except Exception as exc:  # a detector bug must not stop the worker
            log.exception("detector failure on %s", event.event_id)
            if not warming:
                self.producer.dead_letter(
                    raw=rec.value,
                    error=f"detector failure: {exc.__class__.__name__}: {exc}",
                    origin_topic=rec.topic,
                    partition=rec.partition,
                    offset=rec.offset,
                    key=rec.key,
                )
                self.stats.dead_letters += 1
            return
        if out.duplicate:
            self.stats.duplicates += 1
            return
        if warming:
            self.stats.rebuilt += 1
            return
        self.stats.events += 1
        for alert in out.alerts:
            self.producer.send_alert(alert)
            self.stats.alerts += 1
        for session in out.sessions:
            self.producer.publish(session, self.topics.sessions)

    def _report_lag(self) -> None:
        if self.lag_sink is None or time.monotonic() - self._last_lag < 5:
            return
        self._last_lag = time.monotonic()
        from streams.lag import lag_rows

        try:
            self.lag_sink(lag_rows(self.consumer, self.group_id))
        except Exception:  # metrics must never stop detection
            log.exception("lag report failed")

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        try:
            self.producer.flush()
            self.consumer.commit()  # the last offsets, synchronously, on a clean stop
        except Exception:
            log.debug("final commit failed", exc_info=True)
        closers = (
            self.producer.close,
            self.consumer.close,
            self.registry.close,
            self.documents.close,
        )
        for closer in closers:
            try:
                closer()
            except Exception:
                log.debug("close failed", exc_info=True)
