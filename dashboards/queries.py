"""Read-only queries for the wall pages (one round trip per table, no N+1).

The wall's refresh cost is what these cost, so `wall_data` does a fixed number of
queries whatever the number of tiles or alerts (see bench/wall.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from dashboards import layout
from witness import timebase
from witness.sealing import projects_named
from witness.store import Store
from witness.store.models import (
    AlertRow,
    ConsumerLag,
    DeadLetter,
    Decision,
    EventRow,
    LatestFrame,
    LedgerEntry,
    Project,
    RoomRow,
    ServiceHealth,
)
from witness.store.store import alert_names

SEVERITY_RANK = case((AlertRow.severity == "red", 0), (AlertRow.severity == "orange", 1), else_=2)
ACTIVE_STATUSES = ("open", "acknowledged")


@dataclass
class Tile:
    project_id: str
    room_id: str
    camera_id: str | None
    room_kind: str | None
    session_state: str | None
    frame: LatestFrame | None = None
    open_alerts: int = 0
    held_by: str | None = None  # another project's session holds the room now

    @property
    def hot(self) -> bool:
        """Tiles whose room has open alerts refresh fast."""
        return self.open_alerts > 0

    def state(self) -> layout.TileState:
        f = self.frame
        return layout.TileState(
            room_id=self.room_id,
            camera_id=self.camera_id,
            open_alerts=self.open_alerts,
            session_under_way=self.session_state == "under_way",
            frame_ts=f.ts if f is not None else None,
            status=f.status if f is not None else None,
        )

    def activity(self, now: datetime | None = None) -> str:
        return layout.activity(self.state(), now)


@dataclass
class ProjectPanel:
    project: Project
    tiles: list[Tile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # open alerts by severity


@dataclass
class WallData:
    panels: list[ProjectPanel]
    feed: list[AlertRow]
    decisions: dict[str, list[Decision]]

    def signature(self) -> tuple:
        """What, if it changes, needs a full wall redraw (stages, badges, hot rooms)."""
        return signature_of(self.panels)


def signature_of(panels: Sequence[ProjectPanel]) -> tuple:
    return tuple(
        (
            p.project.project_id,
            p.project.stage,
            p.project.opened,
            tuple(sorted(p.counts.items())),
            tuple(sorted({t.room_id for t in p.tiles if t.hot})),
            tuple(sorted({t.room_id for t in p.tiles if t.session_state == "under_way"})),
            tuple(sorted({t.room_id for t in p.tiles if t.held_by})),
        )
        for p in panels
    )


def projects(store: Store, project_ids: Sequence[str] | None = None) -> list[Project]:
    q = select(Project).order_by(Project.project_id)
    if project_ids is not None:
        q = q.where(Project.project_id.in_(list(project_ids)))
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def open_counts(store: Store, project_ids: Sequence[str]) -> dict[tuple[str, str | None, str], int]:
    """Open alerts per (project, room, severity)."""
    q = (
        select(AlertRow.project_id, AlertRow.room_id, AlertRow.severity, func.count())
        .where(AlertRow.project_id.in_(list(project_ids)), AlertRow.status == "open")
        .group_by(AlertRow.project_id, AlertRow.room_id, AlertRow.severity)
    )
    with Session(store.engine) as s:
        return {(p, r, sev): n for p, r, sev, n in s.execute(q).all()}


def feed(
    store: Store,
    project_ids: Sequence[str],
    *,
    statuses: Sequence[str] = ACTIVE_STATUSES,
    limit: int = 25,
) -> list[AlertRow]:
    """Alerts for the feed: most severe first, newest first within a severity."""
    q = (
        select(AlertRow)
        .where(AlertRow.project_id.in_(list(project_ids)), AlertRow.status.in_(list(statuses)))
        .order_by(SEVERITY_RANK, AlertRow.last_seen.desc(), AlertRow.alert_id)
        .limit(limit)
    )
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def decisions_for(store: Store, alert_ids: Sequence[str]) -> dict[str, list[Decision]]:
    if not alert_ids:
        return {}
    q = select(Decision).where(Decision.alert_id.in_(list(alert_ids))).order_by(Decision.id)
    out: dict[str, list[Decision]] = defaultdict(list)
    with Session(store.engine) as s:
        for d in s.execute(q).scalars().all():
            out[d.alert_id].append(d)
    return dict(out)


def registered_rooms(store: Store, project_ids: Sequence[str]) -> dict[str, list[dict]]:
    """Each project's rooms as its latest `project.registered` lists them.

    Rooms are the centre's and pass from project to project, so the rooms table only
    knows who holds a room now; a project's own tiles come from its registration.
    """
    ids = list(project_ids)
    if not ids:
        return {}
    q = (
        select(EventRow.project_id, LedgerEntry.body)
        .join(
            LedgerEntry,
            (EventRow.chain == LedgerEntry.chain) & (EventRow.seq == LedgerEntry.seq),
        )
        .where(EventRow.project_id.in_(ids), EventRow.type == "project.registered")
        .order_by(LedgerEntry.id)
    )
    out: dict[str, list[dict]] = {}
    with Session(store.engine) as s:
        for pid, body in s.execute(q).all():
            try:
                rooms = json.loads(body).get("payload", {}).get("rooms") or []
            except (ValueError, AttributeError):
                continue
            out[pid] = [r for r in rooms if isinstance(r, dict) and r.get("room_id")]
    return out


def wall_data(
    store: Store,
    project_ids: Sequence[str],
    *,
    max_tiles: int = 9,
    feed_limit: int = 25,
    statuses: Sequence[str] = ACTIVE_STATUSES,
    now: datetime | None = None,
) -> WallData:
    """Everything one wall refresh needs, in a fixed number of queries."""
    ids = list(project_ids)
    now = now or timebase.now()
    own = registered_rooms(store, ids)
    with Session(store.engine) as s:
        prows = s.execute(select(Project).where(Project.project_id.in_(ids))).scalars().all()
        wanted = {r["room_id"] for rooms in own.values() for r in rooms}
        q = select(RoomRow).where(RoomRow.project_id.in_(ids) | RoomRow.room_id.in_(sorted(wanted)))
        rooms = {r.room_id: r for r in s.execute(q).scalars().all()}
        room_ids = sorted(wanted | set(rooms))
        frames = (
            s.execute(select(LatestFrame).where(LatestFrame.room_id.in_(room_ids))).scalars().all()
            if room_ids
            else []
        )
    counts = open_counts(store, ids)
    by_id = {p.project_id: p for p in prows}
    frames_by_room: dict[str, dict[str, LatestFrame]] = defaultdict(dict)
    for f in frames:
        frames_by_room[f.room_id][f.camera_id] = f
    room_alerts: dict[tuple[str, str | None], int] = defaultdict(int)
    sev_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (pid, rid, sev), n in counts.items():
        room_alerts[(pid, rid)] += n
        sev_counts[pid][sev] += n
    panels: list[ProjectPanel] = []
    for pid in ids:
        project = by_id.get(pid)
        if project is None:
            continue
        listed = {r["room_id"]: r for r in own.get(pid, [])}
        for r in rooms.values():  # rooms it holds without listing them (room.session)
            if r.project_id == pid and r.room_id not in listed:
                listed[r.room_id] = {"room_id": r.room_id, "kind": r.kind, "cameras": r.cameras}
        tiles: list[Tile] = []
        for room_id in sorted(listed):
            spec, row = listed[room_id], rooms.get(room_id)
            held_by = row.project_id if row is not None else pid
            session_state = row.session_state if row is not None else None
            foreign = held_by not in (None, pid) and session_state == "under_way"
            cams = [str(c) for c in spec.get("cameras") or []]
            if not foreign:
                cams += sorted(frames_by_room.get(room_id, {}))
            for cam in list(dict.fromkeys(cams)) or [None]:
                tiles.append(
                    Tile(
                        project_id=pid,
                        room_id=room_id,
                        camera_id=cam,
                        room_kind=spec.get("kind"),
                        session_state=None if foreign or held_by != pid else session_state,
                        frame=None if foreign or cam is None else frames_by_room[room_id].get(cam),
                        open_alerts=room_alerts.get((pid, room_id), 0),
                        held_by=held_by if foreign else None,
                    )
                )
        ordered = layout.order_tiles([t.state() for t in tiles], now)
        index = {(t.room_id, t.camera_id): t for t in tiles}
        tiles = [index[(o.room_id, o.camera_id)] for o in ordered]
        panels.append(ProjectPanel(project, tiles[:max_tiles], dict(sev_counts.get(pid, {}))))
    rows = feed(store, ids, statuses=statuses, limit=feed_limit)
    return WallData(panels, rows, decisions_for(store, [a.alert_id for a in rows]))


def current_signature(store: Store, project_ids: Sequence[str], max_tiles: int = 9) -> tuple:
    """Cheap re-check used by the feed fragment to decide on a full redraw."""
    return wall_data(store, project_ids, max_tiles=max_tiles, feed_limit=1).signature()


def tile_frame(store: Store, room_id: str, camera_id: str | None) -> LatestFrame | None:
    if camera_id is None:
        return None
    with Session(store.engine) as s:
        return s.get(LatestFrame, (room_id, camera_id))


def alert(store: Store, alert_id: str) -> AlertRow | None:
    with Session(store.engine) as s:
        return s.get(AlertRow, alert_id)


def project_alerts(store: Store, project_id: str) -> list[AlertRow]:
    """The project's alerts, and cross-project ones naming it (filed under another project)."""
    q = select(AlertRow).where(alert_names(project_id)).order_by(AlertRow.first_seen)
    with Session(store.engine) as s:
        rows = s.execute(q).scalars().all()
    return [r for r in rows if r.project_id == project_id or project_id in projects_named(r)]


def archived_projects(store: Store) -> list[Project]:
    q = select(Project).where(Project.stage == "archived").order_by(Project.project_id)
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def project_chains(store: Store, project_id: str) -> list[str]:
    """Chains holding the project's records (its own; frames and registry live elsewhere)."""
    q = select(EventRow.chain).where(EventRow.project_id == project_id).distinct()
    with Session(store.engine) as s:
        chains = set(s.execute(q).scalars().all())
    return sorted(chains | {project_id})


def lag(store: Store) -> list[ConsumerLag]:
    q = select(ConsumerLag).order_by(ConsumerLag.group_id, ConsumerLag.topic, ConsumerLag.partition)
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def services(store: Store) -> list[ServiceHealth]:
    """What each service (the recorder) last said about itself over the past day."""
    from datetime import timedelta

    from witness.store.health import rows
    from witness.store.models import utcnow

    return rows(store.engine, newer_than=utcnow() - timedelta(days=1))


def dead_letters(store: Store, limit: int = 200) -> list[DeadLetter]:
    q = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def camera_health(store: Store) -> list[tuple[LatestFrame, str | None]]:
    """Every camera's latest frame with the project its room belongs to."""
    q = (
        select(LatestFrame, RoomRow.project_id)
        .join(RoomRow, RoomRow.room_id == LatestFrame.room_id, isouter=True)
        .order_by(LatestFrame.room_id, LatestFrame.camera_id)
    )
    with Session(store.engine) as s:
        return [(f, p) for f, p in s.execute(q).all()]


def event_rate(store: Store, since: datetime) -> int:
    """Events recorded (by event time) since `since`."""
    q = select(func.count()).select_from(EventRow).where(EventRow.ts >= since)
    with Session(store.engine) as s:
        return int(s.execute(q).scalar_one())


def project_summaries(store: Store, project_ids: Sequence[str]) -> list[layout.ProjectSummary]:
    """Stage, open alerts by severity and live rooms of each project (three queries)."""
    ids = list(project_ids)
    if not ids:
        return []
    with Session(store.engine) as s:
        stages = dict(
            s.execute(
                select(Project.project_id, Project.stage).where(Project.project_id.in_(ids))
            ).all()
        )
        open_rows = s.execute(
            select(AlertRow.project_id, AlertRow.severity, func.count())
            .where(AlertRow.project_id.in_(ids), AlertRow.status == "open")
            .group_by(AlertRow.project_id, AlertRow.severity)
        ).all()
        live = dict(
            s.execute(
                select(RoomRow.project_id, func.count())
                .where(RoomRow.project_id.in_(ids), RoomRow.session_state == "under_way")
                .group_by(RoomRow.project_id)
            ).all()
        )
    red: dict[str, int] = defaultdict(int)
    other: dict[str, int] = defaultdict(int)
    for pid, sev, n in open_rows:
        (red if sev == "red" else other)[pid] += n
    return [
        layout.ProjectSummary(pid, stages[pid], red[pid], other[pid], int(live.get(pid, 0)))
        for pid in ids
        if pid in stages
    ]


def global_alerts(store: Store, statuses: Sequence[str] | None = None) -> list[AlertRow]:
    """Alerts of no single project (`*`): rings across tenders, rooms with no session."""
    q = select(AlertRow).where(AlertRow.project_id == "*")
    if statuses:
        q = q.where(AlertRow.status.in_(list(statuses)))
    q = q.order_by(SEVERITY_RANK, AlertRow.last_seen.desc(), AlertRow.alert_id)
    with Session(store.engine) as s:
        return list(s.execute(q).scalars().all())


def projects_touched(row: AlertRow, rooms_of: dict[str, set[str]]) -> set[str]:
    """The projects a `*` alert concerns: tenders in its evidence, or the room's projects."""
    touched = {str(p) for p in (getattr(row, "projects", None) or [])}
    ev = row.evidence or {}
    for tender in ev.get("tenders") or []:
        if isinstance(tender, dict) and tender.get("project_id"):
            touched.add(str(tender["project_id"]))
    if row.room_id:
        touched |= {pid for pid, rooms in rooms_of.items() if row.room_id in rooms}
    return touched - {"*"}


def party_names(store: Store, project_ids: Sequence[str]):
    """Names of bidders and experts (and the currency) per project, from its events.

    Call only for opened projects: bidder names are sealed until the opening.
    """
    from dashboards.explain import Names

    ids = [p for p in dict.fromkeys(project_ids) if p != "*"]
    out = {pid: Names() for pid in ids}
    if not ids:
        return out
    q = (
        select(EventRow.project_id, EventRow.type, LedgerEntry.body)
        .join(
            LedgerEntry,
            (EventRow.chain == LedgerEntry.chain) & (EventRow.seq == LedgerEntry.seq),
        )
        .where(
            EventRow.project_id.in_(ids),
            EventRow.type.in_(["bid.submitted", "expert.assigned", "project.registered"]),
        )
        .order_by(LedgerEntry.id)
    )
    with Session(store.engine) as s:
        for pid, etype, body in s.execute(q).all():
            try:
                payload = json.loads(body).get("payload") or {}
            except ValueError:
                continue
            names = out[pid]
            if etype == "bid.submitted":
                bidder = payload.get("bidder") or {}
                if bidder.get("id") and bidder.get("name"):
                    names.bidders[str(bidder["id"])] = str(bidder["name"])
            elif etype == "expert.assigned":
                expert = payload.get("expert") or {}
                if expert.get("id") and expert.get("name"):
                    names.experts[str(expert["id"])] = str(expert["name"])
            elif payload.get("currency"):
                names.currency = str(payload["currency"])
    return out


@dataclass(frozen=True)
class GroupLag:
    """One consumer group's progress: partitions, summed positions and lag, its rate."""

    group_id: str
    partitions: int
    position: int
    lag: int
    events_per_s: float | None  # None: not reported by the group itself
    updated_at: datetime


def group_lag(rows: Sequence[ConsumerLag]) -> list[GroupLag]:
    """Lag rows per (group, topic, partition) folded per group.

    A group reports its rate on each of its rows (the same number), so the rows'
    rates are not summed: that would count the group once per partition.
    """
    groups: dict[str, list[ConsumerLag]] = defaultdict(list)
    for r in rows:
        groups[r.group_id].append(r)
    out = []
    for gid, rs in sorted(groups.items()):
        rates = [r.events_per_s for r in rs if r.events_per_s]
        out.append(
            GroupLag(
                gid,
                len(rs),
                sum(r.position for r in rs),
                sum(r.lag for r in rs),
                max(rates) if rates else None,
                max(r.updated_at for r in rs),
            )
        )
    return out


def measured_rates(
    now: list[GroupLag], before: dict[str, tuple[int, datetime]]
) -> dict[str, float]:
    """events/s per group from how far its positions moved since the last look."""
    out = {}
    for g in now:
        prev = before.get(g.group_id)
        if prev is None:
            continue
        seconds = (g.updated_at - prev[1]).total_seconds()
        if seconds > 0 and g.position >= prev[0]:
            out[g.group_id] = (g.position - prev[0]) / seconds
    return out
