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
    assert set(t.compacted()) == {"x.witness.registry", "x.witness.sessions"}
