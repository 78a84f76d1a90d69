"""Offline replay: run every detector over given or archived events, no broker.

Like cli.py this module sits on top and wires floors together: it feeds events from a
file or the store through the same `detectors.Engine` the live worker uses, so replay
gives the same alerts as live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from witness.alerts import Alert
from witness.config import Thresholds
from witness.events import Event


def replay(
    events: Iterable[Event], *, thresholds: Thresholds | None = None, locale: str = "zh-CN"
) -> list[Alert]:
    """Fold events through a fresh engine with every registered detector; final alerts."""
    import detectors

    ctx = detectors.Context(thresholds=thresholds or Thresholds.defaults(), locale=locale)
    engine = detectors.Engine(detectors.all_detectors(), ctx)
    return engine.run(events)


def project_history(store, project_id: str) -> list[Event]:
    """What the live worker saw for one project: the registry (reference data, first),
    then the project's events in recorded order with its rooms' frames interleaved by time."""
    own = store.events(project_id)
    if not own:
        return []
    registry = store.events("*", types=["registry.relation"])
    rooms = sorted(
        {r.room_id for e in own if e.type == "project.registered" for r in e.payload.rooms}
        | {e.room_id for e in own if e.room_id}
    )
    start = min(e.ts for e in own)
    end = max(e.ts for e in own)
    frames = store.events(
        "*", types=["frame.analyzed", "camera.status"], rooms=rooms, since=start, until=end
    )
    frames.sort(key=lambda e: e.ts)
    merged: list[Event] = list(registry)
    i = 0
    for event in own:
        while i < len(frames) and frames[i].ts < event.ts:
            merged.append(frames[i])
            i += 1
        merged.append(event)
    merged.extend(frames[i:])
    return merged


@dataclass
class Comparison:
    """Alerts raised live vs alerts raised now (same, changed, new, gone)."""

    same: list[Alert] = field(default_factory=list)
    changed: list[tuple[Alert, Alert]] = field(default_factory=list)  # (live, now)
    new: list[Alert] = field(default_factory=list)
    gone: list[Alert] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.changed or self.new or self.gone)


def _comparable(alert: Alert) -> str:
    """Compare what a rule decided: not thumbnails (the ledger keeps frames without
    them), not the title (written in the reader's language), not the sealed flag."""
    evidence = {k: v for k, v in alert.evidence.items() if k != "thumbnail"}
    return alert.model_copy(
        update={"evidence": evidence, "sealed": False, "title": ""}
    ).content_key()


def compare(live: Iterable[Alert], now: Iterable[Alert]) -> Comparison:
    live_by_id = {a.alert_id: a for a in live}
    now_by_id = {a.alert_id: a for a in now}
    out = Comparison()
    for aid, a in now_by_id.items():
        prev = live_by_id.get(aid)
        if prev is None:
            out.new.append(a)
        elif _comparable(prev) == _comparable(a):
            out.same.append(a)
        else:
            out.changed.append((prev, a))
    out.gone = [a for aid, a in live_by_id.items() if aid not in now_by_id]
    return out
