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


class TimeMerge:
    def __init__(self, tps: list[TopicPartition], *, max_wait_s: float = MAX_WAIT_S) -> None:
        self.order = {tp: i for i, tp in enumerate(sorted(tps))}
        self.buffers: dict[TopicPartition, deque[Item]] = {tp: deque() for tp in self.order}
        self.max_wait_s = max_wait_s
        self._empty_since: dict[TopicPartition, float] = {}
        self._next_note: dict[TopicPartition, float] = {}  # wait (s) of the next warning

    def add(self, tp: TopicPartition, items: list[Item]) -> None:
        if tp in self.buffers and items:
            self.buffers[tp].extend(items)
            self._empty_since.pop(tp, None)
            self._next_note.pop(tp, None)

    def drain(
        self, caught_up: Callable[[TopicPartition], bool | None]
    ) -> Iterator[tuple[TopicPartition, Item]]:
        """Yield items in merge order while the order is known (see the module doc).

        `caught_up(tp)`: True if `tp` has nothing more to read now, False if the broker
        holds more of it (waited for without limit), None if that is not known (waited
        for at most `max_wait_s`)."""
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
            if best_tp is None:
                return
            yield best_tp, self.buffers[best_tp].popleft()

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
