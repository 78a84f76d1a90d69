"""Kafka plumbing on kafka-python: topics, keyed producers, consumers, dead letters.

Dead letters carry the original bytes unchanged as the message value; where they came
from (topic, partition, offset or file line) and why they were rejected travel in headers,
so nothing about the bad record is lost and the record itself is never re-encoded.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.topics import Topics
from witness.alerts import Alert
from witness.events import Event

log = logging.getLogger(__name__)

H_TOPIC = "witness.origin.topic"
H_PARTITION = "witness.origin.partition"
H_OFFSET = "witness.origin.offset"
H_ERROR = "witness.error"
H_TRUNCATED = "witness.truncated"

#: Dead letters keep the original bytes up to this size (Apache Kafka's default
#: message.max.bytes is 1 MiB); a longer record keeps its head and says its full size.
MAX_DEAD_LETTER_BYTES = 512 * 1024


def session_timeout_ms() -> int:
    return int(os.environ.get("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "10000"))


def ensure_topics(bootstrap: str, topics: Topics, partitions: int = 3) -> list[str]:
    """Create every Witness topic that is missing; return the names created.

    `witness.frames` and `witness.sessions` get the same partition count so that the
    consumer group co-partitions them by room id.
    """
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        existing = set(admin.list_topics())
        wanted = []
        for name in topics.all():
            if name in existing:
                continue
            config = {"cleanup.policy": "compact"} if name in topics.compacted() else {}
            if name == topics.events:
                # Workers rebuild per-project state by re-reading this topic from the start,
                # so it must keep every project's history (the frames topic may expire).
                config = {"retention.ms": "-1"}
            wanted.append(NewTopic(name, partitions, 1, topic_configs=config))
        created = []
        for topic in wanted:  # one by one: a racing creator must not fail the others
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


def _key(value: str | None) -> bytes | None:
    return value.encode("utf-8") if value is not None else None


class Producer:
    """Keyed producer that routes events by type (DESIGN §3) and writes dead letters."""

    def __init__(self, bootstrap: str, topics: Topics | None = None, **config) -> None:
        self.topics = topics or Topics()
        defaults = {
            "acks": "all",
            "linger_ms": 5,
            "retries": 5,
            "max_request_size": 16 * 1024 * 1024,
        }
        self._p = KafkaProducer(bootstrap_servers=bootstrap, **(defaults | config))

    def publish(self, event: Event, topic: str | None = None):
        """Send an event to its topic (events / frames / registry / sessions), keyed."""
        return self._p.send(
            topic or self.topics.for_type(event.type), key=_key(event.key), value=event.to_bytes()
        )

    def send_raw(self, topic: str, key: bytes | None, value: bytes):
        return self._p.send(topic, key=key, value=value)

    def send_alert(self, alert: Alert):
        return self._p.send(
            self.topics.alerts, key=_key(alert.project_id), value=alert.to_json().encode("utf-8")
        )

    def dead_letter(
        self,
        *,
        raw: bytes,
        error: str,
        origin_topic: str,
        partition: int,
        offset: int,
        key: bytes | None = None,
    ):
        """Send the original bytes to the dead-letter topic with where-from and why."""
        headers = [
            (H_TOPIC, origin_topic.encode("utf-8")),
            (H_PARTITION, str(partition).encode()),
            (H_OFFSET, str(offset).encode()),
            (H_ERROR, error.encode("utf-8")[:8000]),
        ]
        if len(raw) > MAX_DEAD_LETTER_BYTES:
            headers.append((H_TRUNCATED, str(len(raw)).encode()))
            raw = raw[:MAX_DEAD_LETTER_BYTES]
        return self._p.send(self.topics.deadletter, key=key, value=raw, headers=headers)

    def flush(self, timeout: float | None = 30) -> None:
        self._p.flush(timeout=timeout)

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


@dataclass(frozen=True)
class DeadLetterInfo:
    topic: str
    partition: int
    offset: int
    error: str


def dead_letter_info(headers: Iterable[tuple[str, bytes]] | None) -> DeadLetterInfo:
    h = {k: v for k, v in (headers or [])}

    def text(name: str, default: str = "") -> str:
        return h.get(name, default.encode()).decode("utf-8", errors="replace")

    return DeadLetterInfo(
        topic=text(H_TOPIC, "?"),
        partition=int(text(H_PARTITION, "-1") or -1),
        offset=int(text(H_OFFSET, "-1") or -1),
        error=text(H_ERROR, "unknown"),
    )


def parse_alert(value: bytes) -> Alert:
    return Alert.model_validate(json.loads(value.decode("utf-8")))
