"""Kafka plumbing facts that are easy to lose silently."""

from __future__ import annotations

from streams.topics import Topics


def test_kafka_python_uses_the_c_crc32c():
    """Without the `crc32c` package kafka-python checksums every batch in pure Python,
    and the pipeline moves a fraction of the events (bench/pipeline.py)."""
    import kafka.record.util as util

    assert util.crc32c_c is not None
    assert util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # the CRC-32C check value


def test_events_are_routed_by_type():
    t = Topics("x.")
    assert t.for_type("frame.analyzed") == "x.witness.frames"
    assert t.for_type("camera.status") == "x.witness.frames"
    assert t.for_type("registry.relation") == "x.witness.registry"
    assert t.for_type("room.session") == "x.witness.sessions"
    assert t.for_type("bid.submitted") == "x.witness.events"
    assert set(t.compacted()) == {"x.witness.registry"}
    assert set(t.kept_whole()) == {"x.witness.events", "x.witness.sessions"}


def test_registry_facts_go_onto_the_topic_under_their_fact_keys(broker, topics):
    """Not under the entity `a`: on a compacted topic that kept one fact per entity."""
    from streams.bus import Producer, ensure_topics
    from tests.support.pipeline_run import read_topic
    from witness.events import make_event, registry_fact_key

    facts = [
        make_event(
            "registry.relation",
            "*",
            "2026-10-01T00:00:00+08:00",
            {"a": "110101199001011234", "b": company, "kind": "legal_rep"},
        )
        for company in ("A", "B")
    ]
    ensure_topics(broker, topics, partitions=1)
    producer = Producer(broker, topics)
    for fact in facts:
        producer.publish(fact)
    producer.flush()
    producer.close()
    records = read_topic(broker, topics.registry, expect=2)
    assert [r.key.decode() for r in records] == [
        registry_fact_key("110101199001011234", b, "legal_rep", None) for b in ("A", "B")
    ]
