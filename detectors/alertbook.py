"""What the engine has said: the last published version of each alert, the computed ones
not yet confirmed, and which alerts each project holds (for unsealing at opening and for
releasing an archived project's memory).

Memory stays bounded over years:
- alerts of a project (REL, DOC, PRICE, EXP, PROC, ...) live with their project and leave
  memory with it when it is archived (`take`), to come back with it (`give`) if a late
  event for the project arrives;
- alerts no project release covers (project "*" rules, and VID alerts, which are about
  rooms and come from engines that never see the project archived) are kept in a
  least-recently-changed table of at most `loose_cap` alerts. An alert dropped from it and
  raised again is sent again as a new version (the recorder upserts by id): it can repeat
  an alert, never lose one.
Alerts that name other projects (cross-project rules) are indexed by those projects too,
so the opening of the last of them unseals them. Opened projects are remembered as ids
even after release (an old tender a ring alert names stays opened).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from witness.alerts import Alert
from witness.events import GLOBAL_PROJECT
from witness.sealing import projects_named

#: Families whose alerts are about rooms, not about the project's bids.
ROOM_FAMILIES = ("VID-",)
#: Default bound on alerts kept that no project release covers.
LOOSE_CAP = 50_000


def held_by_project(alert: Alert) -> bool:
    return alert.project_id != GLOBAL_PROJECT and not alert.rule.startswith(ROOM_FAMILIES)


@dataclass
class ProjectAlerts:
    """One project's share of the book, as it leaves memory at archive time."""

    emitted: dict[str, Alert] = field(default_factory=dict)
    opened: bool = False


class AlertBook:
    def __init__(self, loose_cap: int = LOOSE_CAP) -> None:
        self.loose_cap = max(1, loose_cap)
        self.projects: dict[str, dict[str, Alert]] = {}  # project -> alert id -> published
        self.loose: OrderedDict[str, Alert] = OrderedDict()
        self.pending: dict[str, Alert] = {}  # computed, not yet published
        self.opened: set[str] = set()
        #: project -> {alert id: the project holding it, or None if loose}, for alerts
        #: naming the project without being its own
        self.named_by: dict[str, dict[str, str | None]] = {}

    def latest(self, alert: Alert) -> Alert | None:
        """The newest version known of `alert` (pending first, then published)."""
        pending = self.pending.get(alert.alert_id)
        if pending is not None:
            return pending
        if held_by_project(alert):
            return self.projects.get(alert.project_id, {}).get(alert.alert_id)
        return self.loose.get(alert.alert_id)

    def propose(self, alert: Alert) -> None:
        self.pending[alert.alert_id] = alert

    def publish(self, alert: Alert) -> None:
        """The broker confirmed this version: later changes are judged against it."""
        if self.pending.get(alert.alert_id) is alert:
            del self.pending[alert.alert_id]
        held = held_by_project(alert)
        for pid in projects_named(alert) - {alert.project_id}:
            self.named_by.setdefault(pid, {})[alert.alert_id] = alert.project_id if held else None
        if held:
            self.projects.setdefault(alert.project_id, {})[alert.alert_id] = alert
            return
        self.loose[alert.alert_id] = alert
        self.loose.move_to_end(alert.alert_id)
        while len(self.loose) > self.loose_cap:
            _, old = self.loose.popitem(last=False)
            self._unname(old)

    def _unname(self, alert: Alert) -> None:
        for pid in projects_named(alert) - {alert.project_id}:
            ids = self.named_by.get(pid)
            if ids is not None:
                ids.pop(alert.alert_id, None)
                if not ids:
                    del self.named_by[pid]

    def _find(self, aid: str, holder: str | None) -> Alert | None:
        if aid in self.pending:
            return self.pending[aid]
        if holder is None:
            return self.loose.get(aid)
        return self.projects.get(holder, {}).get(aid)

    def sealed_of(self, project_id: str) -> list[Alert]:
        """The newest version of each alert naming the project that is shown sealed."""
        ids: dict[str, str | None] = dict.fromkeys(self.projects.get(project_id, {}), project_id)
        ids.update(self.named_by.get(project_id, {}))
        for aid, a in self.pending.items():
            if project_id in projects_named(a):
                ids.setdefault(aid, a.project_id if held_by_project(a) else None)
        out = []
        for aid in sorted(ids):
            alert = self._find(aid, ids[aid])
            if alert is not None and alert.sealed:
                out.append(alert)
        return out

    def has_pending(self, project_id: str) -> bool:
        return any(a.project_id == project_id for a in self.pending.values())

    def take(self, project_id: str) -> ProjectAlerts:
        """Remove a project's alerts from memory (it is archived); see `give`."""
        out = ProjectAlerts(self.projects.pop(project_id, {}), project_id in self.opened)
        for alert in out.emitted.values():
            self._unname(alert)
        return out

    def give(self, project_id: str, part: ProjectAlerts) -> None:
        """Bring an archived project's alerts back (a late event for it arrived)."""
        for alert in part.emitted.values():
            self.publish(alert)
        if part.opened:
            self.opened.add(project_id)

    def published(self) -> list[Alert]:
        """Every published alert still in memory."""
        held = [a for alerts in self.projects.values() for a in alerts.values()]
        return held + list(self.loose.values())

    def __len__(self) -> int:
        return sum(len(a) for a in self.projects.values()) + len(self.loose)
