"""The engine: folds an event stream through every registered detector.

The live worker, `witness replay` and the tests all call the engine, so a rule behaves
identically in all three. The engine also
- folds `registry.relation` facts into the shared registry, and every
  `document.submitted` into the phrase corpus (and the replay's text store), before
  detectors see them; the corpus is set to count what came before the event in event
  time (and its own document), live as in replay (detectors/corpus_timeline.py),
- derives `room.session` events (returned to the caller; folded back in when
  `fold_sessions` is on, as in replay and single-process runs),
- drops events it has already seen (re-delivery, a file ingested twice; see dedup.py),
- emits an alert only when its content changed, merging first/last seen,
- seals alerts while any project they name has not opened its bids, and re-emits them
  unsealed at the `opening.started` that opens the last of them (开标前保密; what a sealed
  alert may show is witness/sealing.py's),
- isolates a failing detector: its error is reported (`Output.failures`), its state is left
  as it was, and the other detectors' alerts for the event still go out.

`compute` works out an event's effects without taking them as published; the live
worker publishes them, waits until the broker confirmed every send, and only then calls
`mark_published`. `process` does both at once (replay and tests, where nothing is sent).
Until marked, computed alerts are pending: later events merge with them, so the alerts
published live are the ones replay gives.

Memory stays bounded over years: an archived project's memory (detector states, rooms,
seen ids, alerts) leaves for a `ReleasedProjects` store once its alerts are published,
and comes back if a late event for it arrives (detectors/released.py). `export_state` and
`load_state` give the whole state for snapshots (the live worker writes one per
partition, with the offsets it covers, and loads it on assignment).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.alertbook import LOOSE_CAP, AlertBook
from detectors.base import Context, Detector
from detectors.dedup import SeenEvents
from detectors.released import MemoryReleased, ProjectMemory, ReleasedProjects
from detectors.sessions import SessionDeriver
from detectors.state_version import state_version
from witness.alerts import Alert
from witness.errors import WitnessError
from witness.events import GLOBAL_PROJECT, Event
from witness.sealing import UNSEALED_FAMILIES, projects_named

# UNSEALED_FAMILIES: video alerts are about rooms and cameras; with several workers the
# one reading a room's frames may never see the project's `opening.started`, so sealing
# them could never be undone.


class StateError(WitnessError, RuntimeError):
    """A snapshot that cannot be loaded into this engine (other version, other shape)."""


@dataclass(frozen=True)
class DetectorFailure:
    """A detector raised on an event: which one, what, and where in its code."""

    detector: str
    error: str
    where: str = ""

    def describe(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"detector {self.detector} failed{at}: {self.error}"


@dataclass
class Output:
    alerts: list[Alert] = field(default_factory=list)
    sessions: list[Event] = field(default_factory=list)
    duplicate: bool = False
    failures: list[DetectorFailure] = field(default_factory=list)


def _failure(detector: str, exc: Exception) -> DetectorFailure:
    """The error and the innermost line of project code it came from."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "site-packages" not in f.filename and not f.filename.endswith("engine.py")
    ]
    where = ""
    if frames:
        inner = frames[-1]
        where = f"{inner.filename.rsplit('/', 1)[-1]}:{inner.lineno} in {inner.name}"
    return DetectorFailure(detector, f"{exc.__class__.__name__}: {exc}"[:2000], where)


class Engine:
    def __init__(
        self,
        detectors: Sequence[Detector],
        ctx: Context | None = None,
        *,
        fold_sessions: bool = True,
        derive_sessions: bool = True,
        released: ReleasedProjects | None = None,
        loose_cap: int = LOOSE_CAP,
        release_archived: bool = True,
        count_documents: bool = True,
    ) -> None:
        self.detectors = list(detectors)
        self.ctx = ctx or Context()
        self.fold_sessions = fold_sessions
        self.derive_sessions = derive_sessions
        self.released: ReleasedProjects = released if released is not None else MemoryReleased()
        self.states: dict[tuple[str, str], Any] = {}
        self.sessions = SessionDeriver()
        self.seen = SeenEvents()
        self.book = AlertBook(loose_cap)
        #: Archived projects whose memory was released (ids only).
        self.released_ids: set[str] = set()
        self.release_archived = release_archived  # False: keep them (tests compare)
        #: Fold documents into `ctx.corpus` here (replay, the cross-project worker); off
        #: where a worker feeds one shared corpus from every partition itself.
        self.count_documents = count_documents
        self._archived: set[str] = set()  # archived, released once their alerts are out
        self._version: str | None = None
        #: Detector failures seen by `run` (replay reports them).
        self.failures: list[tuple[str, DetectorFailure]] = []

    # ------------------------------------------------------------------ public

    @property
    def version(self) -> str:
        """The state version (detectors/state_version.py) snapshots must carry."""
        if self._version is None:
            self._version = state_version(self.detectors, self.ctx)
        return self._version

    def compute(self, event: Event) -> Output:
        """Fold one event; return the alerts that are new or changed, not yet published."""
        if event.project_id in self.released_ids:
            self._bring_back(event.project_id)
        if self.seen.seen(event):
            return Output(duplicate=True)
        out = Output()
        if event.type == "registry.relation":
            self.ctx.registry.add(event.payload)
        elif event.type == "document.submitted":
            self._count_document(event)
        self._as_of(event)
        out.alerts.extend(self._fold(event, out.failures))

        if event.project_id != GLOBAL_PROJECT and self.derive_sessions:
            derived = self.sessions.step(event)
            out.sessions.extend(derived)
            if self.fold_sessions:
                for session in derived:
                    self._as_of(session)
                    out.alerts.extend(self._fold(session, out.failures))
        if event.type == "opening.started":
            out.alerts.extend(self._unseal(event.project_id))
        archived = event.type == "project.archived" and event.project_id != GLOBAL_PROJECT
        if archived and self.release_archived:
            self._archived.add(event.project_id)
        return out

    def refold(self, event: Event) -> Output:
        """A global fact every live slot re-judges (a registry fact for REL-34), from a
        worker whose engines share one registry: the fact is already in the registry and
        is not remembered by each engine; only the re-judging is done here."""
        out = Output()
        self._as_of(event)
        out.alerts.extend(self._fold(event, out.failures))
        return out

    def mark_published(self, alerts: Iterable[Alert]) -> None:
        """The broker confirmed these alerts: later changes are judged against them.
        Archived projects whose alerts are all out leave memory now."""
        for alert in alerts:
            self.book.publish(alert)
        for pid in sorted(self._archived):
            if not self.book.has_pending(pid):
                self._release(pid)

    def process(self, event: Event) -> Output:
        """Compute and mark published at once (replay and tests: nothing is sent)."""
        out = self.compute(event)
        self.mark_published(out.alerts)
        return out

    def retract_fact(self, key: str) -> bool:
        """A tombstone on the registry topic: forget the fact with this key."""
        return self.ctx.registry.retract(key)

    def run(self, events: Iterable[Event]) -> list[Alert]:
        """Fold a whole stream; return the final version of every alert, in first-seen order."""
        final: dict[str, Alert] = {}
        for event in events:
            out = self.process(event)
            self.failures.extend((event.event_id, f) for f in out.failures)
            for alert in out.alerts:
                final[alert.alert_id] = alert
        return sorted(final.values(), key=lambda a: (a.first_seen, a.alert_id))

    def alerts(self) -> list[Alert]:
        """Published alerts still in memory (an archived project's leave with it)."""
        return sorted(self.book.published(), key=lambda a: (a.first_seen, a.alert_id))

    def live_projects(self) -> set[str]:
        """Projects whose memory is here (seen and not released)."""
        return self.seen.project_ids()

    # ------------------------------------------------------------------ snapshots

    def export_state(self) -> dict[str, Any]:
        """Everything this engine holds, for a snapshot (no alert may be pending: take
        it right after the broker confirmed the last poll's sends)."""
        if self.book.pending:
            raise StateError(f"{len(self.book.pending)} alert(s) not yet published")
        return {
            "version": self.version,
            "states": self.states,
            "rooms": self.sessions.projects,
            "seen": self.seen,
            "book": self.book,
            "released_ids": self.released_ids,
            "archived": self._archived,
            "corpus": self.ctx.corpus if self.count_documents else None,
        }

    def load_state(self, data: dict[str, Any]) -> None:
        """Take over a snapshot's state; StateError if it is not this engine's shape."""
        if not isinstance(data, dict) or data.get("version") != self.version:
            got = data.get("version") if isinstance(data, dict) else type(data).__name__
            raise StateError(f"snapshot state version {got!r}, this engine needs {self.version}")
        try:
            states, rooms, seen, book = data["states"], data["rooms"], data["seen"], data["book"]
            released_ids, archived = set(data["released_ids"]), set(data["archived"])
        except (KeyError, TypeError) as exc:
            raise StateError(f"snapshot state incomplete: {exc}") from None
        if not (isinstance(seen, SeenEvents) and isinstance(book, AlertBook)):
            raise StateError("snapshot state holds objects of another shape")
        self.states, self.sessions.projects, self.seen, self.book = states, rooms, seen, book
        self.released_ids, self._archived = released_ids, archived
        if self.count_documents and data.get("corpus") is not None:
            self.ctx.corpus = data["corpus"]  # the engine's own corpus comes back with it

    # ------------------------------------------------------------------ internals

    def _count_document(self, event: Event) -> None:
        """Reference data: the corpus counts every document from its event time on."""
        from detectors.neardup import Params, corpus_shape

        self.ctx.documents.observe(event)
        if self.count_documents:
            shape = corpus_shape(self.ctx.thresholds.typed(Params))
            self.ctx.corpus.add(event.payload.text, shape, ts=event.ts, key=event.event_id)

    def _as_of(self, event: Event) -> None:
        """The corpus as this event is judged: earlier documents and its own (live units
        share one corpus and judge at different times, so this is set for every event).
        Only project events move its horizon: a live worker's rooms units judge frames
        far ahead of the project events the document rules judge."""
        own = event.event_id if event.type == "document.submitted" else None
        self.ctx.corpus.as_of(event.ts, own, advance=event.project_id != GLOBAL_PROJECT)

    def _fold(self, event: Event, failures: list[DetectorFailure]) -> list[Alert]:
        changed: list[Alert] = []
        for det in self.detectors:
            try:
                keys = self._keys(det, event)
            except Exception as exc:  # one detector's bug must not cost the others' alerts
                self._failed(failures, det.name, exc)
                continue
            for k in keys:
                slot = (det.name, k)
                try:
                    state = self.states.get(slot)
                    if state is None:
                        state = det.initial()
                    state, alerts = det.step(state, event, self.ctx)
                except Exception as exc:  # its state is left as it was
                    self._failed(failures, det.name, exc)
                    continue
                self.states[slot] = state
                for alert in alerts:
                    merged = self._merge(alert)
                    if merged is not None:
                        changed.append(merged)
        return changed

    @staticmethod
    def _failed(failures: list[DetectorFailure], name: str, exc: Exception) -> None:
        """Note a detector's failure once per event (a broadcast may fail in many slots)."""
        if not any(f.detector == name for f in failures):
            failures.append(_failure(name, exc))

    def _keys(self, det: Detector, event: Event) -> list[str]:
        """The state slots `event` goes to: its own key, or, for an event the detector
        re-judges everything on (a registry fact for REL-34), every live slot it has."""
        broadcast = getattr(det, "broadcast", None)
        if broadcast is not None and broadcast(event):
            return sorted(k for name, k in self.states if name == det.name)
        k = det.key(event)
        return [] if k is None else [k]

    def _merge(self, alert: Alert) -> Alert | None:
        prev = self.book.latest(alert)
        named = projects_named(alert)
        sealed = not alert.rule.startswith(UNSEALED_FAMILIES) and not named <= self.book.opened
        update: dict[str, Any] = {"sealed": sealed}
        if prev is not None:
            update["first_seen"] = min(prev.first_seen, alert.first_seen)
            update["last_seen"] = max(prev.last_seen, alert.last_seen)
        alert = alert.model_copy(update=update)
        if prev is not None and prev.content_key() == alert.content_key():
            return None
        self.book.propose(alert)
        return alert

    def _unseal(self, project_id: str) -> list[Alert]:
        self.book.opened.add(project_id)
        out = []
        for alert in self.book.sealed_of(project_id):
            if projects_named(alert) <= self.book.opened:
                alert = alert.model_copy(update={"sealed": False})
                self.book.propose(alert)
                out.append(alert)
        return out

    def _release(self, project_id: str) -> None:
        """Move an archived project's memory out to `self.released`."""
        self._archived.discard(project_id)
        slots = [s for s in self.states if s[1] == project_id]
        memory = ProjectMemory(
            version=self.version,
            states={name: self.states.pop((name, key)) for name, key in slots},
            rooms=self.sessions.take(project_id),
            seen=self.seen.take(project_id),
            alerts=self.book.take(project_id),
        )
        self.released.put(project_id, memory.dumps())
        self.released_ids.add(project_id)

    def _bring_back(self, project_id: str) -> None:
        """A late event for a released project: its memory comes back first. Without
        usable memory the project's recorded events rebuild it; without those it starts
        afresh (as a project never seen)."""
        self.released_ids.discard(project_id)
        blob = self.released.get(project_id)
        memory = ProjectMemory.loads(blob) if blob is not None else None
        if memory is not None and memory.version == self.version:
            for name, state in memory.states.items():
                self.states[(name, project_id)] = state
            self.sessions.give(project_id, memory.rooms)
            self.seen.give(project_id, memory.seen)
            self.book.give(project_id, memory.alerts)
            return
        for event in self.released.history(project_id) or ():
            for alert in self.compute(event).alerts:
                self.book.publish(alert)  # published when they were first raised
        self._archived.discard(project_id)
