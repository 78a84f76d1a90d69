"""Offline replay: run every detector over given or archived events, no broker.

It feeds events (from a file, an archive bundle or `witness.store.history`) through the
same `detectors.Engine` the live worker uses, so replay gives the same alerts as live,
and compares two alert sets the way an auditor does (same, changed, new, gone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from detectors.base import Context, Detector
from witness.alerts import Alert
from witness.config import Thresholds
from witness.events import Event


def run_detectors(
    events: Iterable[Event],
    detectors: Sequence[Detector] | None = None,
    ctx: Context | None = None,
    *,
    every_version: bool = False,
) -> list[Alert]:
    """Fold events through a fresh engine of `detectors` (every registered one if None).

    The final version of each alert in first-seen order, or with `every_version` each
    version as the engine raised it (escalations and re-raises count, as the live worker
    would publish them). One function for replay, the tests and anyone asking "what
    would these detectors say about these events?".
    """
    from detectors import Engine, all_detectors

    engine = Engine(all_detectors() if detectors is None else detectors, ctx)
    if not every_version:
        return engine.run(events)
    return [alert for event in events for alert in engine.process(event).alerts]


def replay(
    events: Iterable[Event], *, thresholds: Thresholds | None = None, locale: str = "zh-CN"
) -> list[Alert]:
    """Fold events through a fresh engine with every registered detector; final alerts."""
    from detectors.base import EventDocumentTexts

    ctx = Context(
        thresholds=thresholds or Thresholds.defaults(),
        locale=locale,
        documents=EventDocumentTexts(),  # texts the detectors forgot come from the events
    )
    return run_detectors(events, None, ctx)


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
