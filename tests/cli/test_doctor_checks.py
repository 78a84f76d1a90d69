"""`witness doctor` against a real broker and real databases."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from witness.cli import main
from witness.store.migrate import head_revision, upgrade
from witness.store.store import make_engine


@pytest.fixture
def broker(any_broker):
    """Doctor's checks hold on the embedded broker and on Apache Kafka."""
    return any_broker


@pytest.fixture
def env(monkeypatch, broker, topics, sqlite_url):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    monkeypatch.setenv("WITNESS_KAFKA_BOOTSTRAP", broker)
    monkeypatch.setenv("WITNESS_TOPIC_PREFIX", topics.prefix)
    monkeypatch.setenv("WITNESS_PARTITIONS", "2")
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    return monkeypatch


def _doctor(capsys, *args) -> tuple[int, str]:
    rc = main(["doctor", "--timeout", "3", *args])
    return rc, capsys.readouterr().out


def test_missing_topics_and_database_then_fix(env, topics, capsys, sqlite_url):
    rc, out = _doctor(capsys)
    assert rc == 1
    for name in topics.all():
        assert f"topic {name} does not exist" in out
    assert "`witness run` once" in out
    assert "does not exist" in out.split("database")[-1] or "SQLite database file" in out

    rc, out = _doctor(capsys, "--fix")
    assert rc == 0, out
    assert "created topics" in out and "all checks passed" in out
    for name in topics.all():
        assert f"topic {name}: 2 partition(s)" in out
    assert f"newest revision {head_revision()}" in out


def test_co_partitioning_mismatch_fails(env, broker, topics, capsys):
    admin = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=10_000)
    try:
        for name in topics.all():
            n = 3 if name == topics.sessions else 2
            admin.create_topics([NewTopic(name, n, 1)])
    finally:
        admin.close()
    rc, out = _doctor(capsys, "--fix")  # --fix migrates the db, leaves topics alone
    assert rc == 1
    assert f"{topics.frames} (2 partitions) and {topics.sessions} (3 partitions) differ" in out
    assert "--partitions 3" in out


def test_fewer_partitions_than_configured_is_a_warning(env, topics, capsys, monkeypatch):
    rc, _ = _doctor(capsys, "--fix")
    assert rc == 0
    monkeypatch.setenv("WITNESS_PARTITIONS", "4")
    rc, out = _doctor(capsys)
    assert rc == 0
    assert f"topic {topics.events} has 2 partition(s), fewer than WITNESS_PARTITIONS=4" in out
    assert "kafka-topics.sh" in out


def test_unreachable_or_unset_broker_fails_fast(env, capsys, monkeypatch):
    from streams.broker import free_port

    monkeypatch.setenv("WITNESS_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    start = time.monotonic()
    rc, out = _doctor(capsys)
    assert rc == 1 and "cannot reach the broker" in out and "KAFKA_ADVERTISED_LISTENERS" in out
    assert time.monotonic() - start < 20
    monkeypatch.delenv("WITNESS_KAFKA_BOOTSTRAP")
    rc, out = _doctor(capsys)
    assert rc == 1 and "WITNESS_KAFKA_BOOTSTRAP is empty" in out


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    monkeypatch.delenv("WITNESS_KAFKA_BOOTSTRAP", raising=False)


def _db_lines(out: str) -> str:
    return "\n".join(line for line in out.splitlines() if "database" in line.lower())


def test_database_states(store, capsys, monkeypatch, no_broker):
    """Fresh (migrated) database is ok; an empty one and an old revision are named."""
    db_url = store.url
    store.close()
    monkeypatch.setenv("WITNESS_DATABASE_URL", db_url)
    _, out = _doctor(capsys)
    assert f"newest revision {head_revision()}" in _db_lines(out)

    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
    _, out = _doctor(capsys)
    assert "has no schema yet" in out and "witness doctor --fix" in out

    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('0001')")
    rc, out = _doctor(capsys)
    assert rc == 1
    if head_revision() != "0001":
        assert f"revision 0001; this version of witness needs {head_revision()}" in out
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    _, out = _doctor(capsys)
    assert "newer than this witness" in out
    engine.dispose()


def test_unreachable_database_is_named_without_password(capsys, monkeypatch, no_broker):
    from streams.broker import free_port

    monkeypatch.setenv(
        "WITNESS_DATABASE_URL", f"postgresql://witness:s3cret@127.0.0.1:{free_port()}/witness"
    )
    rc, out = _doctor(capsys)
    assert rc == 1 and "cannot reach the database" in out
    assert "s3cret" not in out and "WITNESS_DATABASE_URL" in out


def test_zh_is_the_default(capsys, monkeypatch, sqlite_url):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    monkeypatch.delenv("WITNESS_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    engine = make_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    rc, out = _doctor(capsys)
    assert rc == 1 and "未配置消息代理" in out and "结构版本" in out


def test_registry_topic_must_be_compacted(env, broker, topics, capsys):
    admin = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=10_000)
    try:
        for name in topics.all():
            config = {"cleanup.policy": "delete"} if name == topics.registry else {}
            if name == topics.sessions:
                config = {"cleanup.policy": "compact"}
            admin.create_topics([NewTopic(name, 2, 1, topic_configs=config)])
    finally:
        admin.close()
    rc, out = _doctor(capsys, "--fix")
    assert rc == 1
    assert f"topic {topics.registry} has cleanup.policy=delete, it must be compact" in out
    assert f"--entity-name {topics.registry} --add-config cleanup.policy=compact" in out
    # The sessions were compacted by room before: a rebuild then lost a room's earlier
    # sessions (an opening's start) and judged its frames with no session.
    assert f"topic {topics.sessions} has cleanup.policy=compact, it must not be compacted" in out
    assert f"--entity-name {topics.sessions} --add-config cleanup.policy=delete" in out


@pytest.mark.parametrize("kept", ["events", "sessions"])
def test_rebuilt_from_topics_must_keep_everything(env, broker, topics, capsys, kept):
    """Workers rebuild state by re-reading witness.events and witness.sessions from
    their start."""
    topic = getattr(topics, kept)
    admin = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=10_000)
    try:
        for name in topics.all():
            config = {"cleanup.policy": "compact"} if name in topics.compacted() else {}
            if name == topic:
                config = {"retention.ms": str(7 * 24 * 3600 * 1000)}
            admin.create_topics([NewTopic(name, 2, 1, topic_configs=config)])
    finally:
        admin.close()
    rc, out = _doctor(capsys, "--fix")
    assert rc == 1
    assert f"topic {topic} has retention.ms=604800000, it must be -1" in out
    assert f"--entity-name {topic} --add-config retention.ms=-1" in out


def test_fresh_topics_pass_the_retention_and_key_checks(env, broker, topics, capsys):
    rc, out = _doctor(capsys, "--fix")
    assert rc == 0, out
    assert "retention" not in out and "not keyed by their fact" not in out


def test_registry_keyed_the_old_way_warns_then_fix_rekeys(env, broker, topics, capsys, sqlite_url):
    """An old deployment keyed facts by `a`: doctor says so, --fix moves it over."""
    from detectors.registry import Registry
    from streams.bus import Producer
    from tests.support.pipeline_run import read_topic
    from witness.events import make_event
    from witness.store import Store

    rc, _ = _doctor(capsys, "--fix")
    assert rc == 0
    person = "110101199001011234"
    facts = [
        make_event(
            "registry.relation",
            "*",
            "2026-10-01T00:00:00+08:00",
            {"a": person, "b": company, "kind": "legal_rep", "source": "SAMR"},
        )
        for company in ("A", "B", "C")
    ]
    producer = Producer(broker, topics)
    for fact in facts[1:]:  # A's fact was compacted away under the old key; the store has it
        producer.send_raw(topics.registry, person.encode(), fact.to_bytes())
    producer.flush()
    producer.close()
    store = Store(sqlite_url)
    store.write(facts)
    store.close()

    rc, out = _doctor(capsys)
    assert rc == 0  # a warning: nothing is lost yet, but compaction will lose facts
    assert f"2 of 2 sampled records on {topics.registry} are not keyed by their fact" in out
    assert f"(e.g. {person})" in out and "witness doctor --fix" in out

    rc, out = _doctor(capsys, "--fix")
    assert rc == 0, out
    assert "re-published 3 registry fact(s) under their fact keys, tombstoned 1 old key(s)" in out
    assert "all keyed by their fact" in out and "not keyed by their fact" not in out

    records = read_topic(broker, topics.registry, expect=6)
    last = {}
    for rec in records:  # what compaction keeps: the last record per key
        last[rec.key] = rec.value
    assert last[person.encode()] is None  # the old key's tombstone
    registry = Registry()
    from witness.events import parse_event

    for value in last.values():
        if value is not None:
            registry.add(parse_event(value).payload)
    assert sorted(r.b for r in registry.outgoing(person)) == ["A", "B", "C"]
    assert {k.decode() for k, v in last.items() if v is not None} == {f.key for f in facts}

    rc, out = _doctor(capsys, "--fix")  # a second run finds nothing to do
    assert "re-published" not in out


def test_the_recorder_s_last_report_is_checked(store, capsys, monkeypatch, no_broker):
    """Degraded (cannot write) fails; gave up or gone silent warns; a heartbeat is ok."""
    from datetime import timedelta

    from sqlalchemy import update

    from witness.store import health
    from witness.store.models import ServiceHealth, utcnow

    monkeypatch.setenv("WITNESS_DATABASE_URL", store.url)
    health.report(store.engine, "recorder", "ok")
    _, out = _doctor(capsys)
    assert "recorder (" in out and "is healthy" in out

    health.report(store.engine, "recorder", "degraded", "store unavailable for 40 s: disk full")
    rc, out = _doctor(capsys)
    assert rc == 1
    assert "cannot write to the database since" in out and "disk full" in out
    assert "keeps its place in Kafka" in out

    health.report(store.engine, "recorder", "failed", "the store was unavailable for 900 s")
    _, out = _doctor(capsys)
    assert "gave up at" in out and "restart `witness run`" in out

    health.report(store.engine, "recorder", "ok")
    with store.session() as s:
        s.execute(update(ServiceHealth).values(updated_at=utcnow() - timedelta(minutes=7)))
        s.commit()
    _, out = _doctor(capsys)
    assert "has not reported for 7 minute(s)" in out
