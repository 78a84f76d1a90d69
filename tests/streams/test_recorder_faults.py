"""The recorder under database faults: an outage pauses it and costs nothing, a row the
database refuses costs only itself, and it commits only what it stored."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from kafka import TopicPartition

from streams.bus import Producer, ensure_topics, make_consumer
from streams.recorder import RECORDER_GROUP, Recorder
from tests.streams.conftest import FailingWrites, TcpProxy, pg_via
from tests.support.pipeline_run import bond_project, cli_env, start_witness, wait_for
from witness.config import Settings
from witness.store import Store
from witness.store import health as service_health
from witness.store.models import DeadLetter

pytestmark = [pytest.mark.broker]


def _events(tag: str, projects: int = 3):
    out = []
    for p in range(projects):
        out += bond_project(f"JY-{tag}{p}", ["same", "same", "x"])
    return out


def _publish(broker, topics, events) -> None:
    ensure_topics(broker, topics, partitions=1)
    producer = Producer(broker, topics)
    for e in events:
        producer.publish(e)
    producer.flush()
    producer.close()


def _committed(broker, group: str, topic: str) -> int | None:
    consumer = make_consumer(broker, group)
    try:
        return consumer.committed(TopicPartition(topic, 0))
    finally:
        consumer.close()


class Running:
    """A recorder loop on a thread, stopped on demand; its exception kept."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.recorder.run()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            self.error = exc

    def stop(self) -> None:
        self.recorder.stop()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def _recorder(broker, store, topics, group: str) -> Recorder:
    return Recorder(broker, store, Settings(partitions=1), topics, group_id=group)


def test_the_default_recorder_commits_in_its_prefixed_group(broker, topics, store):
    """Without a group named, the recorder joins `<prefix>witness-recorder` and commits there
    what it stored (a groupless consumer would store it all and commit nothing)."""
    events = _events("DEF")
    _publish(broker, topics, events)
    recorder = Recorder(broker, store, Settings(partitions=1), topics)
    assert recorder.group_id == f"{topics.prefix}{RECORDER_GROUP}" != RECORDER_GROUP
    running = Running(recorder)
    try:
        assert wait_for(lambda: store.count_events() == len(events), timeout=60)
        assert wait_for(
            lambda: _committed(broker, recorder.group_id, topics.events) == len(events),
            timeout=30,
        )
    finally:
        running.stop()
    assert running.error is None
    assert _committed(broker, RECORDER_GROUP, topics.events) is None  # no other group's


def test_an_outage_pauses_the_recorder_reports_it_and_loses_nothing(
    broker, topics, store, monkeypatch
):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    events = _events("OUT")
    _publish(broker, topics, events)
    outage = {"down": True}
    failing = FailingWrites(store, lambda: outage["down"])
    running = Running(_recorder(broker, store, topics, "rec-out"))
    try:
        assert wait_for(lambda: failing.failed >= 3, timeout=60)
        assert store.count_events() == 0
        assert _committed(broker, "rec-out", topics.events) is None  # nothing past the store
        (row,) = service_health.rows(store.engine)
        assert (row.service, row.status) == ("recorder", "degraded")
        assert "store unavailable" in row.detail and "injected outage" in row.detail

        from witness.commands.doctor import Findings
        from witness.commands.doctor_services import check_services

        found = Findings()
        check_services(found, store.engine)
        assert [f.level for f in found.items] == ["fail"]
        assert "cannot write to the database since" in found.items[0].message

        outage["down"] = False
        assert wait_for(lambda: store.count_events() == len(events), timeout=60)
        assert wait_for(
            lambda: _committed(broker, "rec-out", topics.events) == len(events), timeout=30
        )
        (row,) = service_health.rows(store.engine)
        assert row.status == "ok" and row.detail.startswith("recovered after a ")
        monkeypatch.setattr(service_health, "HEARTBEAT", timedelta(milliseconds=300))
        beat = row.updated_at
        assert wait_for(lambda: service_health.rows(store.engine)[0].updated_at > beat, timeout=20)
        (row,) = service_health.rows(store.engine)  # a heartbeat keeps the outage's story
        assert row.status == "ok" and row.detail.startswith("recovered after a ")
    finally:
        running.stop()
    assert running.error is None
    assert running.recorder.stats.store_retries >= 3
    assert len({e.event_id for e in store.events()}) == len(events)
    assert service_health.rows(store.engine)[0].status == "stopped"


def test_a_broker_that_does_not_answer_is_reported_and_the_recorder_goes_on(
    broker, topics, store, monkeypatch
):
    """No answer from Kafka (the heartbeat's end-offsets request times out): `degraded`,
    "broker unreachable", doctor names Kafka; once it answers: ok, the outage kept in
    the detail, and what was published meanwhile is stored."""
    from kafka.errors import KafkaTimeoutError

    from witness.commands.doctor import Findings
    from witness.commands.doctor_services import check_services

    monkeypatch.setenv("WITNESS_LOCALE", "en")
    monkeypatch.setattr(service_health, "HEARTBEAT", timedelta(milliseconds=300))
    first, second = _events("BK1"), _events("BK2")
    _publish(broker, topics, first)
    recorder = _recorder(broker, store, topics, "rec-broker")
    down = {"now": False}
    end_offsets = recorder.consumer.end_offsets

    def unanswered(partitions, timeout_ms=None):
        if down["now"]:
            raise KafkaTimeoutError(f"no answer within {timeout_ms} ms (injected)")
        return end_offsets(partitions, timeout_ms=timeout_ms)

    monkeypatch.setattr(recorder.consumer, "end_offsets", unanswered)
    running = Running(recorder)
    try:
        assert wait_for(lambda: store.count_events() == len(first), timeout=60)
        down["now"] = True

        def row():
            return service_health.rows(store.engine)[0]

        assert wait_for(lambda: row().status == "degraded", timeout=30)
        assert row().detail.startswith("broker unreachable for ") and "injected" in row().detail
        found = Findings()
        check_services(found, store.engine)
        assert [f.level for f in found.items] == ["fail"]
        assert "cannot reach Kafka since" in found.items[0].message

        down["now"] = False
        assert wait_for(lambda: row().status == "ok", timeout=30)
        assert row().detail.startswith("recovered after a ") and "broker outage" in row().detail
        _publish(broker, topics, second)
        assert wait_for(lambda: store.count_events() == len(first) + len(second), timeout=60)
    finally:
        running.stop()
    assert running.error is None


def test_database_refusing_connections_mid_stream_then_a_restart(broker, topics, pg_url):
    """PostgreSQL goes away (connections cut and refused) while the recorder runs; it is
    stopped during the outage; the next recorder finds every event still to be stored."""
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    proxy = TcpProxy(u.host, u.port or 5432).accept()
    direct = Store(pg_url)
    first, second = _events("PG1"), _events("PG2")
    _publish(broker, topics, first)
    running = Running(_recorder(broker, Store(pg_via(proxy, pg_url)), topics, "rec-pg"))
    try:
        assert wait_for(lambda: direct.count_events() == len(first), timeout=60)
        assert wait_for(
            lambda: _committed(broker, "rec-pg", topics.events) == len(first), timeout=30
        )
        proxy.refuse()
        _publish(broker, topics, second)
        assert wait_for(lambda: running.recorder.stats.store_retries >= 2, timeout=90)
    finally:
        running.stop()
    assert running.error is None
    assert direct.count_events() == len(first)
    assert _committed(broker, "rec-pg", topics.events) == len(first)  # not one record more

    proxy.accept()
    again = Running(_recorder(broker, direct, topics, "rec-pg"))
    try:
        everything = first + second
        assert wait_for(lambda: direct.count_events() == len(everything), timeout=60)
    finally:
        again.stop()
        proxy.close()
    assert sorted(e.event_id for e in direct.events()) == sorted(e.event_id for e in everything)
    assert direct.verify_chain("JY-PG20") is None


def test_the_recorder_gives_up_with_a_nonzero_exit_and_loses_nothing(broker, topics, pg_url):
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    proxy = TcpProxy(u.host, u.port or 5432).accept()
    direct = Store(pg_url)
    env = cli_env(broker, pg_via(proxy, pg_url), topics.prefix, WITNESS_STORE_GIVE_UP_S="4")
    proc = start_witness("run", "--role", "recorder", env=env)
    try:
        assert wait_for(lambda: len(service_health.rows(direct.engine)) == 1, timeout=60)
        proxy.refuse()
        _publish(broker, topics, _events("GU", projects=1))
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=30)
        proxy.close()
    assert rc == 1
    stderr = err.decode()
    assert "the store is unavailable" in stderr and "gave up" in stderr
    assert direct.count_events() == 0
    assert _committed(broker, f"{topics.prefix}{RECORDER_GROUP}", topics.events) is None


def _refuse_poison(store) -> None:
    """A trigger that refuses one event: a row the database will not take."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON events "
                "WHEN NEW.event_id LIKE '%poison%' "
                "BEGIN SELECT RAISE(ABORT, 'poison refused by a trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                "IF position('poison' in NEW.event_id) > 0 THEN "
                "RAISE EXCEPTION 'poison refused by a trigger'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON events "
                "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            )


def test_a_refused_row_is_dead_lettered_and_the_rest_of_the_batch_stored(broker, topics, store):
    events = _events("BAD", projects=5)
    poison = events[9].model_copy(update={"event_id": "JY-BAD2-poison"})
    events[9] = poison
    _refuse_poison(store)
    _publish(broker, topics, events)
    running = Running(_recorder(broker, store, topics, "rec-bad"))
    try:
        assert wait_for(lambda: store.count_events() == len(events) - 1, timeout=60)
        assert wait_for(
            lambda: _committed(broker, "rec-bad", topics.events) == len(events), timeout=30
        )
        time.sleep(0.5)
        assert running.thread.is_alive()  # the recorder goes on
    finally:
        running.stop()
    assert running.error is None and running.recorder.stats.refused == 1
    with store.session() as s:
        from sqlalchemy import select

        (dead,) = s.execute(select(DeadLetter)).scalars().all()
    assert (dead.topic, dead.offset, dead.stage) == (topics.events, 9, "store")
    assert "the store refused this event" in dead.error
    assert "poison refused by a trigger" in dead.error
    assert dead.raw_preview == poison.to_json()
    stored = {e.event_id for e in store.events()}
    assert stored == {e.event_id for e in events} - {poison.event_id}
    for p in range(5):
        assert store.verify_chain(f"JY-BAD{p}") is None
