"""Bounded per-entity tallies for cross-project rules (BID-LOSER, REJ-RATE).

A centre sees tens of thousands of bidders over the years; a tally keeps counters for
at most `capacity` entities and drops the least recently seen first, so a worker's
memory stays bounded however long it runs. Dropping an entity forgets its history (it
starts again from zero if it comes back), which can only delay an alert, never invent one.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    total: int = 0  # bids (or finished tenders) counted
    hits: int = 0  # wins for BID-LOSER, rejections for REJ-RATE
    recent: deque = field(default_factory=deque)  # last project ids, newest last

    @property
    def share(self) -> float:
        return self.hits / self.total if self.total else 0.0


@dataclass
class Tally:
    capacity: int
    recent: int = 10
    records: OrderedDict[str, Record] = field(default_factory=OrderedDict)

    def add(self, entity: str, project_id: str, *, total: int = 1, hits: int = 0) -> Record:
        rec = self.records.get(entity)
        if rec is None:
            rec = self.records[entity] = Record(recent=deque(maxlen=max(1, self.recent)))
        else:
            self.records.move_to_end(entity)
        rec.total += total
        rec.hits += hits
        if project_id not in rec.recent:
            rec.recent.append(project_id)
        while len(self.records) > max(1, self.capacity):
            self.records.popitem(last=False)
        return rec


def winner_of(ranking: list[Any]) -> str | None:
    """The rank-1 bidder of an `evaluation.finished` ranking (ties: smallest id)."""
    top = sorted(ranking, key=lambda r: (r.rank, r.bidder_id))
    return top[0].bidder_id if top else None
