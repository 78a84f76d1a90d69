"""An archived project's record as a replay: events, alert versions and decisions in time.

The hash chain holds all three kinds in recording order; the replay orders them by when
they happened (an event's time, an alert version's last sighting, a decision's time) so
an auditor can step or play through the day and see, at any moment, which alerts
existed, what they said then and what status the officers had given them by then.
Pure: the archive page draws it; tests check it.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EVENT, ALERT, DECISION = "event", "alert", "decision"


@dataclass(frozen=True)
class Step:
    """One moment of the replay."""

    at: datetime
    kind: str  # event | alert | decision
    ref: str  # event id, alert id, decision id
    body: dict[str, Any] = field(repr=False, compare=False)

    @property
    def alert_id(self) -> str | None:
        if self.kind == ALERT:
            return self.ref
        if self.kind == DECISION:
            return self.body.get("alert_id")
        return None


def _ts(value: Any) -> datetime | None:
    try:
        ts = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class Replay:
    steps: list[Step]

    @classmethod
    def from_links(cls, links: Iterable[Any], visible_event=lambda etype: True) -> Replay:
        """Steps from a chain's links (seq, kind, ref, body); events filtered by `visible_event`."""
        steps: list[Step] = []
        for link in links:
            try:
                body = json.loads(link.body)
            except ValueError:
                continue
            if link.kind == EVENT:
                if not visible_event(body.get("type", "")):
                    continue
                at = _ts(body.get("ts"))
            elif link.kind == ALERT:
                at = _ts(body.get("last_seen"))
            elif link.kind == DECISION:
                at = _ts(body.get("at"))
            else:
                continue
            if at is not None:
                steps.append(Step(at, link.kind, link.ref, body))
        order = {EVENT: 0, ALERT: 1, DECISION: 2}  # an alert follows the event that raised it
        steps.sort(key=lambda s: (s.at, order[s.kind]))
        return cls(steps)

    def __len__(self) -> int:
        return len(self.steps)

    def index_at(self, at: datetime) -> int:
        """The last step at or before `at` (-1 before the first)."""
        return bisect_right([s.at for s in self.steps], at) - 1

    def next_of(self, i: int, kind: str) -> int | None:
        """The next step of `kind` after step i (alert: a new alert, not a later version)."""
        seen = {s.ref for s in self.steps[: i + 1] if s.kind == ALERT}
        for j in range(i + 1, len(self.steps)):
            s = self.steps[j]
            if s.kind == kind and (kind != ALERT or s.ref not in seen):
                return j
        return None

    def previous_of(self, i: int, kind: str) -> int | None:
        for j in range(min(i, len(self.steps)) - 1, -1, -1):
            if self.steps[j].kind == kind:
                return j
        return None

    def alerts_at(self, i: int) -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
        """(alert as it was, its status then, decisions so far) for alerts raised by step i."""
        versions: dict[str, dict[str, Any]] = {}
        decisions: dict[str, list[dict[str, Any]]] = {}
        for s in self.steps[: i + 1]:
            if s.kind == ALERT:
                versions[s.ref] = s.body
            elif s.kind == DECISION and s.alert_id:
                decisions.setdefault(s.alert_id, []).append(s.body)
        out = []
        for aid, body in versions.items():
            done = decisions.get(aid, [])
            out.append((body, done[-1].get("status_after", "open") if done else "open", done))
        rank = {"red": 0, "orange": 1, "yellow": 2}
        out.sort(key=lambda x: (rank.get(x[0].get("severity"), 3), x[0].get("first_seen", "")))
        return out

    def counts(self, kinds: Sequence[str] = (EVENT, ALERT, DECISION)) -> dict[str, int]:
        return {k: sum(1 for s in self.steps if s.kind == k) for k in kinds}
