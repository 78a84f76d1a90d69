"""The live detector worker: consume -> engine -> alerts topic, at least once.

- One consumer group ("witness-detectors") reads `witness.events`, `witness.frames` and
  `witness.sessions`; frames and sessions share key and partition count, so the range
  assignor hands a room's frames and its sessions to the same worker.
- The enterprise registry is read whole by every worker, outside the group.
- Offsets are committed only after the alerts (and derived sessions, dead letters) of a
  poll are acknowledged by the broker, explicitly per partition and only up to the
  records handled, so a crash re-delivers and never loses. Alert ids are deterministic,
  so re-delivery never makes a second alert.
- A send the broker refuses is sent again (with backoff, the partitions paused) until
  it is acknowledged; until then nothing is committed and the engine does not take the
  alerts as published. Only the newest version of an alert or a room's session is sent
  again (it supersedes the older ones).
- A detector that raises costs only its own alerts: its dead letter names it and the
  error, the other detectors' alerts for the event still go out.
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

from kafka import ConsumerRebalanceListener, OffsetAndMetadata, TopicPartition
from kafka.errors import MessageSizeTooLargeError

import detectors
from streams.bus import DeliveryError, Producer, Send, ensure_topics, hold, make_consumer, release
from streams.document_texts import StoreDocumentTexts
from streams.poll_budget import BudgetedBatch, budget_seconds
from streams.topics import Topics
from witness.alerts import Alert
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
    detector_failures: int = 0
    send_retries: int = 0


#: Longest pause between two attempts to get a refused send acknowledged.
MAX_BACKOFF_S = 30.0


@dataclass
class _Outgoing:
    """A send of this poll: what it supersedes (`identity`) and the record it came from."""

    identity: tuple
    send: Send
    origin: tuple[str, int, int]  # topic, partition, offset of the input record


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
            self.worker._committable.pop(tp, None)

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
        self._outbox: list[_Outgoing] = []  # this poll's sends, until acknowledged
        self._computed: list[Alert] = []  # this poll's alerts, marked once acknowledged
        self._committable: dict[TopicPartition, OffsetAndMetadata] = {}
        self.stop_event = threading.Event()
        self._until: Callable[[], bool] | None = None
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
        self._until = until
        try:
            while not self.stopping():
                self.poll_once()
        finally:
            self.close()
        return self.stats

    def poll_once(self, timeout_ms: int = 200) -> int:
        """One poll: registry first (reference data), then the group's records; then
        wait for the broker to acknowledge every send, and only then commit."""
        for records in self.registry.poll(timeout_ms=0).values():
            for rec in records:
                if rec.value is None:  # a tombstone: the fact is retracted
                    if rec.key is not None:
                        self.engine.retract_fact(rec.key.decode("utf-8", "replace"))
                    continue
                self._handle(rec, warming=False)
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        if self.pending_rewind:
            rewound = self._rewind()
            batch = {tp: recs for tp, recs in batch.items() if tp not in rewound}
        n = 0
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        budgeted = BudgetedBatch(batch, self.poll_budget_s)  # see streams/poll_budget.py
        last: dict[TopicPartition, int] = {}
        for tp, rec in budgeted:
            self._handle(rec, warming=rec.offset < self.resume_at.get(tp, 0))
            last[tp] = rec.offset
            n += 1
        for tp, offset in budgeted.resume.items():
            self.consumer.seek(tp, offset)  # the next poll fetches the rest
        if budgeted.resume:
            log.info("poll budget of %.0f s spent after %d records", self.poll_budget_s, n)
        for tp, offset in last.items():
            end = offset + 1
            if end > self.resume_at.get(tp, 0):  # never commit below an earlier run's commit
                offsets[tp] = OffsetAndMetadata(end, "", -1)
        if (self._outbox or self._computed) and not self._deliver():
            return n  # stopping before the broker acknowledged: nothing committed
        if offsets:
            self._commit(offsets)
        self._report_lag()
        return n

    def _deliver(self) -> bool:
        """Flush; send again what the broker refused until all is acknowledged. Return
        False if asked to stop first (then nothing of this poll counts as published)."""
        delay = 0.5
        while True:
            try:
                self.producer.flush()
            except DeliveryError as exc:
                self.stats.send_retries += 1
                log.warning(
                    "%s; offsets held back, sending again in %.1f s", exc, delay, exc_info=False
                )
                hold(self.consumer, delay, self.stopping)
                if self.stopping():
                    log.warning("stopping with sends not acknowledged; they are redone on restart")
                    return False
                delay = min(delay * 2, MAX_BACKOFF_S)
                self._send_again()
                continue
            release(self.consumer)
            self.engine.mark_published(self._computed)
            self._computed.clear()
            self._outbox.clear()
            return True

    def _send_again(self) -> None:
        """Resend the newest version of each refused record, oldest first. A record the
        broker can never take (too large) becomes a dead letter instead of a retry loop."""
        latest: dict[tuple, _Outgoing] = {}
        for out in self._outbox:
            latest.pop(out.identity, None)
            latest[out.identity] = out
        again: list[_Outgoing] = []
        for out in sorted(latest.values(), key=lambda o: o.send.seq):
            if not out.send.failed:
                continue
            if isinstance(out.send.error, MessageSizeTooLargeError) and out.identity[0] != "dead":
                topic, partition, offset = out.origin
                send = self.producer.dead_letter(
                    raw=out.send.value or b"",
                    error=f"could not publish to {out.send.topic}: {out.send.error}",
                    origin_topic=topic,
                    partition=partition,
                    offset=offset,
                    key=out.send.key,
                    stage=f"publish:{out.identity[1]}"[:64],
                )
                again.append(_Outgoing(("dead", send.seq), send, out.origin))
                continue
            again.append(_Outgoing(out.identity, self.producer.resend(out.send), out.origin))
        self._outbox = again

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit exactly the records handled (asynchronously: a lost commit re-delivers)."""
        self._committable.update(offsets)

        def done(_offsets, result) -> None:
            if isinstance(result, Exception):
                log.warning("offset commit failed (records will be re-delivered): %s", result)

        try:
            self.consumer.commit_async(offsets, callback=done)
        except Exception:  # noqa: BLE001 - e.g. a rebalance took the partitions
            log.warning("offset commit failed (records will be re-delivered)", exc_info=True)

    def _rewind(self) -> set[TopicPartition]:
        """Rebuild state for new partitions: read them again from the start."""
        rewound = set(self.pending_rewind)
        self.pending_rewind.clear()
        for tp in rewound:
            self.resume_at[tp] = self.consumer.committed(tp) or 0
        self.consumer.seek_to_beginning(*rewound)
        return rewound

    def _dead_letter(self, rec, error: str, stage: str = "") -> None:
        send = self.producer.dead_letter(
            raw=rec.value or b"",
            error=error,
            origin_topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            key=rec.key,
            stage=stage,
        )
        self._outbox.append(_Outgoing(("dead", send.seq), send, _origin(rec)))
        self.stats.dead_letters += 1

    def _handle(self, rec, *, warming: bool) -> None:
        self.stats.records += 1
        try:
            event = parse_event(rec.value)
        except ContractError as exc:
            if not warming:
                self._dead_letter(rec, exc.describe())
            return
        try:
            out = self.engine.compute(event)
        except Exception as exc:  # an engine bug must not stop the worker
            log.exception("engine failure on %s", event.event_id)
            if not warming:
                self._dead_letter(rec, f"engine failure: {exc.__class__.__name__}: {exc}", "engine")
            return
        if out.duplicate:
            self.stats.duplicates += 1
            return
        if warming:  # published by an earlier run
            self.engine.mark_published(out.alerts)
            self.stats.rebuilt += 1
            return
        self.stats.events += 1
        for failure in out.failures:
            log.error("%s (event %s)", failure.describe(), event.event_id)
            self.stats.detector_failures += 1
            self._dead_letter(rec, failure.describe(), f"detector:{failure.detector}"[:64])
        origin = _origin(rec)
        for alert in out.alerts:
            send = self.producer.send_alert(alert)
            self._outbox.append(_Outgoing(("alert", alert.alert_id), send, origin))
            self.stats.alerts += 1
        self._computed.extend(out.alerts)
        for session in out.sessions:
            send = self.producer.publish(session, self.topics.sessions)
            self._outbox.append(_Outgoing(("session", session.payload.room_id), send, origin))

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

    def stopping(self) -> bool:
        return self.stop_event.is_set() or bool(self._until and self._until())

    def close(self) -> None:
        """Commit what was acknowledged (nothing more), then close."""
        try:
            self.producer.flush()
        except DeliveryError as exc:
            log.warning("%s at shutdown; those events are processed again on restart", exc)
        assigned = self.consumer.assignment()
        safe = {tp: om for tp, om in self._committable.items() if tp in assigned}
        if safe:
            try:
                self.consumer.commit(safe)
            except Exception:  # noqa: BLE001 - the async commits may have landed already
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


def _origin(rec) -> tuple[str, int, int]:
    return (rec.topic, rec.partition, rec.offset)
