"""The recorder: events, alerts and dead letters from Kafka into the store, at least once.

- It commits offsets only after `Store.write` has committed the batch, explicitly per
  partition and only up to the records of that batch; the store de-duplicates events by
  id and upserts alerts by id, so re-delivery is harmless.
- When the database is down it keeps the batch, pauses its partitions (staying in the
  consumer group), retries with backoff, says so (a log line, a `service_health` row the
  ops page and `witness doctor` read) and resumes with nothing lost. After
  `WITNESS_STORE_GIVE_UP_S` seconds (default 900, 0 = never) it gives up: `witness run`
  exits non-zero, nothing committed past the last stored batch.
- When the broker does not answer (its offset commits fail, or a heartbeat's request
  for end offsets times out) it says so the same way (`degraded`, "broker unreachable")
  and goes on polling: the consumer reconnects by itself, nothing is skipped.
- A row the database refuses (one bad value) costs only itself: it goes to the dead
  letters with the database's reason, and the rest of the batch is stored.
- Once a project is archived, `AutoRecord` makes its witness record beside the loop,
  when the detectors have judged the archive and their alerts are stored.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import OffsetAndMetadata, TopicPartition

from detectors.video import offline_seconds
from streams.archive_judged import ArchiveJudged
from streams.auto_record import AutoRecord
from streams.bus import (
    dead_letter_info,
    ensure_topics,
    hold,
    loop_through_broker_errors,
    make_consumer,
    parse_alert,
    poll,
    release,
    wait_for_topics,
)
from streams.gc_tuning import quiet_gc
from streams.lag import lag_rows
from streams.topics import Topics
from witness.config import Settings
from witness.errors import WitnessError
from witness.events import ContractError, parse_event
from witness.store import DeadLetterRecord, Store
from witness.store import health as service_health
from witness.store.resilient import Item, StoreUnavailable, write_isolating

log = logging.getLogger(__name__)

RECORDER_GROUP = "witness-recorder"
SERVICE = "recorder"
MAX_BACKOFF_S = 30.0
#: How long the heartbeat waits for the broker's answer before it reports it unreachable.
BROKER_PROBE_MS = 5_000


def give_up_after_s() -> float:
    """How long the recorder waits for the database before it gives up (0 = never)."""
    return float(os.environ.get("WITNESS_STORE_GIVE_UP_S", "900"))


class RecorderGaveUp(WitnessError, RuntimeError):
    """The database stayed unavailable too long; nothing past the last stored batch was
    committed, so a restart loses nothing."""


@dataclass
class RecorderStats:
    events: int = 0
    alerts: int = 0
    dead_letters: int = 0
    skipped: int = 0
    refused: int = 0  # rows the store refused, dead-lettered instead
    store_retries: int = 0
    unrecordable: int = 0  # refused even as a dead letter (logged with the record's origin)


class Recorder:
    def __init__(
        self,
        bootstrap: str,
        store: Store,
        settings: Settings | None = None,
        topics: Topics | None = None,
        *,
        group_id: str | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.topics = topics or Topics()
        self.store = store
        # Prefixed like the workers' groups, so two deployments sharing one Kafka cluster
        # under different topic prefixes never share (and split) one recorder group.
        self.group_id = group_id or f"{self.topics.prefix}{RECORDER_GROUP}"
        self.stats = RecorderStats()
        self.stop_event = threading.Event()
        self._until: Callable[[], bool] | None = None
        ensure_topics(bootstrap, self.topics, self.settings.partitions)
        self.consumer = make_consumer(bootstrap, self.group_id)
        subscribed = [
            self.topics.events,
            self.topics.frames,
            self.topics.sessions,
            self.topics.registry,
            self.topics.alerts,
            self.topics.deadletter,
        ]
        wait_for_topics(self.consumer, subscribed)
        self.consumer.subscribe(subscribed)
        self._last_lag = 0.0
        self._last_health = 0.0
        self._status = "ok"
        self._detail: str | None = None
        self._received_since_beat = 0
        self._commit_error: str | None = None
        self._broker_down_since: float | None = None
        self._rewind = False  # a poll failed part-way: read again from the last stored batch
        self._rate_window: list[tuple[float, int]] = []
        self._committable: dict[TopicPartition, OffsetAndMetadata] = {}
        self.auto_record: AutoRecord | None = None
        if self.settings.auto_record_seconds > 0:
            self.auto_record = AutoRecord(
                store.url,
                delay_s=self.settings.auto_record_seconds,
                locale=self.settings.locale,
                gap_seconds=offline_seconds(self.settings.thresholds),
                judged=ArchiveJudged(bootstrap, self.topics, self.group_id),
                wait_s=self.settings.auto_record_wait_seconds,
            )

    def run(self, *, until: Callable[[], bool] | None = None) -> RecorderStats:
        quiet_gc()
        self._until = until
        final, detail = "stopped", None
        if self.auto_record is not None:
            self.auto_record.start()
        try:
            self._health("ok", None)
            loop_through_broker_errors(self.poll_once, self.stopping, self._broker_error)
        except BaseException as exc:
            final, detail = "failed", f"{exc.__class__.__name__}: {exc}"
            raise
        finally:
            self._health(final, detail)
            self._commit_final()
            self.consumer.close()
            if self.auto_record is not None:
                self.auto_record.stop()
        return self.stats

    def stopping(self) -> bool:
        return self.stop_event.is_set() or bool(self._until and self._until())

    def poll_once(self, timeout_ms: int = 200) -> int:
        if self._rewind:
            self._rewind_to_stored()
        batch = poll(self.consumer, timeout_ms)
        items: list[Item] = []
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        n = 0
        for tp, records in batch.items():
            for rec in records:
                n += 1
                item = self._item(rec)
                if item is not None:
                    items.append(item)
            offsets[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
        if n:
            if not self._store(items):
                return n  # stopping before the batch was stored: nothing committed
            self._commit(offsets)
            if self.auto_record is not None:  # stored: its record can be made
                at = {
                    i.value.project_id: (
                        TopicPartition(i.origin.topic, i.origin.partition),
                        i.origin.offset,
                    )
                    for i in items
                    if i.kind == "event" and i.value.type == "project.archived"
                }
                self.auto_record.archived(sorted(at), at)
        self._report_lag(n)
        self._received_since_beat += n
        if time.monotonic() - self._last_health >= service_health.HEARTBEAT.total_seconds():
            self._beat()
        return n

    def _beat(self) -> None:
        """The heartbeat, and the broker's health: a recorder that received nothing since
        the last beat, or whose offset commits fail, asks the broker for its partitions'
        end offsets; no answer (or failing commits) is `degraded` with the reason until
        the broker answers again. Nothing is lost meanwhile: nothing uncommitted is
        skipped, the consumer reconnects by itself."""
        problem = None
        if self._commit_error is not None or self._received_since_beat == 0:
            problem = self._probe_broker()
            if problem is None and self._received_since_beat:
                problem = self._commit_error  # it answers, yet the commits fail
            elif problem is None:
                self._commit_error = None  # an old failure, nothing to commit since
        self._received_since_beat = 0
        now = time.monotonic()
        if problem is not None:
            if self._broker_down_since is None:
                self._broker_down_since = now
                log.error("recorder: the broker does not answer (%s); retrying", problem)
            down_for = now - self._broker_down_since
            detail = f"{service_health.BROKER_DETAIL} for {down_for:.0f} s: {problem}"
            self._health("degraded", detail)
        elif self._broker_down_since is not None:
            outage = now - self._broker_down_since
            self._broker_down_since = None
            log.warning("recorder: the broker answers again after %.0f s", outage)
            self._health("ok", f"recovered after a {outage:.0f} s broker outage")
        else:  # a heartbeat keeps what the last report said
            self._health(self._status, self._detail)

    def _broker_error(self, exc: Exception, lasted: float) -> None:
        """A poll that failed on the broker: degraded now (the heartbeat says when it is
        back), and the next poll first goes back to the last stored offsets: a batch the
        error cut off is read again, never skipped."""
        self._rewind = True
        if self._broker_down_since is None:
            self._broker_down_since = time.monotonic() - lasted
        detail = (
            f"{service_health.BROKER_DETAIL} for {lasted:.0f} s: {exc.__class__.__name__}: {exc}"
        )
        self._health("degraded", detail)

    def _rewind_to_stored(self) -> None:
        """Every assigned partition back to the offset after the last stored batch (or the
        group's committed offset, or the start: the store ignores what it holds)."""
        for tp in self.consumer.assignment():
            stored = self._committable.get(tp)
            offset = stored.offset if stored is not None else self.consumer.committed(tp)
            if offset is None:
                self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, offset)
        release(self.consumer)
        self._rewind = False

    def _probe_broker(self) -> str | None:
        """None if the broker gave the end offsets of a partition within 5 s, else why not."""
        tps = sorted(self.consumer.assignment()) or [TopicPartition(self.topics.events, 0)]
        try:
            self.consumer.end_offsets(tps[:1], timeout_ms=BROKER_PROBE_MS)
        except Exception as exc:  # noqa: BLE001 - any failure means no answer
            return f"{exc.__class__.__name__}: {exc}"
        return None

    def _item(self, rec) -> Item | None:
        if rec.topic == self.topics.alerts:
            try:
                return Item("alert", parse_alert(rec.value), rec)
            except Exception as exc:  # not ours to fix: note it and go on
                log.warning("unreadable alert at %s/%s: %s", rec.partition, rec.offset, exc)
                self.stats.skipped += 1
                return None
        if rec.topic == self.topics.deadletter:
            info = dead_letter_info(rec.headers)
            return Item(
                "dead",
                DeadLetterRecord(
                    topic=info.topic,
                    partition=info.partition,
                    offset=info.offset,
                    key=rec.key.decode("utf-8", "replace") if rec.key else None,
                    error=info.error,
                    raw=rec.value or b"",
                    stage=info.stage,
                ),
                rec,
            )
        try:
            return Item("event", parse_event(rec.value), rec)
        except ContractError:
            self.stats.skipped += 1  # the detector worker dead-letters it (or a tombstone)
            return None

    # ------------------------------------------------------------------ writing

    def _store(self, items: list[Item]) -> bool:
        """Write the batch, riding out an outage; False if asked to stop first."""
        delay, down_since, last_error = 1.0, None, ""
        while True:
            try:
                self._write(items)
            except StoreUnavailable as exc:
                now = time.monotonic()
                if down_since is None:
                    down_since = now
                    log.error(
                        "recorder: the store is unavailable (%s); partitions paused, "
                        "nothing committed, retrying",
                        exc,
                    )
                last_error = str(exc)
                down_for = now - down_since
                self.stats.store_retries += 1
                self._health("degraded", f"store unavailable for {down_for:.0f} s: {last_error}")
                limit = give_up_after_s()
                if limit and down_for >= limit:
                    raise RecorderGaveUp(
                        f"the store was unavailable for {down_for:.0f} s ({last_error}); gave up. "
                        "Nothing past the last stored batch was committed: restart once the "
                        "database is back"
                    ) from exc
                log.warning("recorder: store still unavailable, retry in %.0f s", delay)
                hold(self.consumer, delay, self.stopping)
                if self.stopping():
                    return False
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            if down_since is not None:
                outage = time.monotonic() - down_since
                log.warning("recorder: the store is back after %.0f s; resuming", outage)
                self._health("ok", f"recovered after a {outage:.0f} s outage ({last_error})")
            release(self.consumer)
            return True

    def _write(self, items: list[Item]) -> None:
        result, refused = write_isolating(self.store, items)
        if refused:
            letters = [
                Item("dead", self._refused_letter(item, why), item.origin) for item, why in refused
            ]
            more, still = write_isolating(self.store, letters)
            result.dead_letters += more.dead_letters
            for item, why in still:
                rec = item.origin
                log.error(
                    "could not record even a dead letter for %s/%s/%s: %s",
                    rec.topic,
                    rec.partition,
                    rec.offset,
                    why,
                )
                self.stats.unrecordable += 1
            self.stats.refused += len(refused)
        self.stats.events += result.new_events
        self.stats.alerts += result.changed_alerts
        self.stats.dead_letters += result.dead_letters

    def _refused_letter(self, item: Item, why: str) -> DeadLetterRecord:
        rec = item.origin
        log.error(
            "the store refused the %s at %s/%s/%s: %s",
            item.kind,
            rec.topic,
            rec.partition,
            rec.offset,
            why,
        )
        return DeadLetterRecord(
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            key=rec.key.decode("utf-8", "replace") if rec.key else None,
            error=f"the store refused this {item.kind}: {why}",
            raw=rec.value or b"",
            stage="store",
        )

    # ------------------------------------------------------------------ offsets, health

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self._committable.update(offsets)

        def done(_offsets, result) -> None:
            if isinstance(result, Exception):
                self._commit_error = f"offset commit failed: {result}"
                log.warning("offset commit failed (records will be re-delivered): %s", result)
            else:
                self._commit_error = None

        try:
            self.consumer.commit_async(offsets, callback=done)
        except Exception:  # noqa: BLE001 - e.g. a rebalance took the partitions
            log.warning("offset commit failed (records will be re-delivered)", exc_info=True)

    def _commit_final(self) -> None:
        """On stop: the stored batches' offsets, synchronously; nothing else."""
        assigned = self.consumer.assignment()
        safe = {tp: om for tp, om in self._committable.items() if tp in assigned}
        if not safe:
            return
        try:
            self.consumer.commit(safe)
        except Exception:  # noqa: BLE001 - the async commits may have landed already
            log.debug("final commit failed", exc_info=True)

    def _health(self, status: str, detail: str | None) -> None:
        self._last_health = time.monotonic()
        self._status, self._detail = status, detail
        try:
            service_health.report(self.store.engine, SERVICE, status, detail)
        except Exception:  # noqa: BLE001 - the store may be the thing that is down
            log.debug("health report failed", exc_info=True)

    def _report_lag(self, n: int) -> None:
        now = time.monotonic()
        self._rate_window.append((now, n))
        self._rate_window = [(t, k) for t, k in self._rate_window if now - t <= 10]
        if now - self._last_lag < 5:
            return
        self._last_lag = now
        span = max(1e-6, now - self._rate_window[0][0])
        rate = sum(k for _, k in self._rate_window) / span
        try:
            rows = lag_rows(self.consumer, self.group_id)
            for r in rows:
                r.events_per_s = rate
            self.store.record_lag(rows)
        except Exception:
            log.exception("lag report failed")

    def stop(self) -> None:
        self.stop_event.set()
