"""The registry topic's key scheme: one key per fact, and moving an old deployment over.

`witness.registry` is compacted, so Apache Kafka keeps only the last record per key. Each
fact is keyed by the hash of (a, b, kind, since) (`RegistryRelation.fact_key`); before,
facts were keyed by `a`, and compaction kept one fact per entity. `witness doctor` samples
the topic for records whose key is not their fact key; `witness doctor --fix` re-publishes
the facts (from the store, which recorded every one, and from the topic) under their fact
keys, then writes tombstones for the old keys so the log cleaner removes those records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import TopicPartition

from streams.bus import Producer, make_consumer
from streams.topics import Topics
from witness.events import ContractError, Event, parse_event


@dataclass
class KeySample:
    """What a sample of the registry topic says about its keys."""

    sampled: int = 0
    misskeyed: int = 0
    example: str | None = None  # one old key, for the message


@dataclass
class RekeyReport:
    republished: int = 0
    tombstoned: int = 0


def read_registry(bootstrap: str, topic: str, *, limit: int | None = None, timeout: float = 10):
    """Records of the registry topic from the start (up to `limit`), all partitions."""
    consumer = make_consumer(bootstrap, None, consumer_timeout_ms=1000)
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                out.extend(records)
            if limit is not None and len(out) >= limit:
                return out[:limit]
            if all(consumer.position(tp) >= (ends.get(tp) or 0) for tp in tps):
                break
        return out
    finally:
        consumer.close()


def _fact(value: bytes | None) -> Event | None:
    if value is None:
        return None
    try:
        event = parse_event(value)
    except ContractError:
        return None
    return event if event.type == "registry.relation" else None


def _misskeyed(rec) -> bool:
    event = _fact(rec.value)
    return event is not None and rec.key != event.key.encode("utf-8")


def sample_keys(
    bootstrap: str, topics: Topics, *, limit: int = 200_000, timeout: float = 10
) -> KeySample:
    """Check the registry topic from its start (up to `limit` records or `timeout`).

    A record under an old key counts until a tombstone for that key follows it (then the
    log cleaner removes both); the tombstone is in the same partition, after it.
    """
    out = KeySample()
    pending: dict[bytes | None, int] = {}  # old key -> records under it not yet tombstoned
    for rec in read_registry(bootstrap, topics.registry, limit=limit, timeout=timeout):
        if rec.value is None:
            pending.pop(rec.key, None)
            continue
        out.sampled += 1
        if _misskeyed(rec):
            pending[rec.key] = pending.get(rec.key, 0) + 1
    out.misskeyed = sum(pending.values())
    example = next((k for k in pending if k is not None), None)
    out.example = example.decode("utf-8", "replace")[:80] if example is not None else None
    return out


def rekey_registry(bootstrap: str, topics: Topics, stored: list[Event]) -> RekeyReport:
    """Re-publish every fact under its fact key, then tombstone the old keys.

    `stored` are the registry facts the store recorded (in recording order); facts the
    log cleaner already removed from the topic are found there. Only each fact's last
    version is re-published (the one compaction would keep) and only if the topic does
    not already end with it under the right key; the same event id is kept, so the
    recorder and the workers recognise a fact they have already seen.
    """
    records = read_registry(bootstrap, topics.registry, timeout=120)
    latest: dict[str, Event] = {}  # fact key -> last version (store first: it is older)
    for event in stored:
        latest[event.key] = event
    on_topic: dict[str, bytes | None] = {}  # fact key -> event id last seen under it
    old_keys: set[bytes] = set()
    for rec in records:
        event = _fact(rec.value)
        if event is None:
            continue
        latest[event.key] = event
        if rec.key == event.key.encode("utf-8"):
            on_topic[event.key] = event.event_id.encode("utf-8")
        elif rec.key is not None:
            old_keys.add(rec.key)
    old_keys -= {k.encode("utf-8") for k in latest}  # never tombstone a fact key
    report = RekeyReport()
    producer = Producer(bootstrap, topics)
    try:
        for key, event in latest.items():
            if on_topic.get(key) != event.event_id.encode("utf-8"):
                producer.publish(event)
                report.republished += 1
        producer.flush()  # every fact is safe under its new key before any old one goes
        for key in sorted(old_keys):
            producer.send_raw(topics.registry, key, None)
            report.tombstoned += 1
        producer.flush()
    finally:
        producer.close()
    return report
