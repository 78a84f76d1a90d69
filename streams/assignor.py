"""Consumer-group assignors that move only what must move (DESIGN §3).

kafka-python 3 implements the cooperative rebalance protocol (KIP-429: members keep their
partitions across a rebalance, only moving partitions are revoked, a second round hands
them over) and ships a cooperative sticky assignor. That assignor alone would split
co-partitioned topics: it may give `witness.frames` 2 to one worker and `witness.sessions`
2 to another, and a room's frames would never meet its sessions. These assignors are
cooperative too, and know what must stay together:

- `CoPartitionedAssignor` (detector workers): the unit of assignment is a *unit*: one
  partition of an ordinary topic (`witness.events` 3), or the same partition number of
  every topic of a co-partitioned set (`witness.frames` 3 + `witness.sessions` 3, "rooms"
  unit 3). Units stay with their owner while the group is balanced; a joining member
  takes units from the most loaded, a leaving member's units go to the least loaded.
  Units of each kind are balanced separately, so events and rooms work both spread.
- `ActiveStandbyAssignor` (cross-project rules): every partition to one member, the one
  that already holds them while it lives; other members stand by with nothing, and take
  over (loading the state from the store) when it leaves. Results never depend on how
  many instances run.

Both advertise owned partitions (subscription version 1) and, as KIP-429 requires, never
assign a partition that another live member still owns: the owner revokes it first and
the next round gives it to its new owner.

`RebalanceNotes` is the listener a worker subscribes with: it only notes what moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.coordinator.assignors.abstract import AbstractPartitionAssignor, RebalanceProtocol
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
)

Unit = tuple[str, int]  # (topic, or name of a co-partitioned set; partition)


def unit_name(unit: Unit) -> str:
    return f"{unit[0]}:{unit[1]}"


def units_for(
    partitions: dict[str, Iterable[int]], together: Sequence[Sequence[str]]
) -> dict[Unit, list[TopicPartition]]:
    """Units over the subscribed topics: co-partitioned sets by partition, others alone.

    `together` names each set as its first topic's name with "rooms" for the frames set;
    a set's unit p holds partition p of each topic of the set that has it."""
    out: dict[Unit, list[TopicPartition]] = {}
    grouped = {t for group in together for t in group}
    for group in together:
        name = set_name(group)
        for topic in group:
            for p in sorted(partitions.get(topic, ())):
                out.setdefault((name, p), []).append(TopicPartition(topic, p))
    for topic, parts in sorted(partitions.items()):
        if topic in grouped:
            continue
        for p in sorted(parts):
            out[(topic, p)] = [TopicPartition(topic, p)]
    return out


def set_name(group: Sequence[str]) -> str:
    return "+".join(group)


def sticky_plan(
    units: Sequence[Unit], members: Sequence[str], owner: dict[Unit, str]
) -> dict[str, list[Unit]]:
    """Balanced assignment that keeps each unit with its current owner where it can.

    Units are balanced per kind (the unit's topic or set): each member gets floor or
    ceil of its share; the extra units of a kind go to members that already hold more of
    that kind (fewer moves), then to those with the least work so far. Each kind is
    within one unit per member, so totals are within two (events and rooms)."""
    plan: dict[str, list[Unit]] = {m: [] for m in members}
    if not members:
        return plan
    kinds: dict[str, list[Unit]] = defaultdict(list)
    for u in sorted(units):
        kinds[u[0]].append(u)
    for _kind, ks in sorted(kinds.items()):
        held = {m: [u for u in ks if owner.get(u) == m] for m in members}
        base, extra = divmod(len(ks), len(members))
        order = sorted(members, key=lambda m: (-len(held[m]), len(plan[m]), m))
        quota = {m: base + (1 if i < extra else 0) for i, m in enumerate(order)}
        taken: set[Unit] = set()
        for m in members:
            for u in held[m][: quota[m]]:
                plan[m].append(u)
                taken.add(u)
        for u in ks:
            if u in taken:
                continue
            m = min(members, key=lambda m: (quota[m] - _count(plan[m], u[0]) <= 0, len(plan[m]), m))
            plan[m].append(u)
    return plan


def _count(units: list[Unit], kind: str) -> int:
    return sum(1 for u in units if u[0] == kind)


def owned_by_member(members) -> dict[TopicPartition, str]:
    """Which live member says it owns each partition (cooperative subscriptions)."""
    owned: dict[TopicPartition, str] = {}
    for member in members:
        for tp in getattr(member.metadata, "owned_partitions", None) or ():
            for p in tp.partitions:
                owned[TopicPartition(tp.topic, p)] = member.member_id
    return owned


def _assignment(version: int, tps: Iterable[TopicPartition]) -> ConsumerProtocolAssignment:
    by_topic: dict[str, list[int]] = defaultdict(list)
    for tp in tps:
        by_topic[tp.topic].append(tp.partition)
    return ConsumerProtocolAssignment(
        version, sorted((t, sorted(ps)) for t, ps in by_topic.items()), b""
    )


class _Cooperative(AbstractPartitionAssignor):
    """Shared plumbing: owned partitions in the subscription, cooperative protocol."""

    name = "witness-cooperative"
    version = 1

    def __init__(self) -> None:
        self.owned: list[TopicPartition] = []

    def supported_protocols(self):
        return [RebalanceProtocol.COOPERATIVE]

    def metadata(self, topics):
        sub_tp = ConsumerProtocolSubscription.TopicPartition
        by_topic: dict[str, list[int]] = defaultdict(list)
        for tp in self.owned:
            by_topic[tp.topic].append(tp.partition)
        return ConsumerProtocolSubscription(
            version=self.version,
            topics=sorted(topics),
            user_data=b"",
            owned_partitions=[
                sub_tp(topic=t, partitions=sorted(ps)) for t, ps in sorted(by_topic.items())
            ],
        )

    def on_assignment(self, assignment, generation):
        self.owned = assignment.partitions()

    @staticmethod
    def _partitions(cluster, members) -> dict[str, list[int]]:
        topics = sorted({t for m in members for t in m.metadata.topics})
        return {t: sorted(cluster.partitions_for_topic(t) or ()) for t in topics}

    def _withhold(self, members, plan: dict[str, list[TopicPartition]]):
        """KIP-429: a partition still owned by another live member waits a round."""
        owned = owned_by_member(members)
        return {
            m: _assignment(self.version, [tp for tp in tps if owned.get(tp, m) == m])
            for m, tps in plan.items()
        }


class CoPartitionedAssignor(_Cooperative):
    name = "witness-copartitioned"

    def __init__(self, together: Sequence[Sequence[str]] = ()) -> None:
        super().__init__()
        self.together = [tuple(g) for g in together]

    def assign(self, cluster, members):
        units = units_for(self._partitions(cluster, members), self.together)
        owned = owned_by_member(members)
        owner = {u: owned[tps[0]] for u, tps in units.items() if tps[0] in owned}
        ids = sorted(m.member_id for m in members)
        plan = sticky_plan(list(units), ids, owner)
        tps = {m: [tp for u in us for tp in units[u]] for m, us in plan.items()}
        return self._withhold(members, tps)


class ActiveStandbyAssignor(_Cooperative):
    name = "witness-active-standby"

    def assign(self, cluster, members):
        partitions = self._partitions(cluster, members)
        every = [TopicPartition(t, p) for t, ps in partitions.items() for p in ps]
        owned = owned_by_member(members)
        counts: dict[str, int] = defaultdict(int)
        for tp in every:
            if tp in owned:
                counts[owned[tp]] += 1
        ids = sorted(m.member_id for m in members)
        active = min(ids, key=lambda m: (-counts.get(m, 0), m)) if ids else None
        plan = {m: (every if m == active else []) for m in ids}
        return self._withhold(members, plan)


class RebalanceNotes(ConsumerRebalanceListener):
    """Notes what the group gave and took; the poll loop acts on it (kafka-python 3 runs
    listeners on its IO thread, where blocking calls such as `committed()` are not
    allowed). Cooperative: only partitions that move are named."""

    def __init__(self, worker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked) -> None:
        with self.worker._changes:
            self.worker._revoked.update(revoked)
            self.worker._assigned.difference_update(revoked)

    def on_partitions_assigned(self, assigned) -> None:
        with self.worker._changes:
            self.worker._assigned.update(assigned)
            self.worker._revoked.difference_update(assigned)
