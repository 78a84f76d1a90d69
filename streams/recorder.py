"""The recorder: events, alerts and dead letters from Kafka into the store, at least once.

It commits its offsets only after `Store.write` has committed the batch; the store
de-duplicates events by id and upserts alerts by id, so re-delivery is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from streams.bus import dead_letter_info, ensure_topics, make_consumer, parse_alert
from streams.lag import lag_rows
from streams.topics import Topics
from streams.worker import quiet_gc
from witness.config import Settings
from witness.events import ContractError, parse_event
from witness.store import DeadLetterRecord, Store

log = logging.getLogger(__name__)

RECORDER_GROUP = "witness-recorder"


@dataclass
class RecorderStats:
    events: int = 0
    alerts: int = 0
    dead_letters: int = 0
    skipped: int = 0


class Recorder:
    def __init__(
        self,
        bootstrap: str,
        store: Store,
        settings: Settings | None = None,
        topics: Topics | None = None,
        *,
        group_id: str = RECORDER_GROUP,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.topics = topics or Topics()
        self.store = store
        self.group_id = group_id
        self.stats = RecorderStats()
        self.stop_event = threading.Event()
        ensure_topics(bootstrap, self.topics, self.settings.partitions)
        self.consumer = make_consumer(bootstrap, group_id)
        self.consumer.subscribe(
            [
                self.topics.events,
                self.topics.frames,
                self.topics.sessions,
                self.topics.registry,
                self.topics.alerts,
                self.topics.deadletter,
            ]
        )
        self._last_lag = 0.0
        self._rate_window: list[tuple[float, int]] = []

    def run(self, *, until: Callable[[], bool] | None = None) -> RecorderStats:
        quiet_gc()
        try:
            while not self.stop_event.is_set() and not (until and until()):
                self.poll_once()
        finally:
            try:
                self.consumer.commit()  # the last offsets, synchronously, on a clean stop
            except Exception:
                log.debug("final commit failed", exc_info=True)
            self.consumer.close()
        return self.stats

    def poll_once(self, timeout_ms: int = 200) -> int:
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        events, alerts, dead = [], [], []
        n = 0
        for records in batch.values():
            for rec in records:
                n += 1
                if rec.topic == self.topics.alerts:
                    try:
                        alerts.append(parse_alert(rec.value))
                    except Exception as exc:  # not ours to fix: note it and go on
                        log.warning("unreadable alert at %s/%s: %s", rec.partition, rec.offset, exc)
                        self.stats.skipped += 1
                elif rec.topic == self.topics.deadletter:
                    info = dead_letter_info(rec.headers)
                    dead.append(
                        DeadLetterRecord(
                            topic=info.topic,
                            partition=info.partition,
                            offset=info.offset,
                            key=rec.key.decode("utf-8", "replace") if rec.key else None,
                            error=info.error,
                            raw=rec.value or b"",
                        )
                    )
                else:
                    try:
                        events.append(parse_event(rec.value))
                    except ContractError:
                        self.stats.skipped += 1  # the detector worker dead-letters it
        if n:
            result = self.store.write(events, alerts, dead)  # durable first ...
            self.consumer.commit_async()  # ... then the offsets (a lost commit only re-delivers)
            self.stats.events += result.new_events
            self.stats.alerts += result.changed_alerts
            self.stats.dead_letters += result.dead_letters
        self._report_lag(n)
        return n

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
