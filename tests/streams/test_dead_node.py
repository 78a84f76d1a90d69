"""One node of the cluster dead: nothing waits on it for long, and nothing exits for it.

Right after a kill -9 the cluster's metadata still names the dead node (until it is
fenced) and its partitions have no leader (until one is elected). kafka-python's admin
client sends a request to one node without failing over, and `end_offsets` /
`position` wait up to a request timeout (30 s) each. These pin the two causes of the
broker-kill fault test's flakes (tests/streams/test_faults_cluster.py): `witness ingest`
exiting on ECONNREFUSED from `ensure_topics`, and a worker whose polls each waited a
request timeout per partition while a leader was gone.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from kafka import TopicPartition
from kafka.errors import InvalidReplicationFactorError, KafkaConnectionError, KafkaTimeoutError

import streams.bus as bus
from streams import global_tables
from streams.topics import Topics
from streams.worker import END_OFFSETS_TIMEOUT_MS, DetectorWorker


class _FlakyAdmin:
    """A KafkaAdminClient whose first `fail` requests go to a node that refuses."""

    made = 0
    fail = 0
    error: Exception = KafkaConnectionError("111 ECONNREFUSED")
    created: list[str] = []

    def __init__(self, **_config) -> None:
        type(self).made += 1

    def list_topics(self):
        if type(self).fail > 0:
            type(self).fail -= 1
            raise type(self).error
        return list(type(self).created)

    def create_topics(self, new):
        type(self).created.extend(t.name for t in new)

    def close(self) -> None:
        pass


@pytest.fixture
def flaky_admin(monkeypatch):
    monkeypatch.setattr(bus, "KafkaAdminClient", _FlakyAdmin)
    monkeypatch.setattr(bus.time, "sleep", lambda _s: None)
    _FlakyAdmin.made, _FlakyAdmin.fail, _FlakyAdmin.created = 0, 0, []
    _FlakyAdmin.error = KafkaConnectionError("111 ECONNREFUSED")
    return _FlakyAdmin


def test_ensure_topics_rides_out_a_node_that_refuses(flaky_admin):
    flaky_admin.fail = 3
    topics = Topics("t.")
    created = bus.ensure_topics("127.0.0.1:1,127.0.0.1:2", topics, 3, 3)
    assert sorted(created) == sorted(topics.all())
    assert flaky_admin.made == 4  # a fresh client (and node) for each try


def test_ensure_topics_gives_up_after_its_patience(flaky_admin):
    flaky_admin.fail = 10**6
    with pytest.raises(KafkaConnectionError):
        bus.ensure_topics("127.0.0.1:1", Topics("t."), 3, 3, patience_s=0.0)


def test_ensure_topics_does_not_retry_what_retrying_cannot_fix(flaky_admin):
    flaky_admin.fail, flaky_admin.error = 5, InvalidReplicationFactorError("3 > 2 brokers")
    with pytest.raises(InvalidReplicationFactorError):
        bus.ensure_topics("127.0.0.1:1", Topics("t."), 3, 3)
    assert flaky_admin.made == 1


class _LeaderGone:
    """A consumer whose end offsets nobody answers: it waits the timeout it is given
    (the request timeout, 30 s, if none) and then raises, as kafka-python does."""

    def __init__(self) -> None:
        self.asked: list[int | None] = []  # every request's timeout
        self.ends_asked: list[int | None] = []

    def end_offsets(self, tps, timeout_ms=None):
        self.asked.append(timeout_ms)
        self.ends_asked.append(timeout_ms)
        time.sleep((30_000 if timeout_ms is None else timeout_ms) / 1000)
        raise KafkaTimeoutError("Failed to get offsets by timestamps")

    def position(self, tp, timeout_ms=None):
        self.asked.append(timeout_ms)
        time.sleep((30_000 if timeout_ms is None else timeout_ms) / 1000)
        return None


def test_a_worker_s_catch_up_check_asks_once_a_poll_within_its_timeout():
    """Six partitions of three units, none fed: the leader-gone answer costs one bounded
    request for the whole poll, and no partition counts as caught up."""
    tps = [TopicPartition(t, p) for t in ("e", "f") for p in range(3)]
    units = {f"u{p}": SimpleNamespace(tps=[tps[p], tps[p + 3]]) for p in range(3)}
    consumer = _LeaderGone()
    worker = SimpleNamespace(
        _fed=set(), _ends={}, _known_ends={}, _ends_stale=False, units=units, consumer=consumer
    )
    started = time.monotonic()
    answers = [DetectorWorker._caught_up(worker, tp) for tp in tps]
    took = time.monotonic() - started
    assert answers == [None] * len(tps)  # unknown: the merge waits (a while)
    assert consumer.ends_asked == [END_OFFSETS_TIMEOUT_MS]
    assert took < 2 * END_OFFSETS_TIMEOUT_MS / 1000


def test_a_reference_table_s_read_to_end_is_bounded_when_no_leader_answers():
    """The registry/corpus read gives up within its budget and says it is not caught up
    (the worker then judges nothing and asks again next poll)."""
    table = SimpleNamespace(
        tps=[TopicPartition("r", 0)], consumer=_LeaderGone(), label="registry", caught_up=True
    )
    started = time.monotonic()
    read = global_tables.TableFeed.read_to_end(table, 1.0)
    assert time.monotonic() - started < 3
    assert read == 0 and table.caught_up is False
    assert all(t is not None and t <= 1000 for t in table.consumer.asked)


class _FlakyMetadata:
    """A consumer whose metadata requests first go to a node that refuses."""

    def __init__(self, fail: int, error: Exception | None = None) -> None:
        self.fail, self.asked = fail, 0
        self.error = error or KafkaConnectionError("111 ECONNREFUSED")

    def partitions_for_topic(self, topic: str):
        self.asked += 1
        if self.fail > 0:
            self.fail -= 1
            raise self.error
        return {0, 1, 2}


def test_a_table_or_worker_starting_rides_out_a_node_that_refuses(monkeypatch):
    # the fault suite's `witness run` died here once: the registry table asked a node
    # killed by the test before for its partitions
    monkeypatch.setattr(bus.time, "sleep", lambda _s: None)
    consumer = _FlakyMetadata(fail=3)
    assert bus.partitions_of(consumer, "witness.registry") == {0, 1, 2}
    assert consumer.asked == 4


def test_partitions_of_gives_up_after_its_patience_and_never_retries_a_final_error(monkeypatch):
    monkeypatch.setattr(bus.time, "sleep", lambda _s: None)
    with pytest.raises(KafkaConnectionError):
        bus.partitions_of(_FlakyMetadata(fail=10**6), "t", patience_s=0.0)
    final = _FlakyMetadata(fail=1, error=InvalidReplicationFactorError("no"))
    with pytest.raises(InvalidReplicationFactorError):
        bus.partitions_of(final, "t")
    assert final.asked == 1
