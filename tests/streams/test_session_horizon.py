"""Frames wait for the sessions that can cover them (streams/session_horizon.py).

Live, a room's sessions are published by the per-project units while the rooms unit
reads the frames; a sessions partition at its end is complete only up to the horizon
(the project events folded so far). The merge must then give the same order as if every
session had been on the topic from the start, which is what replay folds."""

from __future__ import annotations

import math
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaTimeoutError

from streams.session_horizon import SessionHorizon, stamp, stamped_time
from streams.time_merge import Item, TimeMerge

FR, SE, EV = "w.frames", "w.sessions", "w.events"


def items(tp, times) -> list[Item]:
    return [
        Item(SimpleNamespace(offset=i, topic=tp.topic), object(), None, t)
        for i, t in enumerate(times)
    ]


def test_stamps_round_trip_and_refuse_garbage():
    assert stamped_time(stamp(1_790_000_000.25)) == 1_790_000_000.25
    assert stamp(None) == "" and stamp(-math.inf) == ""
    assert stamped_time("") is None and stamped_time("t=x") is None and stamped_time("z") is None


def test_frames_past_the_horizon_wait_for_the_session():
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([fr, se], bounded={se})
    merge.add(fr, items(fr, [10.0, 20.0, 30.0]))
    at_end = lambda tp: True  # noqa: E731 - the sessions partition holds nothing unread
    first = [i.at for _, i in merge.drain(at_end, lambda tp: 15.0 if tp == se else math.inf)]
    assert first == [10.0]  # 20 and 30 may still be covered by a session not yet derived
    merge.add(se, items(se, [18.0]))
    rest = [(t.topic, i.at) for t, i in merge.drain(at_end, lambda tp: math.inf)]
    assert rest == [(SE, 18.0), (FR, 20.0), (FR, 30.0)]


def test_a_hold_past_its_limit_lets_the_frames_go():
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([fr, se], max_hold_s=0.0, bounded={se})
    merge.add(fr, items(fr, [10.0, 20.0]))
    out = [i.at for _, i in merge.drain(lambda tp: True, lambda tp: -math.inf)]
    assert out == [10.0, 20.0]


@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(st.floats(0, 100), max_size=25).map(sorted),
    sessions=st.lists(st.floats(0, 100), max_size=8).map(sorted),
    steps=st.lists(st.floats(0, 100), max_size=6).map(sorted),
)
def test_sessions_published_as_the_horizon_moves_give_replay_s_order(frames, sessions, steps):
    """Sessions appear on their topic only once the project side passed their time; the
    merge gives the order of a log where every session was there from the start."""
    fr, se = TopicPartition(FR, 0), TopicPartition(SE, 0)

    def complete(merge, horizon_steps) -> list:
        out, published = [], 0
        merge.add(fr, items(fr, frames))
        for horizon in [*horizon_steps, math.inf]:
            due = [t for t in sessions[published:] if t <= horizon]
            if due:
                merge.add(se, items(se, sessions)[published : published + len(due)])
                published += len(due)
            until = lambda tp, h=horizon: h if tp == se else math.inf  # noqa: E731
            out += [(t.topic, i.rec.offset) for t, i in merge.drain(lambda tp: True, until)]
        return out

    whole = complete(TimeMerge([fr, se], bounded={se}), [])
    stepped = complete(TimeMerge([fr, se], bounded={se}), steps)
    assert stepped == whole
    assert len(whole) == len(frames) + len(sessions)


class _Group:
    """A consumer of the detector group: end offsets and the group's commits."""

    def __init__(self, ends: dict[int, int], commits: dict[int, OffsetAndMetadata | None]):
        self.ends, self.commits, self.fail = ends, commits, False

    def partitions_for_topic(self, topic):
        return set(self.ends) if topic == EV else set()

    def end_offsets(self, tps, timeout_ms=None):
        if self.fail:
            raise KafkaTimeoutError("no leader")
        return {tp: self.ends[tp.partition] for tp in tps}

    def committed(self, tp, metadata=False, timeout_ms=None):
        return self.commits.get(tp.partition)


def test_the_horizon_is_the_slowest_unfinished_partition_s_stamp():
    group = _Group(
        {0: 10, 1: 10, 2: 0, 3: 5},
        {
            0: OffsetAndMetadata(10, stamp(500.0), -1),  # at its end: no limit
            1: OffsetAndMetadata(7, stamp(300.0), -1),
            3: OffsetAndMetadata(2, stamp(400.0), -1),
        },
    )
    clock = [0.0]
    horizon = SessionHorizon(group, EV, clock=lambda: clock[0])
    assert horizon.refresh() == 300.0
    group.commits[1] = OffsetAndMetadata(10, stamp(350.0), -1)
    assert horizon.refresh() == 300.0  # asked again only after REFRESH_S
    clock[0] = 1.0
    assert horizon.refresh() == 400.0
    group.commits[3] = None  # never committed, records there: nothing is known
    clock[0] = 2.0
    assert horizon.refresh() == -math.inf
    group.commits[3] = OffsetAndMetadata(5, "", -1)
    clock[0] = 3.0
    assert horizon.refresh() == math.inf  # every partition folded to its end
    group.fail = True
    clock[0] = 4.0
    assert horizon.refresh() == -math.inf  # no answer: frames wait
