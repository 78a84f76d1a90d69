"""The Apache Kafka launcher: Maven cache, clear errors, and a 3-node cluster that really
replicates, fails over and compacts (the fault suite relies on all three)."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from streams import apache_kafka
from streams.apache_kafka import ApacheKafka, cache_dir, fetch, is_fetched, kafka_version
from streams.broker import BrokerError
from streams.bus import make_consumer


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch):
    """StorageTool reads `--cluster-id -xyz` as a missing value; a draw starting with
    "-" (its bytes' first six bits all ones) is drawn again."""
    draws = iter([uuid.UUID(bytes=b"\xfb" + b"\x00" * 15), uuid.UUID(int=7)])
    monkeypatch.setattr(apache_kafka.uuid, "uuid4", lambda: next(draws))
    found = apache_kafka._cluster_id()
    assert found == "AAAAAAAAAAAAAAAAAAAABw" and len(found) == 22
    monkeypatch.undo()  # real draws: 2,000 of them hold a leading "-" 31 times on average
    assert all(not apache_kafka._cluster_id().startswith("-") for _ in range(2000))


def test_the_pom_pins_a_4x_kafka_and_names_the_cache(monkeypatch, tmp_path):
    version = kafka_version()
    assert version.split(".")[0] == "4"
    monkeypatch.delenv("WITNESS_KAFKA_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "witness" / f"kafka-{version}"
    monkeypatch.setenv("WITNESS_KAFKA_CACHE", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"


def test_a_filled_cache_needs_no_maven(monkeypatch, tmp_path):
    cache = tmp_path / "kafka"
    cache.mkdir()
    (cache / f"kafka_2.13-{kafka_version()}.jar").write_bytes(b"")
    assert not is_fetched(cache)  # jars without the completion mark: a half-done copy
    (cache / apache_kafka.COMPLETE_MARK).write_text(kafka_version())
    monkeypatch.setattr(apache_kafka.shutil, "which", lambda name: None)
    assert fetch(cache) == cache


def test_missing_maven_or_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(apache_kafka.shutil, "which", lambda name: None)
    with pytest.raises(BrokerError, match="install Maven.*WITNESS_KAFKA_CACHE"):
        fetch(tmp_path / "empty")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(BrokerError, match="Java 17"):
        apache_kafka.java_binary()


@pytest.mark.kafka
def test_a_bad_setting_fails_with_kafkas_reason(tmp_path):
    try:
        apache_kafka.java_binary()
        fetch()
    except BrokerError as exc:
        from tests.conftest import unavailable

        unavailable(f"Apache Kafka ({exc})")
    bad = ApacheKafka(1, workdir=tmp_path, extra_config={"log.cleaner.threads": "banana"})
    with pytest.raises(BrokerError, match="StorageTool format failed for node 1") as caught:
        bad.start(timeout=60)
    assert "banana" in str(caught.value)  # Kafka's own reason, not just "it failed"
    assert not any(n.alive for n in bad.nodes)


def _topic_config(cluster: ApacheKafka, topic: str) -> dict[str, str]:
    result = cluster._admin(
        lambda a: a.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
        )
    )
    configs = result["topic"][topic]
    return {k: str(v.get("value") if isinstance(v, dict) else v) for k, v in configs.items()}


@pytest.mark.kafka
def test_three_nodes_replicate_survive_a_kill_and_catch_up(kafka_cluster):
    topic = f"t{uuid.uuid4().hex[:8]}.replicated"
    kafka_cluster._admin(lambda a: a.create_topics([NewTopic(topic, 3, -1)]))
    (described,) = kafka_cluster._admin(lambda a: a.describe_topics([topic]))
    assert all(len(p["replica_nodes"]) == 3 for p in described["partitions"])
    assert _topic_config(kafka_cluster, topic)["min.insync.replicas"] == "2"

    kafka_cluster.kill(2)
    assert not kafka_cluster.node(2).alive
    producer = KafkaProducer(bootstrap_servers=kafka_cluster.bootstrap, acks="all", retries=50)
    futures = [producer.send(topic, key=str(i).encode(), value=b"v") for i in range(300)]
    producer.flush(60)
    assert all(f.get(timeout=60) for f in futures)  # two in-sync replicas are enough
    producer.close()
    assert 2 not in kafka_cluster.live_brokers()

    kafka_cluster.restart(2)
    assert kafka_cluster.live_brokers() == [1, 2, 3]
    kafka_cluster.wait_in_sync([topic], timeout=60)


@pytest.mark.kafka
def test_compaction_happens_within_seconds(kafka_cluster):
    """The registry-compaction fault test means nothing unless the cluster compacts."""
    topic = f"t{uuid.uuid4().hex[:8]}.compacted"
    kafka_cluster._admin(
        lambda a: a.create_topics(
            [NewTopic(topic, 1, -1, topic_configs={"cleanup.policy": "compact"})]
        )
    )
    producer = KafkaProducer(bootstrap_servers=kafka_cluster.bootstrap, acks="all")
    deadline = time.monotonic() + 60
    round_ = 0
    compacted = False
    consumer = make_consumer(kafka_cluster.bootstrap, None)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    try:
        while time.monotonic() < deadline and not compacted:
            for key in range(20):  # the same 20 keys again and again: 19 of 20 records are dirt
                producer.send(topic, key=b"k%d" % key, value=b"round %d" % round_)
            producer.flush(30)
            round_ += 1
            time.sleep(0.5)
            consumer.seek_to_beginning(tp)
            seen = []
            while True:
                batch = consumer.poll(timeout_ms=500).get(tp, [])
                if not batch:
                    break
                seen += batch
            compacted = len(seen) < 20 * round_
    finally:
        consumer.close()
        producer.close()
    assert compacted, f"no compaction after {round_} rounds of 20 keys"
    assert {r.key for r in seen} == {b"k%d" % k for k in range(20)}  # every key survives
