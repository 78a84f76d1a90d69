"""A broker error in the middle of a poll (records fetched, then the request that follows
fails) neither stops a service nor costs a record: the recorder reads again from the last
stored batch, the detector worker restarts its units from snapshots and commits, and both
go on (issue 12: never exit, never skip)."""

from __future__ import annotations

import threading
import time

import pytest
from kafka.errors import KafkaConnectionError

from detectors.offline import replay
from streams.recorder import Recorder
from streams.worker import DetectorWorker
from tests.streams.conftest import (
    SETTINGS,
    close_all,
    content,
    final_alerts,
    publish,
    settled,
    workload,
)
from tests.support.pipeline_run import wait_for
from witness.config import Settings
from witness.store import health as service_health

pytestmark = [pytest.mark.broker]


def _fail_after_fetching(consumer, times: int) -> dict:
    """Make `consumer.poll` drop `times` fetched batches on the floor and raise, as a
    broker error right after a fetch would."""
    real, left = consumer.poll, {"n": times}

    def poll(*args, **kw):
        batch = real(*args, **kw)
        if batch and left["n"] > 0:
            left["n"] -= 1
            raise KafkaConnectionError("injected: the broker went away")
        return batch

    consumer.poll = poll
    return left


def test_the_recorder_rides_out_a_broker_error_and_stores_every_event(broker, topics, store):
    facts, events = workload(bond_projects=6, shared_rep_projects=4)
    publish(broker, topics, facts + events)
    recorder = Recorder(broker, store, Settings(partitions=3), topics, group_id="rec-err")
    left = _fail_after_fetching(recorder.consumer, 2)
    thread = threading.Thread(target=recorder.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: store.count_events() == len(facts + events), timeout=90)
        assert left["n"] == 0 and thread.is_alive()
        row = service_health.rows(store.engine)[0]
        assert row.status == "degraded" or "broker" in (row.detail or "")
    finally:
        recorder.stop()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert len({e.event_id for e in store.events()}) == len(facts + events)


def test_the_worker_rides_out_a_broker_error_and_raises_replay_s_alerts(broker, topics):
    facts, events = workload(bond_projects=6, shared_rep_projects=4)
    publish(broker, topics, facts)
    publish(broker, topics, events)
    worker = DetectorWorker(broker, SETTINGS, topics, group_id=f"{topics.prefix}g")
    left = _fail_after_fetching(worker.consumer, 2)
    deadline = time.monotonic() + 180

    def finished() -> bool:  # asked by the loop, in its own thread (consumers are not shared)
        return time.monotonic() > deadline or (left["n"] == 0 and settled([worker]))

    try:
        worker.run(until=finished)  # raises if a broker error stopped it
        assert left["n"] == 0, "the injected errors never happened"
        assert time.monotonic() <= deadline, "the worker never settled after the errors"
    finally:
        close_all([worker])
    assert content(final_alerts(broker, topics)) == content(replay(facts + events))
