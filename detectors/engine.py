"""The engine: folds an event stream through every registered detector.

The live worker, `witness replay` and the tests all call `Engine.process`, so a rule
behaves identically in all three. The engine also
- folds `registry.relation` facts into the shared registry before detectors see them,
- derives `room.session` events (returned to the caller; folded back in when
  `fold_sessions` is on, as in replay and single-process runs),
- drops events it has already seen (re-delivery, a file ingested twice),
- emits an alert only when its content changed, merging first/last seen,
- seals alerts while any project they name has not opened its bids, and re-emits them
  unsealed at the `opening.started` that opens the last of them (开标前保密; what a sealed
  alert may show is witness/sealing.py's).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Context, Detector
from detectors.sessions import SessionDeriver
from witness.alerts import Alert
from witness.events import Event
from witness.sealing import UNSEALED_FAMILIES, projects_named

# UNSEALED_FAMILIES: video alerts are about rooms and cameras; with several workers the
# one reading a room's frames may never see the project's `opening.started`, so sealing
# them could never be undone.

#: How many event ids the engine remembers for de-duplication.
SEEN_CAPACITY = 1_000_000


@dataclass
class Output:
    alerts: list[Alert] = field(default_factory=list)
    sessions: list[Event] = field(default_factory=list)
    duplicate: bool = False


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
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._emitted: dict[str, Alert] = {}  # alert_id -> last emitted version
        self._by_project: dict[str, set[str]] = {}  # project -> alert ids
        self._opened: set[str] = set()

    # ------------------------------------------------------------------ public

    def process(self, event: Event) -> Output:
        """Fold one event; return the alerts that are new or changed."""
        if event.event_id in self._seen:
            self._seen.move_to_end(event.event_id)
            return Output(duplicate=True)
        self._seen[event.event_id] = None
        if len(self._seen) > SEEN_CAPACITY:
            self._seen.popitem(last=False)

        out = Output()
        if event.type == "registry.relation":
            self.ctx.registry.add(event.payload)
        out.alerts.extend(self._fold(event))

        if event.project_id != "*":
            derived = self.sessions.step(event)
            out.sessions.extend(derived)
            if self.fold_sessions:
                for session in derived:
                    out.alerts.extend(self._fold(session))
        if event.type == "opening.started":
            out.alerts.extend(self._unseal(event.project_id))
        return out

    def run(self, events: Iterable[Event]) -> list[Alert]:
        """Fold a whole stream; return the final version of every alert, in first-seen order."""
        for event in events:
            self.process(event)
        return self.alerts()

    def alerts(self) -> list[Alert]:
        return sorted(self._emitted.values(), key=lambda a: (a.first_seen, a.alert_id))

    # ------------------------------------------------------------------ internals

    def _fold(self, event: Event) -> list[Alert]:
        changed: list[Alert] = []
        for det in self.detectors:
            for k in self._keys(det, event):
                slot = (det.name, k)
                state = self.states.get(slot)
                if state is None:
                    state = det.initial()
                state, alerts = det.step(state, event, self.ctx)
                self.states[slot] = state
                for alert in alerts:
                    merged = self._merge(alert)
                    if merged is not None:
                        changed.append(merged)
        if event.type == "project.archived":
            self._forget_project(event.project_id)
        return changed

    def _keys(self, det: Detector, event: Event) -> list[str]:
        """The state slots `event` goes to: its own key, or, for an event the detector
        re-judges everything on (a registry fact for REL-34), every live slot it has."""
        broadcast = getattr(det, "broadcast", None)
        if broadcast is not None and broadcast(event):
            return sorted(k for name, k in self.states if name == det.name)
        k = det.key(event)
        return [] if k is None else [k]

    def _merge(self, alert: Alert) -> Alert | None:
        prev = self._emitted.get(alert.alert_id)
        named = projects_named(alert)
        sealed = not alert.rule.startswith(UNSEALED_FAMILIES) and not named <= self._opened
        update: dict[str, Any] = {"sealed": sealed}
        if prev is not None:
            update["first_seen"] = min(prev.first_seen, alert.first_seen)
            update["last_seen"] = max(prev.last_seen, alert.last_seen)
        alert = alert.model_copy(update=update)
        if prev is not None and prev.content_key() == alert.content_key():
            return None
        self._emitted[alert.alert_id] = alert
        for pid in named | {alert.project_id}:
            self._by_project.setdefault(pid, set()).add(alert.alert_id)
        return alert

    def _unseal(self, project_id: str) -> list[Alert]:
        self._opened.add(project_id)
        out = []
        for aid in sorted(self._by_project.get(project_id, ())):
            alert = self._emitted[aid]
            if alert.sealed and projects_named(alert) <= self._opened:
                alert = alert.model_copy(update={"sealed": False})
                self._emitted[aid] = alert
                out.append(alert)
        return out

    def _forget_project(self, project_id: str) -> None:
        """An archived project's per-project state is no longer needed in memory."""
        for slot in [s for s in self.states if s[1] == project_id]:
            del self.states[slot]
