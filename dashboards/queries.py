"""Read-only queries for the wall pages (one round trip per table, no N+1).

The wall's refresh cost is what these cost, so `wall_data` does a fixed number of
queries whatever the number of tiles or alerts (see bench/wall.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from witness.sealing import projects_named
from witness.store import Store
from witness.store.models import (
    AlertRow,
    ConsumerLag,
    DeadLetter,
    Decision,
    EventRow,
    LatestFrame,
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

    @property
    def hot(self) -> bool:
        """Tiles whose room has open alerts refresh fast."""
        return self.open_alerts > 0


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


def wall_data(
    store: Store,
    project_ids: Sequence[str],
    *,
    max_tiles: int = 9,
    feed_limit: int = 25,
    statuses: Sequence[str] = ACTIVE_STATUSES,
) -> WallData:
    """Everything one wall refresh needs, in six queries."""
    ids = list(project_ids)
    with Session(store.engine) as s:
        prows = s.execute(select(Project).where(Project.project_id.in_(ids))).scalars().all()
        rooms = (
            s.execute(select(RoomRow).where(RoomRow.project_id.in_(ids)).order_by(RoomRow.room_id))
            .scalars()
            .all()
        )
        room_ids = [r.room_id for r in rooms]
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
        tiles: list[Tile] = []
        for r in rooms:
            if r.project_id != pid:
                continue
            cams = list(dict.fromkeys([*r.cameras, *sorted(frames_by_room.get(r.room_id, {}))]))
            for cam in cams or [None]:
                tiles.append(
                    Tile(
                        project_id=pid,
                        room_id=r.room_id,
                        camera_id=cam,
                        room_kind=r.kind,
                        session_state=r.session_state,
                        frame=frames_by_room.get(r.room_id, {}).get(cam) if cam else None,
                        open_alerts=room_alerts.get((pid, r.room_id), 0),
                    )
                )
        tiles.sort(key=lambda t: (not t.hot, t.room_id, t.camera_id or ""))
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
