"""One poll's records stay inside the time budget; the rest is resumed, never lost."""

from __future__ import annotations

from collections import namedtuple

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.poll_budget import BudgetedBatch, budget_seconds

Rec = namedtuple("Rec", "offset")


class Clock:
    """A fake monotonic clock the test moves on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _batch(sizes: list[int]) -> dict:
    return {f"t-{p}": [Rec(100 * p + i) for i in range(n)] for p, n in enumerate(sizes)}


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 8), min_size=1, max_size=5),
    costs=st.lists(st.floats(0, 50), min_size=40, max_size=40),
    budget=st.floats(1, 100),
)
def test_every_record_is_taken_once_or_resumed_and_the_budget_holds(sizes, costs, budget):
    batch = _batch(sizes)
    clock = Clock()
    taken = []
    budgeted = BudgetedBatch(batch, budget, clock)
    for tp, rec in budgeted:
        taken.append((tp, rec.offset))
        clock.now += costs[len(taken) - 1]
    # what was taken plus what will be fetched again is exactly the batch, in order
    for tp, records in batch.items():
        offsets = [r.offset for r in records]
        mine = [o for t, o in taken if t == tp]
        assert mine == offsets[: len(mine)]
        if len(mine) < len(offsets):
            assert budgeted.resume[tp] == offsets[len(mine)]
        else:
            assert tp not in budgeted.resume
    total = sum(sizes)
    if total:
        assert taken, "at least one record per poll: progress never stops"
    # no record was started after the deadline (the first one excepted)
    spent = 0.0
    for i in range(1, len(taken)):
        spent += costs[i - 1]
        assert spent <= budget
    assert budgeted.taken == len(taken)


def test_a_slow_batch_is_split_over_polls():
    batch = _batch([5, 3])
    clock = Clock()
    first = BudgetedBatch(batch, 10, clock)
    got = []
    for _, rec in first:
        got.append(rec.offset)
        clock.now += 4  # each document takes 4 s
    assert got == [0, 1, 2]
    assert first.resume == {"t-0": 3, "t-1": 100}


def test_budget_is_a_third_of_max_poll_interval():
    class C:
        config = {"max_poll_interval_ms": 300_000}

    assert budget_seconds(C()) == 100
