"""What a detector is: pure logic `(state, event) -> (state, alerts)`.

No detector imports Kafka, SQL or Streamlit; the same object runs in the live worker,
in replay and in tests. The engine owns the states: one per detector and state key
(usually the project id, the room id for video rules, "*" for cross-project rules).
A detector may update its state in place for speed, but must return it, and must use
event timestamps, never the wall clock, so that replay gives the same alerts as live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from detectors.registry import Registry
from witness.alerts import Alert
from witness.config import Thresholds
from witness.events import GLOBAL_PROJECT, Event


@dataclass
class Context:
    """Read-only inputs every detector may consult.

    `registry` is reference data (the enterprise registry, a global table every worker
    reads whole); the engine folds `registry.relation` events into it before detectors
    see them. Detectors must not mutate it.
    """

    thresholds: Thresholds = field(default_factory=Thresholds.defaults)
    registry: Registry = field(default_factory=Registry)
    locale: str = "zh-CN"


class Detector(Protocol):
    name: ClassVar[str]
    rules: ClassVar[tuple[str, ...]]

    def key(self, event: Event) -> str | None:
        """Which state slot `event` belongs to, or None if this detector ignores it."""

    def initial(self) -> Any:
        """A fresh state for a new key."""

    def step(self, state: Any, event: Event, ctx: Context) -> tuple[Any, list[Alert]]:
        """Fold one event into the state; return the new state and any alerts."""

    # Optional: `broadcast(event) -> bool`. True means the event concerns every state
    # slot the detector holds (a registry fact may tie bidders of any live project), and
    # the engine steps it through each of them, in key order, instead of one `key()`.


class ProjectDetector:
    """Base for per-project rules: state keyed by project_id, global events ignored."""

    name: ClassVar[str] = "project"
    rules: ClassVar[tuple[str, ...]] = ()
    #: Event types this detector wants; empty means every project event.
    types: ClassVar[frozenset[str]] = frozenset()

    def key(self, event: Event) -> str | None:
        if event.project_id == GLOBAL_PROJECT:
            return None
        if self.types and event.type not in self.types:
            return None
        return event.project_id

    def initial(self) -> Any:
        return {}

    def step(self, state: Any, event: Event, ctx: Context) -> tuple[Any, list[Alert]]:
        raise NotImplementedError


class CrossProjectDetector:
    """Base for rules across projects (REL-RING, BID-LOSER, REJ-RATE): one state, key "*".

    Project events of `types` all fold into the one state; global events are ignored.
    Such state must stay bounded (see `detectors.tally`)."""

    name: ClassVar[str] = "cross-project"
    rules: ClassVar[tuple[str, ...]] = ()
    types: ClassVar[frozenset[str]] = frozenset()

    def key(self, event: Event) -> str | None:
        if event.project_id == GLOBAL_PROJECT or event.type not in self.types:
            return None
        return GLOBAL_PROJECT
