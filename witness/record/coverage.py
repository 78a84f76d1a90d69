"""Camera coverage per room during each session (全程录音录像), from the recorded frames.

A camera covers the `gap_seconds` after each analysed frame (the VID-OFFLINE window), up
to a `camera.status` offline. Within a session (`opening.started` … `opening.closed`,
`evaluation.started` … `evaluation.finished` in the room) the record shows the minutes
covered, every stretch not covered (gaps), and the tamper and offline periods the video
rules judged (their alerts' first and last seen).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from witness.events import Event
from witness.record.model import CameraCoverage, Period, RoomInfo, SessionCoverage

SESSION_EDGES = {
    "opening.started": ("opening", "start"),
    "opening.closed": ("opening", "end"),
    "evaluation.started": ("evaluation", "start"),
    "evaluation.finished": ("evaluation", "end"),
}
FRAME_TYPES = frozenset({"frame.analyzed", "camera.status"})
#: Rules whose periods the record lists beside the gaps.
PERIOD_RULES = ("VID-TAMPER", "VID-OFFLINE")


def sessions(events: Sequence[Event]) -> list[tuple[str, str, datetime, datetime]]:
    """(room, kind, start, end) of every session; one never ended runs to the last event."""
    last = max((e.ts for e in events), default=None)
    open_: dict[tuple[str, str], datetime] = {}
    out: list[tuple[str, str, datetime, datetime]] = []
    for e in events:
        edge = SESSION_EDGES.get(e.type)
        room = getattr(e.payload, "room_id", None)
        if edge is None or not room:
            continue
        kind, which = edge
        if which == "start":
            open_.setdefault((room, kind), e.ts)
        elif (room, kind) in open_:
            out.append((room, kind, open_.pop((room, kind)), e.ts))
    out += [(room, kind, start, last) for (room, kind), start in open_.items() if last]
    return sorted(out, key=lambda s: (s[2], s[0]))


def _covered(
    times: Sequence[tuple[datetime, bool]], start: datetime, end: datetime, gap: timedelta
) -> list[tuple[datetime, datetime]]:
    """Merged stretches of [start, end] covered by frames (True) and cut by offline (False)."""
    spans: list[tuple[datetime, datetime]] = []
    n = len(times)
    for i, (t, online) in enumerate(times):
        if not online or t > end or t + gap < start:
            continue
        stop = t + gap
        j = i + 1
        while j < n and times[j][0] <= stop:
            if not times[j][1]:
                stop = times[j][0]  # reported offline: coverage ends here
                break
            j += 1
        lo, hi = max(t, start), min(stop, end)
        if hi > lo:
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
            else:
                spans.append((lo, hi))
    return spans


def coverage(
    events: Sequence[Event],
    rooms: Iterable[RoomInfo],
    alerts: Iterable[object],
    gap_seconds: float = 60,
) -> list[SessionCoverage]:
    """Coverage of every session of the project, camera by camera."""
    gap = timedelta(seconds=gap_seconds)
    listed = {r.room_id: list(r.cameras) for r in rooms}
    frames: dict[tuple[str, str], list[tuple[datetime, bool]]] = {}
    for e in events:
        if e.type in FRAME_TYPES:
            p = e.payload
            online = e.type == "frame.analyzed" or p.status == "online"
            frames.setdefault((p.room_id, p.camera_id), []).append((e.ts, online))
    for times in frames.values():
        times.sort()
    periods: dict[tuple[str, str], list[Period]] = {}
    for a in alerts:
        if getattr(a, "rule", "") in PERIOD_RULES and a.room_id:
            for cam in a.subjects:
                periods.setdefault((a.room_id, cam), []).append(
                    Period(a.first_seen, a.last_seen, a.rule)
                )
    out = []
    for room, kind, start, end in sessions(events):
        cams = list(listed.get(room, []))
        cams += sorted({c for r, c in frames if r == room and c not in cams})
        rows = []
        for cam in cams:
            spans = _covered(frames.get((room, cam), []), start, end, gap)
            online = sum((b - a).total_seconds() for a, b in spans) / 60
            gaps, cursor = [], start
            for a, b in spans:
                if a > cursor:
                    gaps.append(Period(cursor, a))
                cursor = b
            if cursor < end:
                gaps.append(Period(cursor, end))
            tamper = tuple(
                p
                for p in sorted(periods.get((room, cam), []), key=lambda p: p.start)
                if p.end >= start and p.start <= end
            )
            rows.append(CameraCoverage(cam, round(online, 1), tuple(gaps), tamper))
        out.append(SessionCoverage(room, kind, start, end, tuple(rows)))
    return out
