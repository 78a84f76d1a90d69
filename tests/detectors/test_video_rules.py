"""VID-* rules through the engine: project events derive the room session, frames do the rest."""

from __future__ import annotations

from datetime import timedelta

from detectors.base import Context
from detectors.offline import run_detectors
from detectors.video import VideoDetector
from tests.support.video_events import START, frame, merged, project_events
from witness.events import make_event

ROOM, P = "R-EVAL-1", "JY-2026-0100"


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def frames(camera: str, t0: float, t1: float, step: float = 1.0, **kw):
    t = t0
    while t < t1:
        yield frame(ROOM, camera, START + seconds(t), **kw)
        t += step


def by_rule(alerts, rule):
    return [a for a in alerts if a.rule == rule]


# ---------------------------------------------------------------- VID-OFFLINE


def test_a_silent_camera_during_evaluation_raises_offline_and_the_alert_closes_when_it_returns():
    project = project_events(P, ROOM, ["C1", "C2"], 2, START)
    stream = merged(
        project,
        frames("C1", 0, 300, persons=2),
        frames("C2", 0, 100, persons=2),
        frames("C2", 200, 300, persons=2),
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    offline = by_rule(versions, "VID-OFFLINE")
    assert len({a.alert_id for a in offline}) == 1
    raised, closed = offline  # once when it crossed 60 s, once when C2 came back
    assert raised.project_id == P and raised.room_id == ROOM
    assert raised.subjects == sorted([ROOM, "C2"])
    w = raised.evidence["window"]
    assert w["ongoing"] and w["start"] == (START + seconds(99)).isoformat()
    assert (
        (START + seconds(99 + 60)).isoformat() < w["end"] <= (START + seconds(99 + 62)).isoformat()
    )
    assert closed.evidence["window"] == {
        "start": (START + seconds(99)).isoformat(),
        "end": (START + seconds(200)).isoformat(),
        "seconds": 101.0,
        "ongoing": False,
    }
    assert closed.evidence["thresholds"]["seconds"] == 60


def test_a_camera_that_reports_offline_and_one_that_was_never_heard_are_both_caught():
    project = project_events(P, ROOM, ["C1", "C2", "C3"], 2, START)
    status = make_event(
        "camera.status",
        "*",
        START + seconds(10),
        {"camera_id": "C2", "room_id": ROOM, "status": "offline"},
    )
    stream = merged(project, [status], frames("C1", 0, 120), frames("C2", 0, 10))
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    cams = {a.evidence["camera_id"] for a in by_rule(versions, "VID-OFFLINE")}
    assert cams == {"C2", "C3"}
    c3 = next(a for a in versions if a.evidence.get("camera_id") == "C3")
    assert c3.evidence["window"]["start"] == START.isoformat()  # silent since the session began


def test_no_offline_alert_outside_a_session_or_for_a_short_gap():
    project = project_events(P, ROOM, ["C1", "C2"], 2, START + seconds(500))
    stream = merged(
        project,
        frames("C1", 0, 700),
        frames("C2", 0, 100),  # silent for 400 s, but before the evaluation
        frames("C2", 500, 550),
        frames("C2", 600, 700),  # a 50 s gap in the session
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    assert by_rule(versions, "VID-OFFLINE") == []


# ---------------------------------------------------------------- VID-TAMPER


def test_a_covered_lens_for_30_seconds_is_tampering_and_a_glitch_is_not():
    project = project_events(P, ROOM, ["C1"], 1, START)
    stream = merged(
        project,
        frames("C1", 0, 50, persons=1),
        frames("C1", 50, 51, brightness=3, sharpness=0.5),  # one black frame
        frames("C1", 51, 100, persons=1),
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    assert by_rule(versions, "VID-TAMPER") == []

    stream = merged(
        project,
        frames("C1", 0, 50, persons=1, thumbnail="QUJD"),
        frames("C1", 50, 90, brightness=9, sharpness=0.3),
        frames("C1", 90, 120, persons=1),
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    raised, closed = by_rule(versions, "VID-TAMPER")
    assert raised.alert_id == closed.alert_id and raised.project_id == P
    assert raised.evidence["window"]["seconds"] == 30.0
    assert closed.evidence["window"]["seconds"] == 39.0 and not closed.evidence["window"]["ongoing"]
    assert closed.evidence["measurements"]["reasons"] == ["black", "blurred_or_covered"]
    assert closed.evidence["thumbnail"]["jpeg_base64"] == "QUJD"  # the last picture seen


def test_a_re_aimed_camera_is_tampering_but_29_seconds_is_not():
    project = project_events(P, ROOM, ["C1"], 1, START)
    short = merged(
        project,
        frames("C1", 0, 100),
        frames("C1", 100, 130, scene_change=0.7),
        frames("C1", 130, 140),
    )
    versions = run_detectors(
        sorted(short, key=lambda e: e.ts), [VideoDetector()], every_version=True
    )
    assert by_rule(versions, "VID-TAMPER") == []
    long = merged(project, frames("C1", 0, 100), frames("C1", 100, 140, scene_change=0.7))
    versions = run_detectors(long, [VideoDetector()], every_version=True)
    (alert,) = by_rule(versions, "VID-TAMPER")
    assert alert.evidence["measurements"]["reasons"] == ["scene_change"]


def test_a_redelivered_old_frame_does_not_break_an_episode():
    project = project_events(P, ROOM, ["C1"], 1, START)
    good = frame(ROOM, "C1", START + seconds(5))
    stream = merged(project, frames("C1", 0, 10), frames("C1", 10, 50, frozen=True))
    # the good frame of second 5 arrives again, with a new id, in the middle of the outage
    redelivered = good.model_copy(update={"event_id": "again"})
    stream.insert(len(stream) - 20, redelivered)
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    (alert,) = by_rule(versions, "VID-TAMPER")
    assert alert.evidence["window"]["start"] == (START + seconds(10)).isoformat()


# ---------------------------------------------------------------- VID-ABSENT / VID-INTRUDER


def test_fewer_people_than_the_roster_for_over_ten_minutes_is_absent():
    project = project_events(P, ROOM, ["C1"], 3, START)
    stream = merged(
        project, frames("C1", 0, 60, persons=3), frames("C1", 60, 60 + 11 * 60, step=5, persons=2)
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    (alert,) = by_rule(versions, "VID-ABSENT")
    assert alert.evidence["measurements"]["roster_size"] == 3
    assert alert.evidence["measurements"]["persons"] == 2
    assert alert.evidence["window"]["start"] == (START + seconds(60)).isoformat()
    assert alert.evidence["window"]["seconds"] > 600
    # nine minutes is within the limit
    stream = merged(
        project, frames("C1", 0, 60, persons=3), frames("C1", 60, 60 + 9 * 60, step=5, persons=2)
    )
    assert by_rule(run_detectors(stream, [VideoDetector()], every_version=True), "VID-ABSENT") == []


def test_absent_uses_the_threshold_file():
    ctx = Context(thresholds=Context().thresholds.with_overrides("VID-ABSENT", minutes=1))
    project = project_events(P, ROOM, ["C1"], 2, START)
    stream = merged(project, frames("C1", 0, 90, persons=1))
    assert (
        len(
            by_rule(run_detectors(stream, [VideoDetector()], ctx, every_version=True), "VID-ABSENT")
        )
        == 1
    )


def test_more_people_than_the_roster_for_a_minute_is_an_intruder():
    project = project_events(P, ROOM, ["C1", "C2"], 2, START)
    stream = merged(
        project,
        frames("C1", 0, 200, persons=2),
        frames("C2", 0, 100, persons=2),
        frames("C2", 100, 165, persons=3),
        frames("C2", 165, 200, persons=2),
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    raised, closed = by_rule(versions, "VID-INTRUDER")
    assert raised.severity == "orange" and raised.project_id == P
    assert closed.evidence["measurements"]["max_persons"] == 3
    # 100..165: C1's frame at 165 still sees C2's last count (3) before C2 reports 2
    assert closed.evidence["window"]["seconds"] == 65.0
    # 40 seconds of a visitor is not an intrusion
    stream = merged(project, frames("C1", 0, 100, persons=2), frames("C1", 100, 140, persons=3))
    assert (
        by_rule(run_detectors(stream, [VideoDetector()], every_version=True), "VID-INTRUDER") == []
    )


def test_people_rules_sleep_outside_evaluation():
    project = project_events(P, ROOM, ["C1"], 3, START + seconds(3000))
    stream = merged(project, frames("C1", 0, 2000, step=5, persons=0))
    assert by_rule(run_detectors(stream, [VideoDetector()], every_version=True), "VID-ABSENT") == []


# ---------------------------------------------------------------- VID-AFTERHOURS


def test_sustained_motion_after_the_evaluation_is_after_hours():
    project = project_events(P, ROOM, ["C1"], 1, START, finished=START + seconds(600))
    stream = merged(
        project,
        frames("C1", 0, 600, motion=0.3, persons=1),  # during the session: normal
        frames("C1", 600, 1000),
        frames("C1", 1000, 1200, step=10, motion=0.05),  # someone back in the room
        frames("C1", 1200, 1300),
    )
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    raised, closed = by_rule(versions, "VID-AFTERHOURS")
    assert raised.project_id == P  # the project that last held the room
    assert raised.evidence["session"]["state"] == "ended"
    assert closed.evidence["window"]["start"] == (START + seconds(1000)).isoformat()
    assert closed.evidence["window"]["end"] == (START + seconds(1190)).isoformat()


def test_after_hours_in_an_unknown_room_has_no_project_and_a_moment_is_not_sustained():
    stream = list(frames("C1", 0, 200, step=2, motion=0.1))
    (raised,) = by_rule(
        run_detectors(stream, [VideoDetector()], every_version=True), "VID-AFTERHOURS"
    )
    assert raised.project_id == "*" and raised.subjects == sorted([ROOM, "C1"])
    stream = list(frames("C1", 0, 60, motion=0.1)) + list(frames("C1", 60, 200))
    assert (
        by_rule(run_detectors(stream, [VideoDetector()], every_version=True), "VID-AFTERHOURS")
        == []
    )


def test_video_detector_is_registered():
    from detectors import rules_covered

    assert {
        "VID-OFFLINE",
        "VID-TAMPER",
        "VID-ABSENT",
        "VID-INTRUDER",
        "VID-AFTERHOURS",
    } <= rules_covered()
