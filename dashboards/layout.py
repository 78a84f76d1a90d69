"""What the wall lays out, in which order, and how often each part refreshes (一人多岗、一屏多看).

Pure decisions, no Streamlit, so they are tested directly:
- which (at most four) projects are on an officer's wall: a project with an open red
  alert is pinned there until someone decides it, whatever the officer picked;
- the order of a project's tiles, Frigate-style by activity: rooms with open alerts
  first (fast refresh, outlined), then cameras of a session under way, idle ones last
  (slow refresh, dimmed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: Seconds between refreshes: tiles with open alerts and the feed fast, idle tiles slowly.
FAST_S = 2.0
LIVE_S = 5.0
SLOW_S = 15.0
MAX_PROJECTS = 4
MAX_TILES = 9
TILE_COLUMNS = 3
PANEL_COLUMNS = 2
#: A camera whose newest frame is older than this (seconds) is idle, whatever its room does.
STALE_S = 120.0
#: The feed: the most urgent FEED_CARDS alerts as cards with actions, the rest as lines.
FEED_CARDS = 10
FEED_SIZE = 30

HOT, LIVE, IDLE = "hot", "live", "idle"
REFRESH_S = {HOT: FAST_S, LIVE: LIVE_S, IDLE: SLOW_S}

#: How far along a project is; later stages come first among projects without red alerts.
STAGE_RANK = {
    "evaluation": 0,
    "opening": 1,
    "opened": 2,
    "finished": 3,
    "bidding": 4,
    "registered": 5,
    "archived": 9,
}


@dataclass(frozen=True)
class ProjectSummary:
    """What choosing the wall's projects needs to know about one project."""

    project_id: str
    stage: str
    open_red: int = 0
    open_other: int = 0
    live_rooms: int = 0  # rooms with a session under way


@dataclass(frozen=True)
class WallChoice:
    """The projects on the wall, and why some are there or missing."""

    shown: tuple[str, ...]
    pinned: tuple[str, ...] = ()  # open red alerts: on the wall until decided
    crowded_out: tuple[str, ...] = ()  # picked by the officer, displaced by pinned ones
    pinned_overflow: tuple[str, ...] = ()  # more red projects than the wall holds


def _auto_rank(p: ProjectSummary) -> tuple:
    return (
        p.open_red == 0,
        p.live_rooms == 0,
        STAGE_RANK.get(p.stage, 6),
        -(p.open_red + p.open_other),
        p.project_id,
    )


def choose_projects(
    summaries: Sequence[ProjectSummary],
    picked: Sequence[str] | None = None,
    max_projects: int = MAX_PROJECTS,
) -> WallChoice:
    """The wall's projects: pinned red ones first, then the officer's picks or the busiest.

    `picked` None means the officer has not chosen: the wall follows activity (live
    sessions, later stages, more open alerts; archived projects last).
    """
    known = {p.project_id: p for p in summaries}
    red = sorted(
        (p for p in summaries if p.open_red > 0),
        key=lambda p: (-p.open_red, _auto_rank(p)),
    )
    pinned = [p.project_id for p in red]
    shown = pinned[:max_projects]
    overflow = tuple(pinned[max_projects:])
    if picked is None:
        rest = [p.project_id for p in sorted(summaries, key=_auto_rank)]
        if any(known[r].stage != "archived" for r in rest):
            rest = [r for r in rest if known[r].stage != "archived" or r in pinned]
    else:
        rest = [p for p in dict.fromkeys(picked) if p in known]
    crowded: list[str] = []
    for pid in rest:
        if pid in shown:
            continue
        if len(shown) < max_projects:
            shown.append(pid)
        elif picked is not None and pid not in pinned:
            crowded.append(pid)
    return WallChoice(tuple(shown), tuple(pinned), tuple(crowded), overflow)


def keep_places(previous: Sequence[str], shown: Sequence[str]) -> list[str]:
    """`shown` in the places the panels had before: a project stays where the officer last
    saw it, a newcomer takes a freed place (a wall that reshuffles itself is misread)."""
    wanted = list(dict.fromkeys(shown))
    places: list[str | None] = [p if p in wanted else None for p in previous]
    newcomers = [p for p in wanted if p not in places]
    for i, p in enumerate(places):
        if p is None and newcomers:
            places[i] = newcomers.pop(0)
    return [p for p in places if p is not None] + newcomers


@dataclass
class TileState:
    """What ordering and styling a tile needs (filled from the store by queries)."""

    room_id: str
    camera_id: str | None
    open_alerts: int = 0
    session_under_way: bool = False
    frame_ts: datetime | None = None
    status: str | None = None  # online | offline | None (never heard)
    extra: dict = field(default_factory=dict)


def activity(tile: TileState, now: datetime | None = None) -> str:
    """hot (open alerts in its room), live (fresh picture of a session under way), idle."""
    if tile.open_alerts > 0:
        return HOT
    if tile.session_under_way and tile.status != "offline" and _fresh(tile.frame_ts, now):
        return LIVE
    return IDLE


def _fresh(ts: datetime | None, now: datetime | None) -> bool:
    if ts is None:
        return False
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return (now - ts).total_seconds() <= STALE_S


def order_tiles(tiles: Sequence[TileState], now: datetime | None = None) -> list[TileState]:
    """Most active first; ties keep room and camera order so tiles do not jump about."""
    rank = {HOT: 0, LIVE: 1, IDLE: 2}

    def key(t: TileState) -> tuple:
        a = activity(t, now)
        return (rank[a], -t.open_alerts if a == HOT else 0, t.room_id, t.camera_id or "")

    return sorted(tiles, key=key)


def refresh_every(kind: str) -> float:
    return REFRESH_S[kind]
