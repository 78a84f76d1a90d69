"""The enterprise registry as reference data: `registry.relation` facts, queryable.

Every worker holds it whole (like a Kafka Streams global table). Detectors read it
through `Context.registry`; only the engine adds facts to it.

It must stay fast with millions of facts: both ends are indexed in plain dicts, and
`controllers` answers REL-34's one question ("who controls or manages this entity on
this day?") from a third index that holds only control facts, so a walk up a control
chain never scans employment, kinship or address facts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from witness.events import RegistryRelation

#: Relation kinds that can make "a controls or manages b" (实施条例 第三十四条).
CONTROL_KINDS = frozenset({"shareholder", "legal_rep", "director"})


def in_force(rel: RegistryRelation, on: date | None) -> bool:
    """A fact counts on `on` if it started on or before it and had not ended before it."""
    if on is None:
        return True
    if rel.since is not None and rel.since > on:
        return False
    return not (rel.until is not None and rel.until < on)


class Registry:
    """Relation facts indexed by both ends: 'a is KIND of b'.

    A fact is identified by its key (a, b, kind, since), as on the compacted registry
    topic: a later version of the same fact (with `until`, or a corrected share) replaces
    the earlier one, and a tombstone for the key retracts it.
    """

    def __init__(self) -> None:
        self._out: dict[str, list[RegistryRelation]] = defaultdict(list)
        self._in: dict[str, list[RegistryRelation]] = defaultdict(list)
        self._control_in: dict[str, list[RegistryRelation]] = defaultdict(list)
        self._facts: dict[str, RegistryRelation] = {}
        #: Bumped on every change, so callers may cache answers per version.
        self.version = 0

    def add(self, rel: RegistryRelation) -> bool:
        """Add a fact or a new version of one; return False if nothing changed."""
        key = rel.fact_key
        old = self._facts.get(key)
        if old == rel:
            return False
        if old is not None:
            self._unlink(old)
        self._facts[key] = rel
        self._out[rel.a].append(rel)
        self._in[rel.b].append(rel)
        if rel.kind in CONTROL_KINDS:
            self._control_in[rel.b].append(rel)
        self.version += 1
        return True

    def retract(self, key: str) -> bool:
        """Forget the fact with this key (a tombstone on the topic); False if unknown."""
        old = self._facts.pop(key, None)
        if old is None:
            return False
        self._unlink(old)
        self.version += 1
        return True

    def _unlink(self, rel: RegistryRelation) -> None:
        for index, end in ((self._out, rel.a), (self._in, rel.b), (self._control_in, rel.b)):
            facts = index.get(end)
            if facts is not None and rel in facts:
                facts.remove(rel)

    def outgoing(self, entity: str) -> list[RegistryRelation]:
        """Facts where `entity` is a (it holds, represents, works for, ... b)."""
        return self._out.get(entity, [])

    def incoming(self, entity: str) -> list[RegistryRelation]:
        """Facts where `entity` is b (it is held, represented, employs, ...)."""
        return self._in.get(entity, [])

    def controllers(
        self,
        entity: str,
        *,
        on: date | None = None,
        control_share: float = 0.5,
        kinds: frozenset[str] = CONTROL_KINDS,
    ) -> list[RegistryRelation]:
        """Facts 'x controls or manages `entity`' in force on `on`.

        A shareholding counts only at or above `control_share` (a minority stake is not
        control); legal representative and director facts count as they are, if their
        kind is in `kinds`.
        """
        out = []
        for rel in self._control_in.get(entity, ()):
            if rel.kind not in kinds or not in_force(rel, on):
                continue
            if rel.kind == "shareholder" and (rel.share is None or rel.share < control_share):
                continue
            out.append(rel)
        return out

    def __len__(self) -> int:
        return len(self._facts)
