"""The detector worker publishes every alert or commits nothing: refused sends are sent
again, a stop before the broker acknowledged them commits nothing, and a failing
detector costs only its own alerts."""

from __future__ import annotations

import time

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.future import Future

from streams.bus import (
    DeliveryError,
    Producer,
    dead_letter_info,
    ensure_topics,
    make_consumer,
    parse_alert,
)
from streams.worker import DetectorWorker
from tests.support.pipeline_run import bond_project, read_topic
from witness.config import Settings
from witness.events import make_event

pytestmark = [pytest.mark.broker]


class Refusing:
    """Wraps a KafkaProducer: the first `n` sends to `topic` fail as after a broker outage."""

    def __init__(self, inner, topic: str, n: int, error=KafkaTimeoutError) -> None:
        self.inner, self.topic, self.left, self.error = inner, topic, n, error
        self.refused = 0

    def send(self, topic, **kw):
        if topic == self.topic and self.left > 0:
            self.left -= 1
            self.refused += 1
            future = Future()
            future.failure(self.error("injected: broker did not answer"))
            return future
        return self.inner.send(topic, **kw)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _worker(broker, topics, group: str) -> DetectorWorker:
    return DetectorWorker(broker, Settings(partitions=1), topics, group_id=group)


def _publish(broker, topics, events) -> None:
    ensure_topics(broker, topics, partitions=1)
    producer = Producer(broker, topics)
    for e in events:
        producer.publish(e)
    producer.flush()
    producer.close()


def _committed(broker, group: str, topic: str) -> int | None:
    """The group's committed offset of a one-partition topic (None: nothing committed)."""
    consumer = make_consumer(broker, group)
    try:
        return consumer.committed(TopicPartition(topic, 0))
    finally:
        consumer.close()


def _poll_until(worker, predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.poll_once(timeout_ms=200)
        if predicate():
            return True
    return predicate()


def test_a_refused_alert_is_sent_again_before_anything_is_committed(broker, topics):
    events = bond_project("JY-W1", ["same", "same", "x"])
    worker = _worker(broker, topics, "g-refused")
    worker.producer._p = Refusing(worker.producer._p, topics.alerts, n=2)
    try:
        _publish(broker, topics, events)
        assert _poll_until(worker, lambda: worker.stats.events == len(events))
        assert worker.producer._p.refused == 2 and worker.stats.send_retries >= 2
        assert _committed(broker, "g-refused", topics.events) == len(events)
    finally:
        worker.close()
    alerts = [parse_alert(r.value) for r in read_topic(broker, topics.alerts, expect=1)]
    assert [a.rule for a in alerts] == ["REL-40-6"]
    assert [a.rule for a in worker.engine.alerts()] == ["REL-40-6"]


def test_stopping_while_the_broker_refuses_commits_nothing(broker, topics):
    """Stopped (or killed) mid-outage, the next worker redoes the poll: nothing is lost."""
    events = bond_project("JY-W2", ["same", "same", "x"])
    worker = _worker(broker, topics, "g-stop")
    refusing = Refusing(worker.producer._p, topics.alerts, n=10**9)
    worker.producer._p = refusing
    _publish(broker, topics, events)
    worker.run(until=lambda: refusing.refused >= 3)  # stops during the retry wait
    assert worker.stats.events == len(events) and worker.stats.alerts == 1
    assert worker.engine.alerts() == []  # never taken as published
    assert _committed(broker, "g-stop", topics.events) is None

    second = _worker(broker, topics, "g-stop")
    try:
        assert _poll_until(second, lambda: second.stats.alerts >= 1)
    finally:
        second.close()
    alerts = [parse_alert(r.value) for r in read_topic(broker, topics.alerts, expect=1)]
    assert [a.rule for a in alerts] == ["REL-40-6"]
    assert _committed(broker, "g-stop", topics.events) == len(events)


def test_a_failing_detector_is_dead_lettered_by_name_and_the_others_alerts_go_out(broker, topics):
    events = bond_project("JY-W3", ["same", "same", "x"])
    worker = _worker(broker, topics, "g-det")
    victim = next(d for d in worker.engine.detectors if d.name == "prices")

    def explode(state, event, ctx):
        raise ZeroDivisionError("injected")

    victim.step = explode
    try:
        _publish(broker, topics, events)
        assert _poll_until(worker, lambda: worker.stats.events == len(events))
    finally:
        worker.close()
    alerts = [parse_alert(r.value) for r in read_topic(broker, topics.alerts, expect=1)]
    assert [a.rule for a in alerts] == ["REL-40-6"]
    dead = read_topic(broker, topics.deadletter, expect=3)
    infos = [dead_letter_info(r.headers) for r in dead]
    assert len(infos) == 3  # the three bids; registration is not a price event
    assert {i.stage for i in infos} == {"detector:prices"}
    assert all(
        "detector prices failed" in i.error and "ZeroDivisionError" in i.error for i in infos
    )
    assert {r.value for r in dead} == {e.to_bytes() for e in events if e.type == "bid.submitted"}


def test_an_alert_the_broker_can_never_take_becomes_a_dead_letter_and_the_offsets_move_on(
    broker, topics
):
    """Too large for the broker: no retry loop; a dead letter naming the alert, the topic
    it could not reach and the input record it came from; counted; offsets committed."""
    events = bond_project("JY-W4", ["same", "same", "x"])
    worker = _worker(broker, topics, "g-large")
    worker.producer._p = Refusing(
        worker.producer._p, topics.alerts, n=10**9, error=MessageSizeTooLargeError
    )
    try:
        _publish(broker, topics, events)
        assert _poll_until(
            worker, lambda: _committed(broker, "g-large", topics.events) == len(events)
        )
        assert worker.stats.alerts == 1 and worker.stats.dead_letters == 1
    finally:
        worker.close()
    [dead] = read_topic(broker, topics.deadletter, expect=1)
    info = dead_letter_info(dead.headers)
    [alert] = [parse_alert(dead.value)]  # the refused alert's own bytes
    assert alert.rule == "REL-40-6" and info.stage == f"publish:{alert.alert_id}"[:64]
    assert f"could not publish to {topics.alerts}" in info.error
    assert "injected: broker did not answer" in info.error  # the broker's reason
    second_bid = [i for i, e in enumerate(events) if e.type == "bid.submitted"][1]
    assert (info.topic, info.partition, info.offset) == (topics.events, 0, second_bid)
    assert read_topic(broker, topics.alerts, timeout=2) == []


def test_registry_tombstone_retracts_the_fact(broker, topics):
    fact = make_event(
        "registry.relation",
        "*",
        "2026-10-01T00:00:00+08:00",
        {"a": "P1", "b": "A", "kind": "legal_rep"},
    )
    _publish(broker, topics, [fact])
    worker = _worker(broker, topics, "g-tomb")
    try:
        assert _poll_until(worker, lambda: len(worker.engine.ctx.registry) == 1)
        producer = Producer(broker, topics)
        producer.send_raw(topics.registry, fact.key.encode(), None)
        producer.flush()
        producer.close()
        assert _poll_until(worker, lambda: len(worker.engine.ctx.registry) == 0)
    finally:
        worker.close()


def test_a_send_to_a_stopped_broker_is_reported_not_dropped(topics):
    """kafka-python's own flush() returns quietly here; ours names every lost record."""
    from streams.broker import EmbeddedBroker

    with EmbeddedBroker().start() as own:
        producer = Producer(
            own.bootstrap, topics, request_timeout_ms=1000, delivery_timeout_ms=3000
        )
        event = bond_project("JY-W4", ["a"])[0]
        producer.publish(event)
        producer.flush()  # the topic exists, the broker answered
    first = producer.publish(event)  # the broker is gone now
    second = producer.publish(event)
    with pytest.raises(DeliveryError) as info:
        producer.flush(timeout=10)
    assert info.value.failed == [first, second] and first.failed and second.failed
    assert "not acknowledged by the broker" in str(info.value)
    producer.flush()  # reported once: the next flush starts clean
    producer._p.close(timeout=0)


def test_ingest_resends_and_then_names_the_line_the_broker_refused(
    broker, topics, tmp_path, monkeypatch
):
    import streams.ingest as ingest
    from tests.support.pipeline_run import write_jsonl

    monkeypatch.setattr(ingest, "CONFIRM_BACKOFF_S", 0.05)
    events = bond_project("JY-W5", ["a", "b", "c"])
    src = write_jsonl(tmp_path / "e.jsonl", events)

    producer = Producer(broker, topics)
    producer._p = Refusing(producer._p, topics.events, n=2)  # refused twice, then taken
    report = ingest.ingest_file(str(src), producer)
    producer.close()
    assert report.unconfirmed_line is None and report.published == len(events)
    on_topic = read_topic(broker, topics.events, expect=len(events))
    assert sorted(r.value for r in on_topic) == sorted(e.to_bytes() for e in events)

    producer = Producer(broker, topics)
    producer._p = Refusing(producer._p, topics.events, n=10**9)  # the broker never takes them
    report = ingest.ingest_file(str(src), producer)
    producer.close()
    assert report.unconfirmed_line == 1 and "injected" in report.delivery_error
