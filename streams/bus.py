"""Kafka plumbing on kafka-python: topics, keyed producers, consumers, dead letters.

Dead letters carry the original bytes unchanged as the message value; where they came
from (topic, partition, offset or file line) and why they were rejected travel in headers,
so nothing about the bad record is lost and the record itself is never re-encoded.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from streams.topics import Topics
from witness.alerts import Alert
from witness.errors import WitnessError
from witness.events import Event

log = logging.getLogger(__name__)

H_TOPIC = "witness.origin.topic"
H_PARTITION = "witness.origin.partition"
H_OFFSET = "witness.origin.offset"
H_ERROR = "witness.error"
H_TRUNCATED = "witness.truncated"
#: Which step refused the record: "" (the contract), "detector:NAME", "store", "publish".
H_STAGE = "witness.stage"

#: Failed sends kept (with their bytes) for a resend until the next flush; a publisher that
#: flushes rarely (the camera agent) must not hold an outage's worth of frames in memory.
MAX_KEPT_FAILURES = 10_000

#: Dead letters keep the original bytes up to this size (Apache Kafka's default
#: message.max.bytes is 1 MiB); a longer record keeps its head and says its full size.
MAX_DEAD_LETTER_BYTES = 512 * 1024


def session_timeout_ms() -> int:
    return int(os.environ.get("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "10000"))


def replication_factor() -> int:
    """WITNESS_REPLICATION_FACTOR for new topics; -1 (unset) takes the broker's
    `default.replication.factor`, so a 3-node cluster configured for 3 gets 3."""
    return int(os.environ.get("WITNESS_REPLICATION_FACTOR", "-1") or -1)


#: How long topic creation keeps trying while a node is down: right after a kill the
#: cluster's metadata still names the dead node (until it is fenced, seconds), and
#: kafka-python's admin client sends each request to one node without failing over.
ENSURE_TOPICS_PATIENCE_S = 90.0


def ensure_topics(
    bootstrap: str,
    topics: Topics,
    partitions: int = 3,
    replicas: int | None = None,
    *,
    patience_s: float | None = None,
) -> list[str]:
    """Create every Witness topic that is missing; return the names created.

    `witness.frames` and `witness.sessions` get the same partition count so that the
    consumer group co-partitions them by room id. `replicas` defaults to
    `replication_factor()`. A retriable broker error (a node of the cluster refusing
    connections, a request timing out) is retried with a fresh admin client for `patience_s`
    (default ENSURE_TOPICS_PATIENCE_S), so one dead broker out of three never stops
    `witness ingest` or a service starting; the last error is raised after that.
    """
    replicas = replication_factor() if replicas is None else replicas
    deadline, delay = _patience(patience_s), 0.5
    created: list[str] = []
    while True:
        # No node answers at all: the admin client's own bootstrap fails, and that is
        # raised at once (a broker that is not there is not waited for).
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            _create_missing(admin, topics, partitions, replicas, created)
            return created
        except KafkaError as exc:
            delay = _back_off(exc, "topic check", deadline, delay)
        finally:
            admin.close()


def _patience(patience_s: float | None) -> float:
    """The monotonic deadline of a retried broker request (ENSURE_TOPICS_PATIENCE_S)."""
    return time.monotonic() + (ENSURE_TOPICS_PATIENCE_S if patience_s is None else patience_s)


def _back_off(exc: KafkaError, what: str, deadline: float, delay: float) -> float:
    """Re-raise `exc` unless it is retriable and `deadline` leaves room for another try;
    otherwise log, sleep `delay` and return the next, doubled (at most 5 s)."""
    if not exc.retriable or time.monotonic() + delay > deadline:
        raise exc
    log.warning("%s failed (%s); trying again in %.1f s", what, exc, delay)
    time.sleep(delay)
    return min(delay * 2, 5.0)


def _create_missing(
    admin: KafkaAdminClient, topics: Topics, partitions: int, replicas: int, created: list[str]
) -> None:
    """Create what `admin` does not list; append the names created to `created`."""
    existing = set(admin.list_topics())
    for name in topics.all():
        if name in existing:
            continue
        config = {"cleanup.policy": "compact"} if name in topics.compacted() else {}
        if name in topics.kept_whole():
            # Workers rebuild project and room state by re-reading these from the start,
            # so they keep everything (the frames topic may expire).
            config = {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}
        try:  # one by one: a racing creator must not fail the others
            admin.create_topics([NewTopic(name, partitions, replicas, topic_configs=config)])
            created.append(name)
        except TopicAlreadyExistsError:
            pass


def _key(value: str | None) -> bytes | None:
    return value.encode("utf-8") if value is not None else None


@dataclass(eq=False)
class Send:
    """One record handed to the producer, kept until the broker acknowledged it."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] | None = None
    seq: int = 0
    timestamp_ms: int | None = None  # None: the broker's clock at send
    done: bool = False
    error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class DeliveryError(WitnessError, RuntimeError):
    """Sends the broker did not acknowledge. kafka-python's `flush()` only logs a failed
    send; `Producer.flush` raises this instead, so nothing is taken as published that
    was not."""

    def __init__(self, failed: list[Send], not_kept: int = 0) -> None:
        self.failed = failed
        self.not_kept = not_kept  # failed too, beyond MAX_KEPT_FAILURES: not resendable
        first = failed[0].error if failed else None
        text = str(first)
        if not text.startswith(first.__class__.__name__):
            text = f"{first.__class__.__name__}: {text}"
        more = f", and {not_kept} more not kept for a resend" if not_kept else ""
        super().__init__(
            f"{len(failed)} record(s) not acknowledged by the broker{more} (first: {text})"
        )


class Producer:
    """Keyed producer that routes events by type (DESIGN §3), writes dead letters, and
    knows which of its sends the broker acknowledged (see `flush`)."""

    def __init__(self, bootstrap: str, topics: Topics | None = None, **config) -> None:
        self.topics = topics or Topics()
        defaults = {
            "acks": "all",
            "linger_ms": 5,
            # kafka-python retries a send until delivery_timeout_ms (120 s); a send still
            # failing after that is reported by flush() and retried by the caller.
            "max_request_size": 16 * 1024 * 1024,
        }
        self._p = KafkaProducer(bootstrap_servers=bootstrap, **(defaults | config))
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._outstanding: dict[int, Send] = {}
        self._failed: list[Send] = []
        self._not_kept = 0
        self._blocked: BaseException | None = None

    def _send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers=None,
        timestamp_ms: int | None = None,
    ) -> Send:
        send = Send(topic, key, value, headers, seq=next(self._seq), timestamp_ms=timestamp_ms)
        if self._blocked is not None:  # the broker is unreachable: fail fast until flush
            return self._fail(send, self._blocked)
        try:
            extra = {} if timestamp_ms is None else {"timestamp_ms": timestamp_ms}
            future = self._p.send(topic, key=key, value=value, headers=headers, **extra)
        except KafkaTimeoutError as exc:  # no metadata within max_block_ms: broker down
            self._blocked = exc
            return self._fail(send, exc)
        except Exception as exc:  # noqa: BLE001 - this record only (too large, ...)
            return self._fail(send, exc)
        with self._lock:
            self._outstanding[send.seq] = send
        future.add_callback(self._acked, send.seq)
        future.add_errback(self._refused, send.seq)
        return send

    def _fail(self, send: Send, exc: BaseException) -> Send:
        send.done, send.error = True, exc
        with self._lock:
            if len(self._failed) < MAX_KEPT_FAILURES:
                self._failed.append(send)
            else:
                self._not_kept += 1
        return send

    def _acked(self, seq: int, _metadata) -> None:
        with self._lock:
            send = self._outstanding.pop(seq, None)
        if send is not None:
            send.done = True

    def _refused(self, seq: int, exc: BaseException) -> None:
        with self._lock:
            send = self._outstanding.pop(seq, None)
        if send is not None:
            self._fail(send, exc)

    def publish(
        self, event: Event, topic: str | None = None, *, timestamp_ms: int | None = None
    ) -> Send:
        """Send an event to its topic (events / frames / registry / sessions), keyed.
        `timestamp_ms` sets the record time (a camera agent catching up, a bench's
        history); by default the producer's clock."""
        topic = topic or self.topics.for_type(event.type)
        return self._send(topic, _key(event.key), event.to_bytes(), timestamp_ms=timestamp_ms)

    def send_raw(self, topic: str, key: bytes | None, value: bytes | None) -> Send:
        return self._send(topic, key, value)

    def send_alert(self, alert: Alert) -> Send:
        return self._send(
            self.topics.alerts, _key(alert.project_id), alert.to_json().encode("utf-8")
        )

    def resend(self, send: Send) -> Send:
        """Send a record again (after `flush` reported it failed)."""
        return self._send(send.topic, send.key, send.value, send.headers, send.timestamp_ms)

    def dead_letter(
        self,
        *,
        raw: bytes,
        error: str,
        origin_topic: str,
        partition: int,
        offset: int,
        key: bytes | None = None,
        stage: str = "",
    ) -> Send:
        """Send the original bytes to the dead-letter topic with where-from and why."""
        headers = [
            (H_TOPIC, origin_topic.encode("utf-8")),
            (H_PARTITION, str(partition).encode()),
            (H_OFFSET, str(offset).encode()),
            (H_ERROR, error.encode("utf-8")[:8000]),
        ]
        if stage:
            headers.append((H_STAGE, stage.encode("utf-8")))
        if len(raw) > MAX_DEAD_LETTER_BYTES:
            headers.append((H_TRUNCATED, str(len(raw)).encode()))
            raw = raw[:MAX_DEAD_LETTER_BYTES]
        return self._send(self.topics.deadletter, key, raw, headers)

    def flush(self, timeout: float | None = 30) -> None:
        """Wait for every send so far; raise DeliveryError listing those not acknowledged
        (refused, or not answered within `timeout`), oldest first."""
        with contextlib.suppress(KafkaTimeoutError):  # what is left is reported below
            self._p.flush(timeout=timeout)
        with self._lock:
            failed, self._failed = self._failed, []
            late, self._outstanding = list(self._outstanding.values()), {}
            not_kept, self._not_kept = self._not_kept, 0
        self._blocked = None
        for send in late:
            send.done, send.error = True, KafkaTimeoutError(f"not acknowledged within {timeout} s")
        if failed or late or not_kept:
            raise DeliveryError(sorted(failed + late, key=lambda s: s.seq), not_kept)

    def close(self) -> None:
        self._p.close(timeout=10)


def make_consumer(bootstrap: str, group_id: str | None, **config) -> KafkaConsumer:
    """A consumer with manual commits; `group_id=None` for whole-topic readers."""
    timeout = session_timeout_ms()
    defaults = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": timeout,
        "heartbeat_interval_ms": max(300, timeout // 4),
        "max_poll_records": 500,
        "fetch_max_wait_ms": 100,
        "max_partition_fetch_bytes": 16 * 1024 * 1024,
    }
    return KafkaConsumer(**(defaults | config))


def partitions_of(
    consumer: KafkaConsumer, topic: str, *, patience_s: float | None = None
) -> set[int] | None:
    """`consumer.partitions_for_topic`, riding out a node that refuses connections.

    kafka-python fetches the metadata from one node and raises if that node is down (a
    broker killed a moment ago is still in the cluster's metadata), so one dead node of
    three would stop a worker starting. Retriable errors are retried for `patience_s`
    (default ENSURE_TOPICS_PATIENCE_S); the last one is raised after that."""
    deadline, delay = _patience(patience_s), 0.5
    while True:
        try:
            return consumer.partitions_for_topic(topic)
        except KafkaError as exc:
            delay = _back_off(exc, f"asking the partitions of {topic}", deadline, delay)


def _known(consumer: KafkaConsumer, topic: str) -> bool:
    """The consumer's metadata lists partitions of `topic`; False while the node asked
    refuses (retriable: `wait_for_topics` asks again until its own timeout)."""
    try:
        return bool(consumer.partitions_for_topic(topic))
    except KafkaError as exc:
        if not exc.retriable:
            raise
        return False


def wait_for_topics(consumer: KafkaConsumer, topics: list[str], timeout: float = 60.0) -> None:
    """Until the consumer's metadata lists partitions for every topic, before it
    subscribes. Topics created a moment ago may not have reached the broker a consumer
    asks first; a group joined then is given no partitions of them and, by default,
    finds out only at the next metadata refresh (metadata.max.age.ms, 5 minutes): a
    recorder idle for minutes after a fresh start. Gives up quietly after `timeout`
    (the refresh still comes)."""
    deadline = time.monotonic() + timeout
    missing = list(topics)
    while missing and time.monotonic() < deadline:
        missing = [t for t in missing if not _known(consumer, t)]
        if missing:
            time.sleep(0.2)
    if missing:
        log.warning("no partitions known yet for %s; subscribing anyway", ", ".join(missing))


@dataclass(frozen=True)
class DeadLetterInfo:
    topic: str
    partition: int
    offset: int
    error: str
    stage: str = ""


def dead_letter_info(headers: Iterable[tuple[str, bytes]] | None) -> DeadLetterInfo:
    h = {k: v for k, v in (headers or [])}

    def text(name: str, default: str = "") -> str:
        return h.get(name, default.encode()).decode("utf-8", errors="replace")

    return DeadLetterInfo(
        topic=text(H_TOPIC, "?"),
        partition=int(text(H_PARTITION, "-1") or -1),
        offset=int(text(H_OFFSET, "-1") or -1),
        error=text(H_ERROR, "unknown"),
        stage=text(H_STAGE, ""),
    )


def hold(consumer: KafkaConsumer, seconds: float, stop: Callable[[], bool] | None = None) -> None:
    """Wait without reading on: the consumer's partitions paused, its group membership
    kept (poll keeps it), and anything fetched anyway (a partition assigned meanwhile)
    put back so it is read again later, never skipped."""
    deadline = time.monotonic() + seconds
    while True:
        consumer.pause(*consumer.assignment())
        left = deadline - time.monotonic()
        if left <= 0 or (stop is not None and stop()):
            return
        fetched = poll(consumer, int(min(left, 0.5) * 1000))
        for tp, records in fetched.items():
            consumer.seek(tp, records[0].offset)


def loop_through_broker_errors(
    step: Callable[[], object],
    stopping: Callable[[], bool],
    on_error: Callable[[KafkaError, float], None] | None = None,
    *,
    max_delay: float = 30.0,
) -> None:
    """Call `step` until `stopping()`. A KafkaError out of it (a request to a broker that
    went away) is logged, handed to `on_error` (with how long it has lasted) and `step`
    tried again after a growing pause: a service rides out a broker outage, it never
    stops for one. `step` must leave nothing half-done on such an error (the workers and
    the recorder commit only what they finished)."""
    delay, since = 0.5, None
    while not stopping():
        try:
            step()
        except KafkaError as exc:
            now = time.monotonic()
            since = now if since is None else since
            log.warning("the broker did not answer (%s); trying again in %.1f s", exc, delay)
            if on_error is not None:
                on_error(exc, now - since)
            end = now + delay
            while not stopping() and time.monotonic() < end:
                time.sleep(min(0.2, max(0.0, end - time.monotonic())))
            delay = min(delay * 2, max_delay)
            continue
        delay, since = 0.5, None


def release(consumer: KafkaConsumer) -> None:
    """Read on after `hold`."""
    paused = consumer.paused()
    if paused:
        resume(consumer, *paused)


def unpark(consumer: KafkaConsumer) -> None:
    """Let kafka-python 3.0.12 put back records it parked for a partition now resumed.

    Its fetcher parks the parsed records of a paused partition and restores them only
    when its in-line slot is None at the start of a poll; a slot left holding another
    partition's exhausted batch (the usual state after a poll) blocks that, and a
    partition with parked records is never fetched again: it stops for good. An
    exhausted batch holds nothing, so clearing it loses nothing.
    """
    fetcher = getattr(consumer, "_fetcher", None)
    parked = getattr(fetcher, "_paused_partition_records", None)
    if not parked:
        return
    current = getattr(fetcher, "_next_partition_records", None)
    subs = getattr(fetcher, "_subscriptions", None)
    resumed = subs is not None and any(not subs.is_paused(tp) for tp in parked)
    if current is not None and not current and resumed:
        fetcher._next_partition_records = None


def poll(consumer: KafkaConsumer, timeout_ms: int, **kwargs: Any) -> dict:
    """`consumer.poll`, after un-parking what a resumed partition left parked (`unpark`).
    Every consumer that pauses partitions polls through this."""
    unpark(consumer)
    return consumer.poll(timeout_ms=timeout_ms, **kwargs)


def resume(consumer: KafkaConsumer, *tps: TopicPartition) -> None:
    """`consumer.resume`, then `unpark` (found by bench/recovery.py: a rooms partition
    stopped at 5,500 of 28,431 frames, for good)."""
    consumer.resume(*tps)
    unpark(consumer)


def fetched_end(consumer: KafkaConsumer, tp: TopicPartition) -> int | None:
    """The high watermark the last fetch of `tp` returned (None before one). The embedded
    broker lists a partition's end as its last batch's base + 1, but its fetches carry the
    true end: a position at the listed end may still have records of that batch to come."""
    try:
        return consumer.highwater(tp)
    except Exception:  # noqa: BLE001 - not assigned, or a consumer without one: unknown
        return None


def parse_alert(value: bytes) -> Alert:
    return Alert.model_validate(json.loads(value.decode("utf-8")))
