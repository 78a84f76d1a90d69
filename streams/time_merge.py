"""Records of several partitions folded in event-time order, each partition's order kept.

A unit that reads more than one partition (a room's frames with its sessions; the
cross-project rules over every partition of `witness.events`) would otherwise fold
records in whatever order the fetcher happened to return them, and two runs over the
same log could raise different alerts. Like Kafka Streams' task with several inputs,
the merge holds the records it was given, and releases the head with the smallest event
time among the partitions, but only while every partition either has a record waiting
or has nothing more to read (its position is at the broker's high watermark). So over
a log that is already written, the order is a function of the log alone.

A partition known to be behind (the broker holds records past its position) is waited
for as long as it takes, as Kafka Streams does since KIP-695: on a busy worker the
fetcher can leave one partition unfed for tens of seconds while the others' backlogs
are fetched (bench/recovery.py at 10x history: a rooms partition's frames unfed for
31 s; the merge went on with its sessions alone, and the video rules raised 74 alerts
an ordered fold does not). Only a partition whose lag is unknown (no end offset from
the broker) is waited for at most `max_wait_s`.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafka import TopicPartition

log = logging.getLogger(__name__)

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


class SortedBuffer:
    """A partition's held records in event-time order (ties: offset), for a partition
    several writers fill out of time order (`witness.sessions`: each project unit
    publishes its rooms' sessions at its own pace). Below a limit every record is known
    to be there (the sessions horizon), so releasing by time is the replay order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Item]] = []

    def extend(self, items: list[Item]) -> None:
        for item in items:
            heapq.heappush(self._heap, (item.at, item.rec.offset, item))

    def popleft(self) -> Item:
        return heapq.heappop(self._heap)[2]

    def __getitem__(self, index: int) -> Item:
        if index != 0:
            raise IndexError("only the head of a sorted buffer is read")
        return self._heap[0][2]

    def __len__(self) -> int:
        return len(self._heap)

    def first_offset(self) -> int | None:
        return min((offset for _, offset, _ in self._heap), default=None)


class TimeMerge:
    def __init__(
        self,
        tps: list[TopicPartition],
        *,
        max_wait_s: float = MAX_WAIT_S,
        by_time: frozenset[TopicPartition] = frozenset(),
    ) -> None:
        self.order = {tp: i for i, tp in enumerate(sorted(tps))}
        self.buffers: dict[TopicPartition, deque[Item] | SortedBuffer] = {
            tp: SortedBuffer() if tp in by_time else deque() for tp in self.order
        }
        self._highest: dict[TopicPartition, int] = {}  # highest offset released, by_time
        self.max_wait_s = max_wait_s
        self._empty_since: dict[TopicPartition, float] = {}
        self._next_note: dict[TopicPartition, float] = {}  # wait (s) of the next warning

    def add(self, tp: TopicPartition, items: list[Item]) -> None:
        if tp in self.buffers and items:
            self.buffers[tp].extend(items)
            self._empty_since.pop(tp, None)
            self._next_note.pop(tp, None)

    def drain(
        self,
        caught_up: Callable[[TopicPartition], bool | None],
        limits: dict[TopicPartition, float] | None = None,
    ) -> Iterator[tuple[TopicPartition, Item]]:
        """Yield items in merge order while the order is known (see the module doc).

        `caught_up(tp)`: True if `tp` has nothing more to read now, False if the broker
        holds more of it (waited for without limit), None if that is not known (waited
        for at most `max_wait_s`). `limits`: a partition's records later than its limit
        wait, and so does everything after them in merge order (a rooms unit's frames
        wait for the sessions horizon, streams/sessions_horizon.py)."""
        limits = limits or {}
        if len(self.buffers) == 1:
            ((tp, buf),) = self.buffers.items()
            limit = limits.get(tp, float("inf"))
            while buf and buf[0].at <= limit:
                yield tp, buf.popleft()
            return
        now = time.monotonic()
        while True:
            best: tuple[float, int] | None = None
            best_tp = None
            for tp, buf in self.buffers.items():
                if not buf:
                    state = caught_up(tp)
                    if state is True:
                        self._empty_since.pop(tp, None)  # a later wait starts afresh
                    else:
                        since = self._empty_since.setdefault(tp, now)
                        if state is False:
                            self._note_wait(tp, now - since)
                            return  # its records may go before the others'
                        if now - since < self.max_wait_s:
                            return  # records may still come that go before the others
                    continue
                key = (buf[0].at, self.order[tp])
                if best is None or key < best:
                    best, best_tp = key, tp
            if best_tp is None or best[0] > limits.get(best_tp, float("inf")):
                return
            yield best_tp, self.buffers[best_tp].popleft()

    def position_after(self, tp: TopicPartition, offset: int) -> int:
        """Where `tp` resumes once the record at `offset` is folded: past it, or for a
        partition released by time, at the first record still held (those after it that
        were folded already come again on a restart, and the engine drops them as
        duplicates: event ids are deterministic)."""
        buf = self.buffers.get(tp)
        if not isinstance(buf, SortedBuffer):
            return offset + 1
        high = self._highest[tp] = max(self._highest.get(tp, -1), offset)
        first = buf.first_offset()
        return high + 1 if first is None else min(first, high + 1)

    def next_at(self, tp: TopicPartition) -> float | None:
        """Event time of the next record of `tp` held here, if any."""
        buf = self.buffers.get(tp)
        return buf[0].at if buf else None

    def _note_wait(self, tp: TopicPartition, waited: float) -> None:
        """Say now and then that a unit waits for a partition the fetcher has not fed."""
        if waited >= self._next_note.get(tp, self.max_wait_s):
            self._next_note[tp] = waited + self.max_wait_s
            log.warning(
                "%s:%d is behind and unfed for %.0f s; its unit waits (merge order kept)",
                tp.topic,
                tp.partition,
                waited,
            )

    def backlog(self, tp: TopicPartition) -> int:
        buf = self.buffers.get(tp)
        return len(buf) if buf is not None else 0

    def held(self) -> int:
        return sum(len(b) for b in self.buffers.values())
