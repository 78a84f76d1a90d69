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


PER_PARTITION = 6_000


def read_two_partitions_pausing_one(bootstrap: str, topic: str, poll_fn) -> dict[int, int]:
    """Two partitions; partition 0 is paused for its backlog now and then while partition
    1 reads on, then resumed with plain `consumer.resume` (as a rebalance or the recorder's
    hold would leave it): every record of both must still arrive."""
    consumer = make_consumer(bootstrap, f"g-{uuid.uuid4().hex[:6]}", max_poll_records=100)
    tp0 = TopicPartition(topic, 0)
    consumer.assign([tp0, TopicPartition(topic, 1)])
    got = {0: 0, 1: 0}
    backlog, pauses = 0, 0
    deadline = time.monotonic() + 40
    try:
        while sum(got.values()) < 2 * PER_PARTITION and time.monotonic() < deadline:
            for tp, records in poll_fn(consumer, 100).items():
                got[tp.partition] += len(records)
                if tp == tp0:
                    backlog += len(records)
            if tp0 in consumer.paused():
                consumer.resume(tp0)
                backlog = 0
            elif backlog > 500:
                consumer.pause(tp0)
                pauses += 1
    finally:
        consumer.close()
    assert pauses > 0, "partition 0 was never paused: the test proves nothing"
    return got


def test_a_partition_resumed_while_another_reads_on_is_read_to_its_end(broker):
    from kafka.admin import KafkaAdminClient, NewTopic

    from streams.bus import poll

    topic = f"pause2-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=broker)
    for i in range(PER_PARTITION):
        for part in (0, 1):
            producer.send(topic, str(i).encode() * 20, partition=part)
    producer.flush()
    producer.close()
    got = read_two_partitions_pausing_one(broker, topic, poll)
    assert got == {0: PER_PARTITION, 1: PER_PARTITION}
