"""The assignors move only what must move and keep frames with their sessions; the
event-time merge orders a unit's partitions by the log alone."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import TopicPartition

from streams.assignor import (
    ActiveStandbyAssignor,
    CoPartitionedAssignor,
    set_name,
    sticky_plan,
    units_for,
)
from streams.time_merge import Item, TimeMerge

EV, FR, SE = "witness.events", "witness.frames", "witness.sessions"
ROOMS = set_name((FR, SE))


def test_frames_and_sessions_of_one_partition_are_one_unit():
    units = units_for({EV: range(3), FR: range(3), SE: range(3)}, [(FR, SE)])
    assert units[(ROOMS, 2)] == [TopicPartition(FR, 2), TopicPartition(SE, 2)]
    assert units[(EV, 0)] == [TopicPartition(EV, 0)]
    assert len(units) == 6


kinds = st.sampled_from([EV, ROOMS])
unit_sets = st.sets(st.tuples(kinds, st.integers(0, 11)), min_size=1, max_size=24)
member_sets = st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5, unique=True)


@settings(max_examples=200, deadline=None)
@given(units=unit_sets, members=member_sets, data=st.data())
def test_plans_are_balanced_per_kind_and_complete(units, members, data):
    owner = {
        u: data.draw(st.sampled_from([*members, "gone"])) for u in units if data.draw(st.booleans())
    }
    plan = sticky_plan(sorted(units), members, owner)
    assigned = [u for us in plan.values() for u in us]
    assert sorted(assigned) == sorted(units)  # each unit once
    for kind in (EV, ROOMS):
        counts = [sum(1 for u in plan[m] if u[0] == kind) for m in members]
        assert max(counts) - min(counts) <= 1
    totals = [len(plan[m]) for m in members]
    assert max(totals) - min(totals) <= 2


@settings(max_examples=200, deadline=None)
@given(units=unit_sets, members=member_sets)
def test_a_balanced_group_keeps_everything_and_a_joiner_takes_only_its_share(units, members):
    first = sticky_plan(sorted(units), members, {})
    owner = {u: m for m, us in first.items() for u in us}
    assert sticky_plan(sorted(units), members, owner) == first  # nothing moves
    joined = sticky_plan(sorted(units), [*members, "z"], owner)
    moved = [u for m, us in joined.items() for u in us if owner[u] != m]
    assert all(owner[u] != "z" for u in moved)
    assert sorted(moved) == sorted(joined["z"])  # only what the newcomer takes moves
    per_kind = Counter(u[0] for u in units)
    assert len(moved) <= sum(-(-n // (len(members) + 1)) for n in per_kind.values())


@settings(max_examples=100, deadline=None)
@given(units=unit_sets, members=member_sets.filter(lambda m: len(m) > 1))
def test_a_leavers_units_move_and_nothing_else(units, members):
    first = sticky_plan(sorted(units), members, {})
    owner = {u: m for m, us in first.items() for u in us}
    gone = members[0]
    after = sticky_plan(sorted(units), members[1:], owner)
    moved = {u for m, us in after.items() for u in us if owner[u] != m}
    kept_balanced = all(
        abs(sum(u[0] == k for u in after[a]) - sum(u[0] == k for u in after[b])) <= 1
        for k in (EV, ROOMS)
        for a in members[1:]
        for b in members[1:]
    )
    assert kept_balanced
    # the leaver's units move; others move only to even out a kind
    assert set(first[gone]) <= moved


class Cluster:
    def __init__(self, partitions: dict[str, int]) -> None:
        self.partitions = partitions

    def partitions_for_topic(self, topic: str):
        return set(range(self.partitions[topic])) if topic in self.partitions else None


def member(member_id: str, topics: list[str], owned: dict[str, list[int]]):
    owned_tps = [SimpleNamespace(topic=t, partitions=ps) for t, ps in owned.items()]
    return SimpleNamespace(
        member_id=member_id,
        metadata=SimpleNamespace(topics=topics, owned_partitions=owned_tps),
    )


def test_cooperative_round_withholds_what_another_member_still_owns():
    cluster = Cluster({EV: 2, FR: 2, SE: 2})
    topics = [EV, FR, SE]
    a = member("a", topics, {EV: [0, 1], FR: [0, 1], SE: [0, 1]})
    b = member("b", topics, {})
    out = CoPartitionedAssignor(together=[(FR, SE)]).assign(cluster, [a, b])
    # b's share is still owned by a: withheld this round (a revokes, then round two)
    assert out["b"].partitions() == []
    kept = set(out["a"].partitions())
    assert len(kept) == 3  # a keeps one events partition and one rooms unit
    rooms = {tp.partition for tp in kept if tp.topic in (FR, SE)}
    assert len(rooms) == 1 and {TopicPartition(FR, *rooms), TopicPartition(SE, *rooms)} <= kept
    # round two: a owns only what it kept, so b gets the rest, frames with sessions
    a2 = member("a", topics, _owned(kept))
    out2 = CoPartitionedAssignor(together=[(FR, SE)]).assign(cluster, [a2, b])
    assert set(out2["a"].partitions()) == kept
    got = set(out2["b"].partitions())
    assert len(got) == 3 and {tp.partition for tp in got if tp.topic == FR} == {
        tp.partition for tp in got if tp.topic == SE
    }


def _owned(tps) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for tp in tps:
        out.setdefault(tp.topic, []).append(tp.partition)
    return out


def test_active_standby_gives_everything_to_the_holder_while_it_lives():
    cluster = Cluster({EV: 4})
    fresh = [member("m2", [EV], {}), member("m1", [EV], {})]
    out = ActiveStandbyAssignor().assign(cluster, fresh)
    assert len(out["m1"].partitions()) == 4 and out["m2"].partitions() == []
    holder = member("m2", [EV], {EV: [0, 1, 2, 3]})
    out = ActiveStandbyAssignor().assign(cluster, [holder, member("m0", [EV], {})])
    assert len(out["m2"].partitions()) == 4 and out["m0"].partitions() == []
    out = ActiveStandbyAssignor().assign(cluster, [member("m0", [EV], {})])  # m2 left
    assert len(out["m0"].partitions()) == 4


# ---------------------------------------------------------------- merge


def items(tp: TopicPartition, times: list[float]) -> list[Item]:
    return [
        Item(SimpleNamespace(offset=i, topic=tp.topic, partition=tp.partition), None, at=t)
        for i, t in enumerate(times)
    ]


@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.floats(0, 100), max_size=20),
    b=st.lists(st.floats(0, 100), max_size=20),
    split=st.integers(0, 20),
)
def test_merge_order_depends_on_the_log_not_on_how_it_was_fetched(a, b, split):
    ta, tb = TopicPartition(FR, 0), TopicPartition(SE, 0)

    def run(chunks) -> list:
        merge = TimeMerge([ta, tb])
        fed = {ta: 0, tb: 0}
        total = {ta: len(a), tb: len(b)}
        out = []
        for tp, part in chunks:
            merge.add(tp, part)
            fed[tp] += len(part)
            out += [(t.topic, i.rec.offset) for t, i in merge.drain(lambda p: fed[p] == total[p])]
        return out

    ia, ib = items(ta, a), items(tb, b)
    whole = run([(ta, ia), (tb, ib)])
    pieces = run(
        [(ta, ia[:split]), (tb, ib[: split // 2]), (ta, ia[split:]), (tb, ib[split // 2 :])]
    )
    assert whole == pieces
    assert len(whole) == len(a) + len(b)
    for topic in (FR, SE):  # each partition's own order kept
        offsets = [o for t, o in whole if t == topic]
        assert offsets == sorted(offsets)


def test_merge_waits_for_a_partition_known_to_be_behind_however_long():
    """A partition the broker holds records of (caught_up False) is waited for past
    max_wait_s: going on without it would fold later records of the other first
    (bench/recovery.py at 10x history: frames unfed for 31 s, sessions folded ahead)."""
    ta, tb = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([ta, tb], max_wait_s=0.0)
    merge.add(tb, items(tb, [50.0]))
    assert list(merge.drain(lambda p: False)) == []  # frames behind: the session waits
    assert list(merge.drain(lambda p: False)) == []
    merge.add(ta, items(ta, [10.0, 60.0]))
    out = [(t.topic, i.at) for t, i in merge.drain(lambda p: False)]
    assert out == [(FR, 10.0), (SE, 50.0)]  # 60.0 waits: sessions may bring more before it


def test_merge_waits_at_most_max_wait_for_a_partition_of_unknown_lag():
    ta, tb = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([ta, tb], max_wait_s=0.0)
    merge.add(tb, items(tb, [50.0]))
    out = [(t.topic, i.at) for t, i in merge.drain(lambda p: None)]
    assert out == [(SE, 50.0)]  # no broker answer about the frames: not stopped for good


def test_merge_wait_starts_afresh_after_a_partition_was_caught_up(monkeypatch):
    """A partition once waited for, then caught up for a long time, then of unknown lag
    again is waited for max_wait_s from then, not from the first wait long ago."""
    import streams.time_merge as tm

    now = [1000.0]
    monkeypatch.setattr(tm.time, "monotonic", lambda: now[0])
    ta, tb = TopicPartition(FR, 0), TopicPartition(SE, 0)
    merge = TimeMerge([ta, tb], max_wait_s=5.0)
    merge.add(ta, items(ta, [1.0]))
    assert list(merge.drain(lambda p: p == ta or None)) == []  # sessions: lag unknown
    assert [i.at for _, i in merge.drain(lambda p: True)] == [1.0]  # nothing came: at end
    now[0] += 60.0  # a minute caught up
    merge.add(ta, items(ta, [2.0]))
    assert list(merge.drain(lambda p: p == ta or None)) == []  # waits again, afresh
    now[0] += 6.0
    assert [i.at for _, i in merge.drain(lambda p: p == ta or None)] == [2.0]


def test_a_worker_without_end_offsets_counts_a_partition_behind_its_last_known_end():
    from streams.worker import DetectorWorker

    tp = TopicPartition(FR, 0)

    class Consumer:
        def end_offsets(self, tps):
            raise TimeoutError("no answer")

        def position(self, tp, timeout_ms=0):
            return 40

    worker = SimpleNamespace(
        _fed=set(),
        _ends={},
        _ends_stale=False,
        _known_ends={tp: 50},
        units={"rooms": SimpleNamespace(tps=[tp])},
        consumer=Consumer(),
    )
    assert DetectorWorker._caught_up(worker, tp) is False  # 40 < 50: records to come
    worker._known_ends[tp] = 40
    assert DetectorWorker._caught_up(worker, tp) is None  # at an old end: not known


def test_a_worker_at_a_listed_end_below_the_fetched_high_watermark_is_behind():
    """The embedded broker lists a partition's end as its last batch's base + 1; its
    fetches carry the true end. A position between the two has records to come (a rooms
    unit went on with its sessions and judged a session end before its last frames)."""
    from streams.worker import DetectorWorker

    tp = TopicPartition(FR, 0)

    class Consumer:
        high: int | None = 6435

        def end_offsets(self, tps, timeout_ms=None):
            return {tp: 6410}  # last batch 6409..6434

        def position(self, tp, timeout_ms=0):
            return 6420

        def highwater(self, tp):
            return self.high

    consumer = Consumer()
    worker = SimpleNamespace(
        _fed=set(),
        _ends={},
        _ends_stale=False,
        _known_ends={},
        units={"rooms": SimpleNamespace(tps=[tp])},
        consumer=consumer,
    )
    assert DetectorWorker._caught_up(worker, tp) is False  # 6420 < 6435: frames to come
    consumer.high = None
    assert DetectorWorker._caught_up(worker, tp) is None  # nothing fetched yet: not known
    consumer.high = 6420
    assert DetectorWorker._caught_up(worker, tp) is True
