"""The cross-project worker: REL-RING, BID-LOSER, REJ-RATE and DOC-40-4/DOC-META across
projects, in their own consumer group over every partition of `witness.events` (DESIGN §3).

One instance is active: the group's assignor (`ActiveStandbyAssignor`) gives every
partition to the member that already holds them, and nothing to the others, which stand
by and take over when it leaves. The active one folds the partitions in event-time order
(streams/time_merge.py), so over the same log the alerts are the same whichever instance
runs, and however many per-project workers run beside it. Its state (bounded: REL-RING
keeps a window of years, the tallies and the document index have caps) is snapshotted
into the store like a partition's, and the standby that takes over loads it from there.
"""

from __future__ import annotations

from kafka import TopicPartition

import detectors
from streams.assignor import ActiveStandbyAssignor
from streams.worker import DetectorWorker

CROSS_GROUP = "witness-cross-project"


class CrossProjectWorker(DetectorWorker):
    default_group = CROSS_GROUP
    reads_registry = False
    reads_corpus = False  # its engine counts the documents it folds, in merge order

    def make_detectors(self) -> list:
        return detectors.cross_project_detectors()

    def make_assignor(self):
        return ActiveStandbyAssignor()

    def subscribed(self) -> list[str]:
        return [self.topics.events]

    def group_units(self, tps: set[TopicPartition]) -> dict[str, tuple[str, list[TopicPartition]]]:
        return {f"{self.topics.events}:cross": ("cross", sorted(tps))} if tps else {}

    def expected_tps(self, kind: str, tps: list[TopicPartition]) -> list[TopicPartition]:
        parts = self.consumer.partitions_for_topic(self.topics.events) or {
            tp.partition for tp in tps
        }
        return [TopicPartition(self.topics.events, p) for p in sorted(parts)]

    def new_engine(self, kind: str, released) -> detectors.Engine:
        return detectors.Engine(
            self.detectors, self.ctx, fold_sessions=False, derive_sessions=False, released=released
        )
