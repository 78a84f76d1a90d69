"""The enterprise registry as reference data: `registry.relation` facts, queryable.

Every worker holds it whole (like a Kafka Streams global table). Detectors read it
through `Context.registry`; only the engine adds facts to it.
"""

from __future__ import annotations

from collections import defaultdict

from witness.events import RegistryRelation


class Registry:
    """Relation facts indexed by both ends: 'a is KIND of b'."""

    def __init__(self) -> None:
        self._out: dict[str, list[RegistryRelation]] = defaultdict(list)
        self._in: dict[str, list[RegistryRelation]] = defaultdict(list)
        self._seen: set[tuple] = set()

    def add(self, rel: RegistryRelation) -> bool:
        """Add a fact; return False if the same fact is already known."""
        ident = (rel.a, rel.b, rel.kind, rel.share, rel.since, rel.until)
        if ident in self._seen:
            return False
        self._seen.add(ident)
        self._out[rel.a].append(rel)
        self._in[rel.b].append(rel)
        return True

    def outgoing(self, entity: str) -> list[RegistryRelation]:
        """Facts where `entity` is a (it holds, represents, works for, ... b)."""
        return self._out.get(entity, [])

    def incoming(self, entity: str) -> list[RegistryRelation]:
        """Facts where `entity` is b (it is held, represented, employs, ...)."""
        return self._in.get(entity, [])

    def __len__(self) -> int:
        return len(self._seen)
