"""A partition paused with records already fetched reads on after it is resumed
(streams.bus.resume works around kafka-python 3.0.12 parking them for ever)."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaProducer, TopicPartition

from streams.bus import make_consumer, resume

pytestmark = [pytest.mark.broker]

RECORDS = 20_000


def read_with_backlog_pauses(bootstrap: str, topic: str, unpause) -> int:
    """Read `topic` like the worker: pause after a 5,000-record backlog, fold it, resume."""
    consumer = make_consumer(bootstrap, f"g-{uuid.uuid4().hex[:6]}")
    consumer.subscribe([topic])
    tp = TopicPartition(topic, 0)
    got = backlog = pauses = 0
    deadline = time.monotonic() + 30
    try:
        while got < RECORDS and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                got += len(records)
                backlog += len(records)
            if tp in consumer.paused():
                backlog = 0  # folded
                unpause(consumer, tp)
            elif backlog > 5_000:
                consumer.pause(tp)
                pauses += 1
    finally:
        consumer.close()
    assert pauses > 0, "the backlog never paused the partition: the test proves nothing"
    return got


def test_a_resumed_partition_is_read_to_its_end(broker):
    topic = f"pause-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=broker)
    for i in range(RECORDS):
        producer.send(topic, str(i).encode() * 20, partition=0)
    producer.flush()
    producer.close()
    assert read_with_backlog_pauses(broker, topic, resume) == RECORDS
