"""Records of several partitions folded in event-time order, each partition's order kept.

A unit that reads more than one partition (a room's frames with its sessions; the
cross-project rules over every partition of `witness.events`) would otherwise fold
records in whatever order the fetcher happened to return them, and two runs over the
same log could raise different alerts. Like Kafka Streams' task with several inputs,
the merge holds the records it was given, and releases the head with the smallest event
time among the partitions, but only while every partition either has a record waiting
or has nothing more to read (its position is at the broker's high watermark). So over
a log that is already written, the order is a function of the log alone; live, a
partition that is still being fetched is waited for at most `max_wait_s`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafka import TopicPartition

#: Longest wait for a partition that should have records but delivered none yet (a
#: backlog on other partitions of the worker can keep the fetcher busy for seconds).
MAX_WAIT_S = 30.0


@dataclass
class Item:
    """One record and what the merge orders it by."""

    rec: Any  # kafka ConsumerRecord
    event: Any  # witness.events.Event, or None if the record is not a valid event
    error: Any = None  # the ContractError, if any
    at: float = float("-inf")  # event time (POSIX); bad records go first, promptly


class TimeMerge:
    def __init__(self, tps: list[TopicPartition], *, max_wait_s: float = MAX_WAIT_S) -> None:
        self.order = {tp: i for i, tp in enumerate(sorted(tps))}
        self.buffers: dict[TopicPartition, deque[Item]] = {tp: deque() for tp in self.order}
        self.max_wait_s = max_wait_s
        self._empty_since: dict[TopicPartition, float] = {}

    def add(self, tp: TopicPartition, items: list[Item]) -> None:
        if tp in self.buffers and items:
            self.buffers[tp].extend(items)
            self._empty_since.pop(tp, None)

    def drain(
        self, caught_up: Callable[[TopicPartition], bool]
    ) -> Iterator[tuple[TopicPartition, Item]]:
        """Yield items in merge order while the order is known (see the module doc)."""
        if len(self.buffers) == 1:
            ((tp, buf),) = self.buffers.items()
            while buf:
                yield tp, buf.popleft()
            return
        now = time.monotonic()
        while True:
            best: tuple[float, int] | None = None
            best_tp = None
            for tp, buf in self.buffers.items():
                if not buf:
                    if not caught_up(tp):
                        since = self._empty_since.setdefault(tp, now)
                        if now - since < self.max_wait_s:
                            return  # records may still come that go before the others
                    continue
                key = (buf[0].at, self.order[tp])
                if best is None or key < best:
                    best, best_tp = key, tp
            if best_tp is None:
                return
            yield best_tp, self.buffers[best_tp].popleft()

    def backlog(self, tp: TopicPartition) -> int:
        buf = self.buffers.get(tp)
        return len(buf) if buf is not None else 0

    def held(self) -> int:
        return sum(len(b) for b in self.buffers.values())
