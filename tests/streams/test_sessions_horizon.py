"""Frames judged only once the sessions covering them exist (streams/sessions_horizon.py),
and sessions of several writers folded in time order (streams/time_merge.py).

Found by bench/faults.py with a day ingested before the workers start: the rooms units
judged frames of an opening before the project units had derived its session
(VID-AFTERHOURS raised, VID-INTRUDER missed), and sessions of two projects sharing a room
reached the sessions partition out of time order."""

from __future__ import annotations

import math
import threading
import time
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import OffsetAndMetadata, TopicPartition

from streams.sessions_horizon import (
    SessionsHorizon,
    commit_metadata,
    parse_horizon,
    partition_horizon,
    unit_holds,
)
from streams.time_merge import Item, TimeMerge
from streams.topics import Topics

TOPICS = Topics("t.")
FR, SE, EV = TOPICS.frames, TOPICS.sessions, TOPICS.events


def rec(tp: TopicPartition, offset: int) -> SimpleNamespace:
    return SimpleNamespace(topic=tp.topic, partition=tp.partition, offset=offset)


def item(tp: TopicPartition, offset: int, at: float) -> Item:
    return Item(rec(tp, offset), object(), None, at)


def test_a_partition_bound_is_what_its_commit_says_until_it_is_at_the_end():
    assert partition_horizon(OffsetAndMetadata(10, "t=100.5", -1), 20) == 100.5
    assert partition_horizon(OffsetAndMetadata(20, "t=100.5", -1), 20) == math.inf
    assert partition_horizon(None, 0) == math.inf  # an empty partition derives nothing
    assert partition_horizon(None, 5) == -math.inf  # never committed: nothing known
    assert partition_horizon(OffsetAndMetadata(3, "", -1), 5) == -math.inf  # old commit
    assert partition_horizon(OffsetAndMetadata(3, "t=oops", -1), 5) == -math.inf


def test_a_project_unit_commits_the_time_of_what_it_has_not_folded():
    tp = TopicPartition(EV, 0)
    merge = TimeMerge([tp])
    unit = SimpleNamespace(kind="events", merge=merge, last_at={tp: 50.0})
    assert parse_horizon(commit_metadata(unit, tp)) == 50.0  # nothing held: the last one
    merge.add(tp, [item(tp, 7, 80.0)])
    assert parse_horizon(commit_metadata(unit, tp)) == 80.0  # the next record held
    merge.add(tp, [])
    rooms = SimpleNamespace(kind="rooms", merge=merge, last_at={tp: 50.0})
    assert commit_metadata(rooms, tp) == ""  # rooms derive no sessions
    fresh = SimpleNamespace(kind="events", merge=TimeMerge([tp]), last_at={})
    assert commit_metadata(fresh, tp) == ""


class FakeConsumer:
    """Commits, end offsets and positions as the broker and the group consumer would
    answer them (the horizon's admin client and reader are this one too)."""

    def __init__(self, committed, ends, positions, partitions=1) -> None:
        self.committed_offsets = committed
        self.ends = ends
        self.positions = positions
        self.parts = set(range(partitions))

    def partitions_for_topic(self, topic):
        return self.parts

    def list_group_offsets(self, specs):
        return {
            group: {tp: self.committed_offsets[tp] for tp in tps if tp in self.committed_offsets}
            for group, tps in specs.items()
        }

    def end_offsets(self, tps, timeout_ms=None):
        return {tp: self.ends[tp] for tp in tps if tp in self.ends}

    def position(self, tp, timeout_ms=0):
        return self.positions.get(tp)


def horizon_of(consumer: FakeConsumer) -> SessionsHorizon:
    horizon = SessionsHorizon("-", "g", consumer, TOPICS, refresh_s=0.0)
    horizon._broker.admin = horizon._broker.reader = consumer
    return horizon


def rooms_unit(head_at: float | None = None) -> SimpleNamespace:
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([fr, se], by_time=frozenset({se}))
    if head_at is not None:
        merge.add(fr, [item(fr, 0, head_at)])
    return SimpleNamespace(kind="rooms", tps=[fr, se], merge=merge)


def test_frames_wait_until_every_session_written_before_the_horizon_was_read_is_fetched():
    ev, se = TopicPartition(EV, 0), TopicPartition(SE, 0)
    consumer = FakeConsumer({ev: OffsetAndMetadata(4, "t=100.0", -1)}, {ev: 9, se: 3}, {se: 2})
    horizon = horizon_of(consumer)
    unit = rooms_unit(head_at=50.0)
    limits = horizon.limits([unit])
    assert set(limits.values()) == {-math.inf}  # session 2 of 3 not fetched yet: wait
    consumer.positions[se] = 3
    limits = horizon.limits([unit])
    assert set(limits.values()) == {100.0}
    consumer.committed_offsets[ev] = OffsetAndMetadata(9, "t=190.0", -1)
    assert set(horizon.limits([unit]).values()) == {math.inf}  # all derived


def test_partitions_folded_here_are_judged_from_the_units_not_their_commits():
    """The embedded broker keeps no commit metadata; and a unit's own position is fresher
    than its last commit."""
    ev, se = TopicPartition(EV, 0), TopicPartition(SE, 0)
    consumer = FakeConsumer({ev: OffsetAndMetadata(4, None, -1)}, {ev: 9, se: 0}, {se: 0})
    horizon = horizon_of(consumer)
    assert horizon.refresh() == -math.inf  # another worker's, no metadata: unknown
    project = SimpleNamespace(
        kind="events", tps=[ev], merge=TimeMerge([ev]), position={ev: 6}, last_at={ev: 120.0}
    )
    assert horizon.refresh([project]) == 120.0
    project.position[ev] = 9
    assert horizon.refresh([project]) == math.inf


def test_a_unit_holding_records_has_not_derived_them_whatever_the_end_offset_says():
    """The embedded broker's end offset is its last batch's base + 1: a unit halfway
    through that batch is at or past it while it still holds the batch's other records.
    It bounds the horizon by the next one it holds, locally and through its commit."""
    ev, se = TopicPartition(EV, 0), TopicPartition(SE, 0)
    consumer = FakeConsumer({}, {ev: 5, se: 0}, {se: 0})  # the batch 4..9 reads as end 5
    horizon = horizon_of(consumer)
    merge = TimeMerge([ev])
    project = SimpleNamespace(
        kind="events", tps=[ev], merge=merge, position={ev: 6}, last_at={ev: 120.0}
    )
    merge.add(ev, [item(ev, 6, 150.0), item(ev, 7, 160.0)])
    assert horizon.refresh([project]) == 150.0  # not inf: records 6 and 7 are not folded
    assert commit_metadata(project, ev) == "t=150.000000;held"
    assert partition_horizon(OffsetAndMetadata(6, "t=150.000000;held", -1), 5) == 150.0
    assert parse_horizon("t=150.000000;held") == 150.0
    list(merge.drain(lambda tp: True, {}))  # folded: nothing held any more
    project.position[ev] = 8
    assert horizon.refresh([project]) == math.inf
    assert partition_horizon(OffsetAndMetadata(8, commit_metadata(project, ev), -1), 5) == math.inf


def test_no_answer_keeps_the_last_horizon():
    ev, se = TopicPartition(EV, 0), TopicPartition(SE, 0)
    consumer = FakeConsumer({ev: OffsetAndMetadata(4, "t=100.0", -1)}, {ev: 9, se: 0}, {se: 0})
    horizon = horizon_of(consumer)
    assert horizon.refresh() == 100.0

    def refuse(*_a, **_k):
        raise TimeoutError("leader gone")

    consumer.end_offsets = refuse
    assert horizon.refresh() == 100.0


def test_in_the_background_the_poll_never_waits_for_the_broker_and_the_answer_arrives():
    """Live, the horizon is asked on its own thread: a slow broker costs the poll loop
    nothing, and the answer it gives is used once it has come (never before)."""

    ev, se = TopicPartition(EV, 0), TopicPartition(SE, 0)
    consumer = FakeConsumer({ev: OffsetAndMetadata(4, "t=100.0", -1)}, {ev: 9, se: 3}, {se: 3})
    gate = threading.Event()
    slow_ends = consumer.end_offsets

    def slow(tps, timeout_ms=None):
        gate.wait(5)
        return slow_ends(tps, timeout_ms)

    consumer.end_offsets = slow
    horizon = SessionsHorizon("-", "g", consumer, TOPICS, refresh_s=0.0, background=True)
    horizon._broker.admin = horizon._broker.reader = consumer
    unit = rooms_unit(head_at=50.0)
    try:
        started = time.monotonic()
        assert set(horizon.limits([unit]).values()) == {-math.inf}  # nothing known yet
        assert time.monotonic() - started < 1.0  # the poll did not wait for the broker
        gate.set()
        deadline = time.monotonic() + 5
        while horizon.value != 100.0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert horizon.value == 100.0
        assert set(horizon.limits([unit]).values()) == {100.0}
    finally:
        gate.set()
        horizon.close()
    assert horizon._thread is not None and not horizon._thread.is_alive()


def test_the_merge_keeps_frames_past_the_limit_and_everything_after_them():
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([fr, se], by_time=frozenset({se}))
    merge.add(fr, [item(fr, 0, 10.0), item(fr, 1, 20.0), item(fr, 2, 30.0)])
    merge.add(se, [item(se, 0, 25.0)])
    limits = {fr: 20.0, se: 20.0}
    out = [(tp.topic, i.at) for tp, i in merge.drain(lambda _: True, limits)]
    assert out == [(FR, 10.0), (FR, 20.0)]
    limits = {fr: 40.0, se: 40.0}
    out = [(tp.topic, i.at) for tp, i in merge.drain(lambda _: True, limits)]
    assert out == [(SE, 25.0), (FR, 30.0)]


@settings(max_examples=300, deadline=None)
@given(
    writers=st.lists(
        st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=8).map(sorted),
        min_size=1,
        max_size=4,
    ),
    frames=st.lists(st.floats(0, 1000, allow_nan=False), max_size=30).map(sorted),
    interleave=st.randoms(use_true_random=False),
    steps=st.integers(1, 6),
)
def test_sessions_of_several_writers_fold_in_time_order(writers, frames, interleave, steps):
    """Each project unit writes its sessions in time order, but several share a sessions
    partition, at their own pace. Released up to a horizon below which all are written,
    the rooms unit folds frames and sessions exactly in time order, and its position
    never passes a session it still holds (a restart from it loses none)."""
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)
    # The log: the writers' sessions interleaved (each writer's order kept).
    queues = [list(w) for w in writers]
    log: list[float] = []
    while any(queues):
        q = interleave.choice([q for q in queues if q])
        log.append(q.pop(0))
    merge = TimeMerge([fr, se], by_time=frozenset({se}))
    merge.add(fr, [item(fr, i, at) for i, at in enumerate(frames)])
    folded: list[tuple[str, float]] = []
    positions: list[int] = []
    fetched = 0
    for step in range(1, steps + 1):
        # Horizon: every writer has written all its sessions up to `limit`.
        limit = 1000.0 * step / steps
        written = [at for at in log if at <= limit]
        # The fetch reaches the end of what was written by then (log order).
        upto = max((i + 1 for i, at in enumerate(log) if at <= limit), default=0)
        upto = max(upto, fetched)
        merge.add(se, [item(se, i, log[i]) for i in range(fetched, upto)])
        fetched = upto
        assert len(written) <= fetched
        for tp, it in merge.drain(lambda _: True, {fr: limit, se: limit}):
            folded.append((tp.topic, it.at))
            if tp == se:
                positions.append(merge.position_after(se, it.rec.offset))
                first_held = merge.buffers[se].first_offset()
                assert first_held is None or positions[-1] <= first_held
    times = [at for _, at in folded]
    assert times == sorted(times)
    assert sorted(at for t, at in folded if t == SE) == sorted(log)
    assert positions == sorted(positions)
    if positions:
        assert positions[-1] == len(log)


def test_a_day_on_the_log_before_the_worker_starts_gets_replays_video_alerts(kafka, topics):
    """The frames are on the log first, the project events after, and no session yet:
    the worker must derive the sessions before it judges the frames they cover, as
    replay does (before: VID-AFTERHOURS for frames of an opening, VID-INTRUDER missed).
    On Apache Kafka: the horizon reads committed and end offsets (the embedded broker's
    end offsets read low)."""
    from detectors.offline import replay
    from streams.bus import ensure_topics
    from tests.streams.conftest import (
        SETTINGS,
        day,
        drive,
        final_alerts,
        frame_part,
        project_part,
        publish,
        settled,
        workers,
    )

    events = list(day())
    ensure_topics(kafka, topics, SETTINGS.partitions)
    publish(kafka, topics, frame_part(events))
    publish(kafka, topics, project_part(events))
    group = workers(kafka, topics, 1, settings=SETTINGS, cross=0)
    try:
        assert drive(group, lambda: settled(group), 240), "the day was not folded in time"
    finally:
        for w in group:
            w.close()
    video = {a.content_key() for a in replay(events) if a.rule.startswith("VID-")}
    live = {
        a.content_key() for a in final_alerts(kafka, topics).values() if a.rule.startswith("VID-")
    }
    assert video, "the day plants video misconduct"
    assert live == video


def test_a_unit_whose_consumer_fetched_past_its_position_has_not_derived_those_records():
    """Records the consumer fetched but has not handed to the unit yet (a poll cut short
    inside the last batch) are not derived either, whatever the listed end says."""
    ev = TopicPartition(TOPICS.events, 0)
    project = SimpleNamespace(
        kind="events", tps=[ev], merge=TimeMerge([ev]), position={ev: 6}, last_at={ev: 120.0}
    )
    fetched = SimpleNamespace(highwater=lambda tp: 10)
    assert not unit_holds(project, ev)
    assert unit_holds(project, ev, fetched)
    assert commit_metadata(project, ev, fetched) == "t=120.000000;held"
    project.position[ev] = 10
    assert not unit_holds(project, ev, fetched)
