"""The embedded broker's end offset of a partition is its last batch's base + 1. A rooms
unit whose frames partition stands inside that last batch, and is then left unfed for a
while (a poll cut short, a fetcher busy elsewhere), must still wait for those frames."""

from __future__ import annotations

import time

import pytest

from tests.streams.conftest import close_all, content, day, expected, final_alerts, run_day, workers

pytestmark = [pytest.mark.broker]


def starve_frames_inside_last_batch(monkeypatch, frames_topic: str, seconds: float) -> list:
    """Once a poll hands a frames partition records at or past its (low) end offset but
    short of the fetch's high watermark, the partition is put back at that end offset and
    left unfed for `seconds`: it then stands inside its last batch with records to come."""
    import streams.worker as worker_module

    real = worker_module.poll
    starved: dict = {}  # tp -> until (monotonic)
    seen: list = []

    def polling(consumer, timeout_ms, **kw):
        batch = real(consumer, timeout_ms, **kw)
        now = time.monotonic()
        for tp in [tp for tp in batch if tp.topic == frames_topic and batch[tp]]:
            recs = batch[tp]
            if tp in starved:
                if now < starved[tp]:
                    consumer.seek(tp, batch.pop(tp)[0].offset)
                continue
            low = consumer.end_offsets([tp])[tp]
            high = consumer.highwater(tp)
            if high is None or low >= high or not recs[0].offset <= low <= recs[-1].offset:
                continue
            keep = [r for r in recs if r.offset < low]
            consumer.seek(tp, low)
            if keep:
                batch[tp] = keep
            else:
                batch.pop(tp)
            starved[tp] = now + seconds
            seen.append((tp, low, high))
        return batch

    monkeypatch.setattr(worker_module, "poll", polling)
    return seen


def test_a_frames_partition_inside_its_last_batch_is_waited_for(
    broker, topics, state_store, monkeypatch
):
    seen = starve_frames_inside_last_batch(monkeypatch, topics.frames, 8.0)
    group = workers(broker, topics, 1, state_store)
    try:
        run_day(broker, topics, group, day())
    finally:
        close_all(group)
    assert seen, "no frames partition was caught inside its last batch"
    assert content(final_alerts(broker, topics)) == expected([list(day())])


@pytest.fixture
def state_store(sqlite_url):
    from witness.store import DetectorStateStore, Store

    store = Store(sqlite_url)
    yield DetectorStateStore(store.engine)
    store.close()
