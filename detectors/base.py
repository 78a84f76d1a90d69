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

from detectors.corpus_timeline import TimedCorpus
from detectors.registry import Registry
from witness.alerts import Alert
from witness.config import Thresholds
from witness.events import GLOBAL_PROJECT, Event


class DocumentTexts(Protocol):
    """Where a detector finds a document's text it no longer keeps in memory.

    The seam between pure detectors and storage: the live worker passes one backed by the
    store (`streams/document_texts.py`), replay one backed by the events it folds
    (`detectors/offline.py`), so a detector never runs SQL and replay gives what live gave.
    """

    def observe(self, event: Event) -> None:
        """Every `document.submitted` passes here (from the engine) before detectors see it."""

    def text(self, event_id: str) -> str | None:
        """The `text` of the `document.submitted` event `event_id`, or None if unknown."""


class NoDocumentTexts:
    """No text store (tests, single-shot tools): forgotten texts stay forgotten."""

    def observe(self, event: Event) -> None:
        pass

    def text(self, event_id: str) -> str | None:
        return None


class EventDocumentTexts:
    """Texts of the `document.submitted` events folded so far (replay, tests).

    Holds references to the events' own strings: for a list of events already in memory
    it costs nothing more; for a stream it keeps every document text it has read.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def observe(self, event: Event) -> None:
        if event.type == "document.submitted":
            self._texts[event.event_id] = event.payload.text

    def text(self, event_id: str) -> str | None:
        return self._texts.get(event_id)


@dataclass
class Context:
    """Read-only inputs every detector may consult.

    `registry` and `corpus` are reference data: the enterprise registry (a global table
    every worker reads whole) and the document-frequency sketch of every document seen,
    gated to the judged event's time (detectors/corpus_timeline.py). The engine folds
    `registry.relation` and `document.submitted` events into them and sets the corpus's
    as-of point before detectors see the event; detectors must not mutate them.
    `documents` loads the text of a document a detector no longer keeps (DocumentTexts).
    """

    thresholds: Thresholds = field(default_factory=Thresholds.defaults)
    registry: Registry = field(default_factory=Registry)
    locale: str = "zh-CN"
    corpus: TimedCorpus = field(default_factory=TimedCorpus)
    documents: DocumentTexts = field(default_factory=NoDocumentTexts)


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
