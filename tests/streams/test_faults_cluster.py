"""The fault suite (issue 12, item 8) on a 3-node Apache Kafka cluster and PostgreSQL.

Each scenario streams a workload through `witness ingest` and `witness run`, injects one
fault mid-stream, and ends with the same audit (streams/delivery_audit.py): every event
once in the store, exactly the alerts `witness replay` gives for the same events, every
chain verifies, every registry fact still there. The figures are printed at the end of the
run ("fault suite figures"). `-m "not faults"` leaves the suite out locally.
"""

from __future__ import annotations

import time

import pytest
from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType

from detectors.offline import replay
from streams.delivery_audit import audit, read_partitions, read_whole_topic, wait_recorded
from tests.streams.conftest import Stream, TcpProxy, chunks, pg_via, wait_until, workload
from tests.support.relation_events import relation
from witness.store import Store

pytestmark = [pytest.mark.kafka, pytest.mark.faults, pytest.mark.slow]

SLICES = 10


def _leader_of(cluster, topic: str, partition: int = 0) -> int:
    (described,) = cluster._admin(lambda a: a.describe_topics([topic]))
    return next(
        p["leader_id"] for p in described["partitions"] if p["partition_index"] == partition
    )


def _topic_exists(cluster, topic: str) -> bool:
    try:
        (described,) = cluster._admin(lambda a: a.describe_topics([topic]), attempts=2)
    except Exception:
        return False
    return described["error_code"] == 0 and bool(described["partitions"])


def _finish(stream: Stream, store: Store, scenario: str, sent, expected, fault_figures, **kw):
    """Wait for the stream to land, check `witness run` survived, audit, print figures."""
    stream.wait_fed()
    wait_recorded(store, len(sent), len(expected))
    survived = stream.alive()
    code, err = stream.stop()
    report = audit(scenario, store, sent, expected, **kw)
    fault_figures(report.figures())
    assert not stream.ingest_failures, stream.ingest_failures
    assert survived, f"`witness run` died during the fault (exit {code}):\n{err}"
    assert report.ok, "\n".join(
        [report.figures(), *report.problems(), "`witness run` said:", err[-1500:]]
    )
    return report


@pytest.fixture
def started():
    """Streams a test started; stopped at the end whatever happened."""
    streams: list[Stream] = []
    yield streams
    for stream in streams:
        stream.stop()


def _stream_mid_fault(cluster, pg_url, topics, tmp_path, started, *, db_url: str | None = None):
    facts, events = workload(bond_projects=300, shared_rep_projects=60)
    store = Store(pg_url)
    stream = Stream(cluster.bootstrap, db_url or pg_url, topics.prefix, tmp_path)
    started.append(stream)
    stream.run()
    stream.ingest(facts, "facts")
    if not wait_recorded(store, len(facts), 0, timeout=120):
        code, err = stream.stop()
        raise AssertionError(f"registry facts never recorded (`witness run` exit {code}):\n{err}")
    return facts, events, store, stream


def test_kill_9_one_broker_mid_stream(
    kafka_cluster, pg_url, topics, tmp_path, fault_figures, started
):
    facts, events, store, stream = _stream_mid_fault(
        kafka_cluster, pg_url, topics, tmp_path, started
    )
    stream.feed(chunks(events, SLICES))
    stream.wait_stored(store, len(facts) + len(events) // 4)
    victim = _leader_of(kafka_cluster, topics.events)
    kafka_cluster.kill(victim)
    assert wait_until(lambda: victim not in kafka_cluster.live_brokers(), 30)
    time.sleep(5)  # the stream goes on over two brokers
    kafka_cluster.restart(victim)
    sent = facts + events
    _finish(stream, store, "kill -9 a broker", sent, replay(sent), fault_figures)


def test_database_refuses_connections_for_30_s(
    kafka_cluster, pg_url, topics, tmp_path, fault_figures, started
):
    proxy = TcpProxy(*_host_port(pg_url)).accept()
    try:
        facts, events, store, stream = _stream_mid_fault(
            kafka_cluster, pg_url, topics, tmp_path, started, db_url=pg_via(proxy, pg_url)
        )
        stream.feed(chunks(events, SLICES))
        stream.wait_stored(store, len(facts) + len(events) // 4)
        proxy.refuse()
        outage_start = store.count_events()
        time.sleep(30)
        assert store.count_events() == outage_start, "the recorder wrote past the proxy"
        proxy.accept()
        sent = facts + events
        _finish(stream, store, "database down 30 s", sent, replay(sent), fault_figures)
    finally:
        proxy.close()


def _host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def test_alert_sends_fail_for_a_while(
    kafka_cluster, pg_url, topics, tmp_path, fault_figures, started
):
    """The alerts topic needs 3 in-sync replicas; with one node down every alert send fails
    with NOT_ENOUGH_REPLICAS (longer than the producer retries), then succeeds again."""
    facts, events, store, stream = _stream_mid_fault(
        kafka_cluster, pg_url, topics, tmp_path, started
    )
    assert wait_until(lambda: _topic_exists(kafka_cluster, topics.alerts), 60)
    strict = ConfigResource(
        ConfigResourceType.TOPIC,
        topics.alerts,
        configs={"min.insync.replicas": (AlterConfigOp.SET, "3")},
    )
    kafka_cluster._admin(lambda a: a.alter_configs([strict]))
    victim = 1 + (_leader_of(kafka_cluster, topics.alerts) % 3)  # not the alerts' leader
    kafka_cluster.kill(victim)
    assert wait_until(lambda: kafka_cluster.under_replicated([topics.alerts]), 30)
    stream.feed(chunks(events, SLICES))
    stream.wait_stored(store, len(facts) + len(events) // 2)
    time.sleep(10)  # alerts keep failing while events are recorded
    kafka_cluster.restart(victim)
    kafka_cluster.wait_in_sync([topics.alerts], timeout=60)
    sent = facts + events
    _finish(stream, store, "alert sends fail", sent, replay(sent), fault_figures)


def test_registry_facts_survive_compaction_while_running(
    kafka_cluster, pg_url, topics, tmp_path, fault_figures, started
):
    """Each fact is published once, as a registry feed would. Filler facts published again
    and again (the same facts: dirt under any key scheme) roll the segments and give the
    cleaner work until every partition holding a fact has been compacted; then `witness
    run` restarts, rebuilds its registry from the compacted topic, and the second half of
    the projects arrives."""
    facts, events, store, stream = _stream_mid_fault(
        kafka_cluster, pg_url, topics, tmp_path, started
    )
    half = chunks(events, 2)
    stream.ingest(half[0], "first-half")
    filler = [relation(f"F-{i}", f"F-{i}-CO", "employment") for i in range(24)]
    rounds = 0

    fact_ids, filler_ids = {e.event_id for e in facts}, {e.event_id for e in filler}

    def compacted() -> bool:
        """Every partition that holds a fact has fewer filler records than were sent to it."""
        nonlocal rounds
        time.sleep(2.5)  # past log.roll.ms: this append starts a new segment
        stream.ingest(filler, f"filler-{rounds}")
        rounds += 1
        done = True
        for evs in read_partitions(kafka_cluster.bootstrap, topics.registry).values():
            if not any(e.event_id in fact_ids for e in evs):
                continue
            copies = [e.event_id for e in evs if e.event_id in filler_ids]
            done &= 0 < len(copies) < rounds * len(set(copies))
        return done

    assert wait_until(compacted, 120, interval=0), "the registry topic was never compacted"
    code, err = stream.stop()
    assert code == 0, err
    stream.run()  # a fresh worker: its registry is whatever compaction left
    stream.ingest(half[1], "second-half")
    sent = facts + filler + events
    on_topic = read_whole_topic(kafka_cluster.bootstrap, topics.registry)
    _finish(
        stream,
        store,
        f"registry compacted ({rounds} filler rounds)",
        sent,
        replay(sent),
        fault_figures,
        registry_on_topic=on_topic,
    )
