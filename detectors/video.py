"""Video rules (VID-*): cameras and people in opening and evaluation rooms (全程录音录像).

State is kept per room (frames, camera status and room sessions share the room id as
their Kafka key, DESIGN §3). Every rule is an *episode*: a condition that starts on one
sample, holds on the following ones and ends on the first sample where it is false.
An alert is raised once an episode has lasted its threshold and updated once when it
ends, so a one-frame glitch raises nothing and a long outage does not raise an alert
every second. One alert per case (camera or room, project, session kind); its evidence
lists the episode windows.

Sessions are looked up by event time (the session whose `since` is the latest before
the frame), so a session fact that arrives after the frames it covers on the other
topic is still applied correctly to later frames.

Silence (VID-OFFLINE) is judged by the clock, not by the next frame: by the time of any
event of the room (another camera's frame, a status, a session change; when a session
ends, its cameras' silence up to the end is judged), and in live mode by `clock.tick`
events that the worker owning the room's frames partition publishes while nothing else
arrives. Ticks are recorded like frames, so replay sees the same clock: event time only,
never the wall clock inside a detector.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from detectors.base import Context
from detectors.video_state import MAX_CASES, MAX_EPISODES, CameraState, Episode, RoomState, Session
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, Event
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("VID-OFFLINE")
class OfflineThresholds(RuleThresholds):
    """VID-OFFLINE: a camera silent or offline while a session is under way."""

    seconds: int | float = Field(60, gt=0, description="also: frames older than this are stale")


def offline_seconds(thresholds) -> float:
    """The VID-OFFLINE window: witness records count a frame as covering this long."""
    return float(thresholds.typed(OfflineThresholds).seconds)


def video_window_seconds(thresholds) -> float:
    """How far back frames matter to the video rules: three times the longest rule span
    (an episode's start and the gaps around it), and at least the frame de-dup window.
    A worker taking over a rooms partition without a recent snapshot reads this much."""
    from detectors.dedup import FRAME_WINDOW

    after = thresholds.typed(AfterHoursThresholds)
    spans = (
        thresholds.typed(OfflineThresholds).seconds,
        thresholds.typed(TamperThresholds).seconds,
        60.0 * thresholds.typed(AbsentThresholds).minutes,
        thresholds.typed(IntruderThresholds).seconds,
        after.seconds + after.max_gap_seconds,
    )
    return max(FRAME_WINDOW.total_seconds(), 3.0 * float(max(spans)))


@thresholds_section("VID-TAMPER")
class TamperThresholds(RuleThresholds):
    """VID-TAMPER: black, blurred, frozen, covered picture or a scene change."""

    seconds: int | float = Field(30, gt=0)
    dark_brightness: int | float = Field(
        20, ge=0, le=255, description="mean grey below this is black"
    )
    blur_sharpness: int | float = Field(
        15, ge=0, description="Laplacian variance below this is blurred"
    )
    scene_change: int | float = Field(0.5, gt=0, le=1)


@thresholds_section("VID-ABSENT")
class AbsentThresholds(RuleThresholds):
    """VID-ABSENT: fewer people than the roster during evaluation."""

    minutes: int | float = Field(10, gt=0)


@thresholds_section("VID-INTRUDER")
class IntruderThresholds(RuleThresholds):
    """VID-INTRUDER: more people than the roster during evaluation."""

    seconds: int | float = Field(60, gt=0)


@thresholds_section("VID-AFTERHOURS")
class AfterHoursThresholds(RuleThresholds):
    """VID-AFTERHOURS: sustained motion in an evaluation room with no session."""

    seconds: int | float = Field(120, gt=0)
    motion: int | float = Field(0.02, ge=0, le=1)
    max_gap_seconds: int | float = Field(
        30, ge=0, description="still moments shorter than this do not end it"
    )
    unknown_rooms: bool = Field(True, description="also watch rooms no session has been seen in")


def _tamper_reasons(p: Any, th: TamperThresholds) -> list[str]:
    reasons = []
    if p.brightness < th.dark_brightness:
        reasons.append("black")
    if p.sharpness < th.blur_sharpness:
        reasons.append("blurred_or_covered")
    if p.frozen:
        reasons.append("frozen")
    if p.scene_change >= th.scene_change:
        reasons.append("scene_change")
    return reasons


class VideoDetector:
    """VID-OFFLINE, VID-TAMPER, VID-ABSENT, VID-INTRUDER, VID-AFTERHOURS, keyed by room."""

    name = "video"
    rules = ("VID-OFFLINE", "VID-TAMPER", "VID-ABSENT", "VID-INTRUDER", "VID-AFTERHOURS")
    types = frozenset({"frame.analyzed", "camera.status", "room.session", "clock.tick"})

    def key(self, event: Event) -> str | None:
        if event.type not in self.types:
            return None
        return event.payload.room_id

    def initial(self) -> RoomState:
        return RoomState()

    def step(self, state: RoomState, event: Event, ctx: Context) -> tuple[RoomState, list[Alert]]:
        alerts: list[Alert] = []
        p = event.payload
        ts = event.ts
        if event.type == "clock.tick":
            pass  # only the clock moves: silence is judged below
        elif event.type == "room.session":
            s = Session(p.since, p.project_id, p.kind, p.state, tuple(p.roster), tuple(p.cameras))
            if state.add_session(s) and not s.under_way and s in state.sessions:
                self._silent_until_end(state, s, event, ctx, alerts)
        elif event.type == "camera.status":
            cam = state.cameras.setdefault(p.camera_id, CameraState())
            if cam.status_ts is None or ts >= cam.status_ts:
                cam.status, cam.status_ts = p.status, ts
            if p.status == "online":
                self._heard(state, p.camera_id, cam, event, ctx, alerts)
        else:  # frame.analyzed
            cam = state.cameras.setdefault(p.camera_id, CameraState())
            if cam.last_frame_ts is not None and ts <= cam.last_frame_ts:
                return state, []  # re-delivered or out of order: already judged
            gap = (ts - cam.last_frame_ts).total_seconds() if cam.last_frame_ts else None
            cam.last_frame_ts = ts
            if p.thumbnail:
                cam.thumb = {
                    "camera_id": p.camera_id,
                    "ts": ts.isoformat(),
                    "jpeg_base64": p.thumbnail,
                }
            self._heard(state, p.camera_id, cam, event, ctx, alerts)
            self._tamper(state, p.camera_id, cam, event, gap, ctx, alerts)
            cam.persons = p.persons
            self._people(state, event, ctx, alerts)
            self._afterhours(state, event, ctx, alerts)
        self._silence(state, event, ctx, alerts)
        return state, alerts

    # ---------------------------------------------------------------- shared

    def _case(
        self,
        state: RoomState,
        rule_id: str,
        session: Session | None,
        ep: Episode,
        *,
        camera_id: str | None,
        event: Event,
        ctx: Context,
        ongoing: bool,
        measurements: dict[str, Any],
        thumb: dict[str, Any] | None,
        idle_date: bool = False,
    ) -> Alert:
        """Build the alert for an episode; closed episodes go to the case's history."""
        room_id = event.payload.room_id
        project = session.project_id if session else GLOBAL_PROJECT
        identity: dict[str, Any] = {"room": room_id, "camera": camera_id}
        if session is not None and session.under_way:
            identity["session"] = session.kind
        else:
            # Outside a session one case per room (or camera) and day of the episode.
            identity["idle"] = ep.start.date().isoformat() if idle_date else True
        key = repr(sorted(identity.items()))
        past = state.history.pop(key, [])
        state.history[key] = past  # most recently used last
        while len(state.history) > MAX_CASES:
            del state.history[next(iter(state.history))]
        episodes = [*past, ep.window(ongoing)][-MAX_EPISODES:]
        if not ongoing:
            past.append(ep.window(False))
            del past[:-MAX_EPISODES]
        subjects = [room_id] + ([camera_id] if camera_id else [])
        if camera_id is None:
            subjects += sorted(state.cameras)
        evidence = {
            "room_id": room_id,
            "camera_id": camera_id,
            "session": (
                {"kind": session.kind, "state": session.state, "since": session.since.isoformat()}
                if session
                else None
            ),
            "window": ep.window(ongoing),
            "episodes": episodes,
            "measurements": measurements,
            "thresholds": ctx.thresholds.section(rule_id),
            "thumbnail": thumb,
        }
        return make_alert(
            rule_id,
            project,
            identity=identity,
            subjects=subjects,
            evidence=evidence,
            event_ids=[ep.start_event, event.event_id],
            first_seen=event.ts,
            room_id=room_id,
            locale=ctx.locale,
        )

    @staticmethod
    def _room_thumb(state: RoomState) -> dict[str, Any] | None:
        thumbs = [c.thumb for c in state.cameras.values() if c.thumb]
        return max(thumbs, key=lambda t: t["ts"]) if thumbs else None

    # ---------------------------------------------------------------- VID-OFFLINE

    def _heard(
        self,
        state: RoomState,
        camera_id: str,
        cam: CameraState,
        event: Event,
        ctx: Context,
        alerts: list[Alert],
    ) -> None:
        ts = event.ts
        if cam.offline is None:
            self._silent_until_heard(state, camera_id, cam, event, ctx, alerts)
        if cam.last_heard is None or ts > cam.last_heard:
            cam.last_heard = ts
        ep = cam.offline
        if ep is not None:
            cam.offline = None
            if ep.fired:
                ep.end, ep.end_event = ts, event.event_id
                alerts.append(
                    self._offline_alert(state, camera_id, cam, ep, event, ctx, ongoing=False)
                )

    def _silent_until_heard(
        self,
        state: RoomState,
        camera_id: str,
        cam: CameraState,
        event: Event,
        ctx: Context,
        alerts: list[Alert],
    ) -> None:
        """A camera heard again after a silence nobody noticed (no other event of the room
        came meanwhile): the silence is judged now, as a closed outage."""
        s = state.session_at(event.ts)
        if s is None or not s.under_way or camera_id not in s.cameras:
            return
        base = max(cam.last_heard, s.since) if cam.last_heard else s.since
        limit = ctx.thresholds.typed(OfflineThresholds).seconds
        if (event.ts - base).total_seconds() <= limit:
            return
        ep = Episode(base, event.ts, event.event_id, event.event_id, fired=True)
        cam.offline_session = s
        alerts.append(self._offline_alert(state, camera_id, cam, ep, event, ctx, ongoing=False))

    def _silent_until_end(
        self, state: RoomState, end: Session, event: Event, ctx: Context, alerts: list[Alert]
    ) -> None:
        """A session ended: cameras silent too long before its end, with no outage open
        (no event of the room came while they were dark), are judged now, up to the end."""
        i = state.sessions.index(end)
        ran = next((x for x in reversed(state.sessions[:i]) if x.under_way), None)
        if ran is None or ran.kind != end.kind or ran.project_id != end.project_id:
            return
        limit = ctx.thresholds.typed(OfflineThresholds).seconds
        for cid in ran.cameras:
            cam = state.cameras.setdefault(cid, CameraState())
            if cam.offline is not None:
                continue  # an open outage is closed at the end by `_silence`
            base = max(cam.last_heard, ran.since) if cam.last_heard else ran.since
            if base >= end.since or (end.since - base).total_seconds() <= limit:
                continue
            ep = Episode(base, end.since, event.event_id, event.event_id, fired=True)
            cam.offline_session = ran
            alerts.append(self._offline_alert(state, cid, cam, ep, event, ctx, ongoing=False))

    def _silence(self, state: RoomState, event: Event, ctx: Context, alerts: list[Alert]) -> None:
        """Cameras of the session under way that have been silent too long by now."""
        ts = event.ts
        limit = ctx.thresholds.typed(OfflineThresholds).seconds
        s = state.session_at(ts)
        # A session that ended closes the outages it saw.
        for cid, cam in state.cameras.items():
            ep = cam.offline
            if ep is not None and (s is None or not s.under_way or s != cam.offline_session):
                cam.offline = None
                if ep.fired:
                    # The outage is closed at the session's end, not when we noticed it.
                    end = s.since if s is not None and s.since >= ep.start else ts
                    ep.end, ep.end_event = min(end, ts), event.event_id
                    alerts.append(
                        self._offline_alert(state, cid, cam, ep, event, ctx, ongoing=False)
                    )
        if s is None or not s.under_way:
            return
        for cid in s.cameras:
            cam = state.cameras.setdefault(cid, CameraState())
            base = max(cam.last_heard, s.since) if cam.last_heard else s.since
            silent = (ts - base).total_seconds()
            if silent <= limit:
                continue
            if cam.offline is None:
                cam.offline = Episode(base, ts, event.event_id, event.event_id)
                cam.offline_session = s
            ep = cam.offline
            ep.end, ep.end_event = ts, event.event_id
            if not ep.fired:
                ep.fired = True
                alerts.append(self._offline_alert(state, cid, cam, ep, event, ctx, ongoing=True))

    def _offline_alert(
        self,
        state: RoomState,
        camera_id: str,
        cam: CameraState,
        ep: Episode,
        event: Event,
        ctx: Context,
        *,
        ongoing: bool,
    ) -> Alert:
        return self._case(
            state,
            "VID-OFFLINE",
            cam.offline_session,
            ep,
            camera_id=camera_id,
            event=event,
            ctx=ctx,
            ongoing=ongoing,
            measurements={
                "silent_seconds": round(ep.seconds(), 3),
                "last_heard": cam.last_heard.isoformat() if cam.last_heard else None,
                "last_status": cam.status,
            },
            thumb=cam.thumb,
        )

    # ---------------------------------------------------------------- VID-TAMPER

    def _tamper(
        self,
        state: RoomState,
        camera_id: str,
        cam: CameraState,
        event: Event,
        gap: float | None,
        ctx: Context,
        alerts: list[Alert],
    ) -> None:
        th = ctx.thresholds.typed(TamperThresholds)
        p = event.payload
        ts = event.ts
        reasons = _tamper_reasons(p, th)
        cam.tampered = bool(reasons)
        max_gap = ctx.thresholds.typed(OfflineThresholds).seconds
        ep = cam.tamper
        if ep is not None and (not reasons or (gap is not None and gap > max_gap)):
            cam.tamper = None
            if ep.fired:
                alerts.append(self._tamper_alert(state, camera_id, cam, ep, event, ctx, False))
            ep = None
        if not reasons:
            return
        if ep is None:
            ep = cam.tamper = Episode(ts, ts, event.event_id, event.event_id)
            ep.stats = {
                "reasons": [],
                "frames": 0,
                "min_brightness": 255.0,
                "min_sharpness": None,
                "max_scene_change": 0.0,
                "frozen_frames": 0,
            }
        st = ep.stats
        ep.end, ep.end_event = ts, event.event_id
        st["reasons"] = sorted(set(st["reasons"]) | set(reasons))
        st["frames"] += 1
        st["min_brightness"] = min(st["min_brightness"], round(p.brightness, 2))
        sharp = round(p.sharpness, 2)
        st["min_sharpness"] = (
            sharp if st["min_sharpness"] is None else min(st["min_sharpness"], sharp)
        )
        st["max_scene_change"] = max(st["max_scene_change"], round(p.scene_change, 4))
        st["frozen_frames"] += int(p.frozen)
        if not ep.fired and ep.seconds() >= th.seconds:
            ep.fired = True
            alerts.append(self._tamper_alert(state, camera_id, cam, ep, event, ctx, True))

    def _tamper_alert(
        self,
        state: RoomState,
        camera_id: str,
        cam: CameraState,
        ep: Episode,
        event: Event,
        ctx: Context,
        ongoing: bool,
    ) -> Alert:
        return self._case(
            state,
            "VID-TAMPER",
            state.session_at(ep.start),
            ep,
            camera_id=camera_id,
            event=event,
            ctx=ctx,
            ongoing=ongoing,
            measurements=dict(ep.stats),
            thumb=cam.thumb,
            idle_date=True,
        )

    # ---------------------------------------------------------------- VID-ABSENT / INTRUDER

    def _room_count(self, state: RoomState, s: Session, ts: datetime, ctx: Context) -> int | None:
        """People in the room now: the most any fresh, untampered camera sees."""
        fresh = ctx.thresholds.typed(OfflineThresholds).seconds
        listed = set(s.cameras) or set(state.cameras)
        counts = [
            c.persons
            for cid, c in state.cameras.items()
            if cid in listed
            and c.persons is not None
            and not c.tampered
            and c.last_frame_ts is not None
            and (ts - c.last_frame_ts).total_seconds() <= fresh
        ]
        return max(counts) if counts else None

    def _people(self, state: RoomState, event: Event, ctx: Context, alerts: list[Alert]) -> None:
        ts = event.ts
        s = state.session_at(ts)
        active = s is not None and s.under_way and s.kind == "evaluation" and bool(s.roster)
        if not active or s != state.people_session:
            for attr, rule_id in (("absent", "VID-ABSENT"), ("intruder", "VID-INTRUDER")):
                ep = getattr(state, attr)
                setattr(state, attr, None)
                if ep is not None and ep.fired:
                    alerts.append(self._people_alert(state, rule_id, ep, event, ctx, False))
            state.people_session = s if active else None
        if not active:
            return
        count = self._room_count(state, s, ts, ctx)
        if count is None:
            return
        roster = len(s.roster)
        max_gap = ctx.thresholds.typed(OfflineThresholds).seconds
        specs = (
            (
                "absent",
                "VID-ABSENT",
                count < roster,
                60.0 * ctx.thresholds.typed(AbsentThresholds).minutes,
                ">",
            ),
            (
                "intruder",
                "VID-INTRUDER",
                count > roster,
                ctx.thresholds.typed(IntruderThresholds).seconds,
                ">=",
            ),
        )
        for attr, rule_id, cond, limit, op in specs:
            ep = getattr(state, attr)
            if ep is not None and (not cond or (ts - ep.end).total_seconds() > max_gap):
                setattr(state, attr, None)
                if ep.fired:
                    alerts.append(self._people_alert(state, rule_id, ep, event, ctx, False))
                ep = None
            if not cond:
                continue
            if ep is None:
                ep = Episode(ts, ts, event.event_id, event.event_id)
                ep.stats = {
                    "roster": list(s.roster),
                    "roster_size": roster,
                    "min_persons": count,
                    "max_persons": count,
                }
                setattr(state, attr, ep)
            ep.end, ep.end_event = ts, event.event_id
            ep.stats["min_persons"] = min(ep.stats["min_persons"], count)
            ep.stats["max_persons"] = max(ep.stats["max_persons"], count)
            ep.stats["persons"] = count
            crossed = ep.seconds() > limit if op == ">" else ep.seconds() >= limit
            if not ep.fired and crossed:
                ep.fired = True
                alerts.append(self._people_alert(state, rule_id, ep, event, ctx, True))

    def _people_alert(
        self, state: RoomState, rule_id: str, ep: Episode, event: Event, ctx: Context, ongoing: bool
    ) -> Alert:
        return self._case(
            state,
            rule_id,
            state.session_at(ep.start),
            ep,
            camera_id=None,
            event=event,
            ctx=ctx,
            ongoing=ongoing,
            measurements=dict(ep.stats),
            thumb=self._room_thumb(state),
        )

    # ---------------------------------------------------------------- VID-AFTERHOURS

    def _afterhours(
        self, state: RoomState, event: Event, ctx: Context, alerts: list[Alert]
    ) -> None:
        th = ctx.thresholds.typed(AfterHoursThresholds)
        ts = event.ts
        p = event.payload
        s = state.session_at(ts)
        kind = s.kind if s else None
        watched = (s is None or not s.under_way) and (
            kind == "evaluation" or (kind is None and th.unknown_rooms)
        )
        ep = state.afterhours
        moving = watched and p.motion >= th.motion
        max_gap = th.max_gap_seconds
        if ep is not None and (not watched or (ts - ep.end).total_seconds() > max_gap):
            state.afterhours = None
            if ep.fired:
                alerts.append(self._afterhours_alert(state, ep, event, ctx, False))
            ep = None
        if not moving:
            return
        if ep is None:
            ep = state.afterhours = Episode(ts, ts, event.event_id, event.event_id)
            ep.stats = {"motion_frames": 0, "max_motion": 0.0, "cameras": []}
        ep.end, ep.end_event = ts, event.event_id
        ep.stats["motion_frames"] += 1
        ep.stats["max_motion"] = max(ep.stats["max_motion"], round(p.motion, 4))
        ep.stats["cameras"] = sorted(set(ep.stats["cameras"]) | {p.camera_id})
        if not ep.fired and ep.seconds() >= th.seconds:
            ep.fired = True
            alerts.append(self._afterhours_alert(state, ep, event, ctx, True))

    def _afterhours_alert(
        self, state: RoomState, ep: Episode, event: Event, ctx: Context, ongoing: bool
    ) -> Alert:
        return self._case(
            state,
            "VID-AFTERHOURS",
            state.session_at(ep.start),
            ep,
            camera_id=None,
            event=event,
            ctx=ctx,
            ongoing=ongoing,
            measurements=dict(ep.stats),
            thumb=self._room_thumb(state),
            idle_date=True,
        )
