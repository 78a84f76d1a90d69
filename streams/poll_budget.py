"""Keep one poll's work inside Kafka's `max.poll.interval.ms`.

kafka-python heartbeats from a background thread, but a consumer that does not call
`poll()` within `max.poll.interval.ms` (300 s by default) is dropped from the group and
its partitions rebalanced. One poll returns up to `max_poll_records` (500) records; if
they are bid documents compared at opening, the batch can take longer than that.

So the worker walks a batch through `BudgetedBatch`: once `seconds` (a third of
`max.poll.interval.ms` by default) have passed, it stops, and `resume` holds, per
partition, the first offset not processed; the worker seeks there, flushes, commits
(the committed position is the sought one) and polls again, which fetches the rest.
At least one record is taken per poll, so progress never stops; a poll therefore
returns within `seconds` plus one detector step, and every step is bounded by the rules'
own caps (linear-memory alignment, a rapidfuzz cell budget per comparison, extraction
caps before parsing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

#: Share of max.poll.interval.ms one poll's records may take.
BUDGET_SHARE = 1 / 3


class BudgetedBatch:
    """Iterate (partition, record) pairs of one poll until the time budget is spent."""

    def __init__(
        self,
        batch: dict[Any, list[Any]],
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch = batch
        self.seconds = seconds
        self.clock = clock
        self.resume: dict[Any, int] = {}  # partition -> first offset left for the next poll
        self.taken = 0

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        deadline = self.clock() + self.seconds
        for tp, records in self.batch.items():
            for rec in records:
                if self.taken and self.clock() > deadline:
                    self.resume[tp] = rec.offset
                    break
                self.taken += 1
                yield tp, rec
            if self.resume:  # budget spent: later partitions start over next poll
                break
        if self.resume:
            seen = False
            for tp, records in self.batch.items():
                if tp in self.resume:
                    seen = True
                elif seen and records:
                    self.resume[tp] = records[0].offset


def budget_seconds(consumer: Any) -> float:
    """A third of the consumer's max.poll.interval.ms, in seconds."""
    ms = getattr(consumer, "config", {}).get("max_poll_interval_ms", 300_000)
    return ms / 1000 * BUDGET_SHARE
