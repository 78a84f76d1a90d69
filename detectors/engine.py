"""The engine: folds an event stream through every registered detector.

The live worker, `witness replay` and the tests all call the engine, so a rule behaves
identically in all three. The engine also
- folds `registry.relation` facts into the shared registry, and every
  `document.submitted` into the phrase corpus (and the replay's text store), before
  detectors see them,
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
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Context, Detector
from detectors.dedup import SeenEvents
from detectors.sessions import SessionDeriver
from witness.alerts import Alert
from witness.events import Event
from witness.sealing import UNSEALED_FAMILIES, projects_named

# UNSEALED_FAMILIES: video alerts are about rooms and cameras; with several workers the
# one reading a room's frames may never see the project's `opening.started`, so sealing
# them could never be undone.


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
    ) -> None:
        self.detectors = list(detectors)
        self.ctx = ctx or Context()
        self.fold_sessions = fold_sessions
        self.states: dict[tuple[str, str], Any] = {}
        self.sessions = SessionDeriver()
        self.seen = SeenEvents()
        self._emitted: dict[str, Alert] = {}  # alert_id -> last published version
        self._pending: dict[str, Alert] = {}  # alert_id -> computed, not yet published
        self._by_project: dict[str, set[str]] = {}  # project -> alert ids
        self._opened: set[str] = set()
        #: Detector failures seen by `run` (replay reports them).
        self.failures: list[tuple[str, DetectorFailure]] = []

    # ------------------------------------------------------------------ public

    def compute(self, event: Event) -> Output:
        """Fold one event; return the alerts that are new or changed, not yet published."""
        if self.seen.seen(event):
            return Output(duplicate=True)
        out = Output()
        if event.type == "registry.relation":
            self.ctx.registry.add(event.payload)
        elif event.type == "document.submitted":
            self._count_document(event)
        out.alerts.extend(self._fold(event, out.failures))

        if event.project_id != "*":
            derived = self.sessions.step(event)
            out.sessions.extend(derived)
            if self.fold_sessions:
                for session in derived:
                    out.alerts.extend(self._fold(session, out.failures))
        if event.type == "opening.started":
            out.alerts.extend(self._unseal(event.project_id))
        if event.type == "project.archived":
            self.seen.release(event.project_id)
        return out

    def mark_published(self, alerts: Iterable[Alert]) -> None:
        """The broker confirmed these alerts: later changes are judged against them."""
        for alert in alerts:
            self._emitted[alert.alert_id] = alert
            if self._pending.get(alert.alert_id) is alert:
                del self._pending[alert.alert_id]

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
        for event in events:
            out = self.process(event)
            self.failures.extend((event.event_id, f) for f in out.failures)
        return self.alerts()

    def alerts(self) -> list[Alert]:
        return sorted(self._emitted.values(), key=lambda a: (a.first_seen, a.alert_id))

    # ------------------------------------------------------------------ internals

    def _latest(self, alert_id: str) -> Alert | None:
        pending = self._pending.get(alert_id)
        return pending if pending is not None else self._emitted.get(alert_id)

    def _count_document(self, event: Event) -> None:
        """Reference data: the corpus counts every document before any rule judges it."""
        from detectors.neardup import Params, corpus_shape

        self.ctx.documents.observe(event)
        shape = corpus_shape(self.ctx.thresholds.typed(Params))
        self.ctx.corpus.add(event.payload.text, shape)

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
        if event.type == "project.archived":
            self._forget_project(event.project_id)
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
        prev = self._latest(alert.alert_id)
        named = projects_named(alert)
        sealed = not alert.rule.startswith(UNSEALED_FAMILIES) and not named <= self._opened
        update: dict[str, Any] = {"sealed": sealed}
        if prev is not None:
            update["first_seen"] = min(prev.first_seen, alert.first_seen)
            update["last_seen"] = max(prev.last_seen, alert.last_seen)
        alert = alert.model_copy(update=update)
        if prev is not None and prev.content_key() == alert.content_key():
            return None
        self._pending[alert.alert_id] = alert
        for pid in named | {alert.project_id}:
            self._by_project.setdefault(pid, set()).add(alert.alert_id)
        return alert

    def _unseal(self, project_id: str) -> list[Alert]:
        self._opened.add(project_id)
        out = []
        for aid in sorted(self._by_project.get(project_id, ())):
            alert = self._latest(aid)
            if alert is not None and alert.sealed and projects_named(alert) <= self._opened:
                alert = alert.model_copy(update={"sealed": False})
                self._pending[aid] = alert
                out.append(alert)
        return out

    def _forget_project(self, project_id: str) -> None:
        """An archived project's per-project state is no longer needed in memory."""
        for slot in [s for s in self.states if s[1] == project_id]:
            del self.states[slot]
