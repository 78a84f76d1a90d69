"""Has an archive been judged, and are the alerts it raised stored?

A project's witness record must hold every alert raised at its `project.archived`. Those
alerts come from other consumer groups (the per-project detectors and the cross-project
worker) on another topic, so a fixed delay after the archive is stored is a guess that a
busy machine loses (the record was made before EVAL-TOTAL arrived). This asks the broker
instead, in two steps that follow the delivery order the workers keep (issue 12: a worker
commits an event's offset only after the broker confirmed every alert it raised):

1. every judging group has committed past the archive's offset: its alerts are on the
   alerts topic;
2. the recorder's own group has committed, on every alerts partition, at least the end
   offset read after step 1: those alerts are in the store (the recorder commits only
   what it stored).

On the embedded broker (Tansu) end offsets read low (the last batch's base + 1), so step
2 may pass while the tail of one batch is still being stored; Apache Kafka is exact.
"""

from __future__ import annotations

from kafka import TopicPartition

from streams.broker_clients import BrokerClients
from streams.topics import Topics

REQUEST_TIMEOUT_MS = 5_000


def judging_groups(topics: Topics) -> list[str]:
    """The consumer groups whose alerts a project's record holds (DESIGN §3)."""
    from streams.cross_worker import CROSS_GROUP
    from streams.worker import DETECTOR_GROUP

    return [f"{topics.prefix}{DETECTOR_GROUP}", f"{topics.prefix}{CROSS_GROUP}"]


class ArchiveJudged:
    """The two questions above, asked of the broker (one admin client, one reader)."""

    def __init__(self, bootstrap: str, topics: Topics, recorder_group: str) -> None:
        self.alerts_topic = topics.alerts
        self.judges = judging_groups(topics)
        self.recorder_group = recorder_group
        self._broker = BrokerClients(bootstrap, REQUEST_TIMEOUT_MS)

    def judged(self, archives: list[tuple[TopicPartition, int]]) -> list[bool]:
        """Per archive (where it was read): has every judging group committed past it?
        One request for all of them, however many projects wait."""
        tps = sorted({tp for tp, _ in archives})
        admin, _ = self._broker.get()
        found = admin.list_group_offsets({g: tps for g in self.judges})
        return [
            all(_offset(found.get(g, {}).get(tp)) > offset for g in self.judges)
            for tp, offset in archives
        ]

    def alert_ends(self) -> dict[TopicPartition, int]:
        """The alerts topic's end offsets now (read after `judged` said yes)."""
        _, reader = self._broker.get()
        parts = reader.partitions_for_topic(self.alerts_topic) or ()
        tps = [TopicPartition(self.alerts_topic, p) for p in sorted(parts)]
        if not tps:
            return {}
        return dict(reader.end_offsets(tps, timeout_ms=REQUEST_TIMEOUT_MS))

    def all_stored(self, wanted: list[dict[TopicPartition, int]]) -> list[bool]:
        """Per set of ends: has the recorder committed (so stored) every alert up to
        them? One request for all of them."""
        tps = sorted({tp for ends in wanted for tp in ends})
        mine: dict = {}
        if tps:
            admin, _ = self._broker.get()
            mine = admin.list_group_offsets({self.recorder_group: tps}).get(self.recorder_group, {})
        return [
            all(_offset(mine.get(tp)) >= end for tp, end in ends.items() if end > 0)
            for ends in wanted
        ]

    def close(self) -> None:
        self._broker.close()


def _offset(found) -> int:
    """A committed offset, or -1 when the group has none there."""
    return found.offset if found is not None and found.offset is not None else -1
