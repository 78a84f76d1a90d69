"""VID-OFFLINE judged by the clock (issue 14): a one-camera room gone dark for 58 minutes
is noticed by the worker's ticks while it is dark, by the camera's return, or at the
session's end; and ticks are ordinary input (replay over the same events says the same)."""

from __future__ import annotations

from datetime import timedelta

from detectors.offline import run_detectors
from detectors.video import VideoDetector
from streams.ticks import RoomClock, tick
from tests.support.video_events import START, frame, merged, project_events

ROOM, CAM, P = "R-ONE", "C1", "JY-2026-0900"
DARK = timedelta(minutes=58)


def frames(start, end, every=10):
    out, t = [], start
    while t < end:
        out.append(frame(ROOM, CAM, t, persons=1))
        t += timedelta(seconds=every)
    return out


def offline(versions):
    return [a for a in versions if a.rule == "VID-OFFLINE"]


def test_dark_room_is_raised_by_ticks_while_dark_and_closed_when_the_camera_returns():
    lit = START + timedelta(minutes=5)
    back = lit + DARK
    project = project_events(P, ROOM, [CAM], 1, START, finished=START + timedelta(hours=2))
    ticks = [
        tick(ROOM, lit + timedelta(seconds=s)) for s in range(10, int(DARK.total_seconds()), 10)
    ]
    stream = merged(project, frames(START, lit), ticks, frames(back, START + timedelta(hours=2)))
    versions = run_detectors(stream, [VideoDetector()], every_version=True)
    alerts = offline(versions)
    assert len({a.alert_id for a in alerts}) == 1
    raised, closed = alerts
    assert raised.evidence["window"]["ongoing"] is True
    # raised by the first tick past 60 s of silence, not 58 minutes later
    last_frame = lit - timedelta(seconds=10)
    assert raised.first_seen <= last_frame + timedelta(seconds=80)
    assert closed.evidence["window"]["ongoing"] is False
    assert closed.evidence["window"]["end"] == back.isoformat()
    assert closed.evidence["window"]["seconds"] >= DARK.total_seconds()


def test_without_ticks_the_return_of_the_camera_tells_the_time():
    lit = START + timedelta(minutes=5)
    back = lit + DARK
    project = project_events(P, ROOM, [CAM], 1, START, finished=START + timedelta(hours=2))
    versions = run_detectors(
        merged(project, frames(START, lit), frames(back, START + timedelta(hours=2))),
        [VideoDetector()],
        every_version=True,
    )
    (alert,) = offline(versions)
    assert alert.evidence["window"]["ongoing"] is False
    assert alert.evidence["window"]["start"] == (lit - timedelta(seconds=10)).isoformat()
    assert alert.evidence["window"]["end"] == back.isoformat()


def test_without_ticks_a_room_dark_until_the_end_is_judged_at_the_end():
    lit = START + timedelta(minutes=5)
    end = lit + DARK
    project = project_events(P, ROOM, [CAM], 1, START, finished=end)
    versions = run_detectors(
        merged(project, frames(START, lit)), [VideoDetector()], every_version=True
    )
    (alert,) = offline(versions)
    assert alert.evidence["window"]["end"] == end.isoformat()
    assert alert.evidence["window"]["seconds"] > 57 * 60


def test_a_room_that_keeps_sending_raises_nothing_whatever_the_ticks():
    end = START + timedelta(hours=1)
    project = project_events(P, ROOM, [CAM], 1, START, finished=end)
    ticks = [tick(ROOM, START + timedelta(seconds=s)) for s in range(5, 3600, 7)]
    versions = run_detectors(
        merged(project, frames(START, end), ticks), [VideoDetector()], every_version=True
    )
    assert offline(versions) == []


def test_ticks_are_ordinary_input_replay_gives_the_same():
    lit = START + timedelta(minutes=5)
    project = project_events(P, ROOM, [CAM], 1, START, finished=START + timedelta(hours=2))
    ticks = [tick(ROOM, lit + timedelta(seconds=s)) for s in range(10, 600, 10)]
    stream = merged(project, frames(START, lit), ticks)
    once = run_detectors(stream, [VideoDetector()], every_version=True)
    again = run_detectors(stream, [VideoDetector()], every_version=True)
    assert [a.content_key() for a in once] == [a.content_key() for a in again]
    assert offline(once)


def test_the_room_clock_ticks_only_rooms_under_way_and_quiet():
    from witness.events import make_event

    clock = RoomClock(every=10)
    session = make_event(
        "room.session",
        P,
        START,
        {
            "room_id": ROOM,
            "project_id": P,
            "kind": "evaluation",
            "state": "under_way",
            "roster": ["E1"],
            "cameras": [CAM],
            "since": START.isoformat(),
        },
    )
    clock.observe(session, wall=100.0)
    clock.observe(frame(ROOM, CAM, START + timedelta(seconds=30)), wall=101.0)
    clock.observe(frame("R-OTHER", "C9", START + timedelta(seconds=31)), wall=101.0)
    assert clock.due(105.0) == []  # heard 4 s ago
    (t,) = clock.due(112.0)  # R-OTHER has no session: never ticked
    assert t.type == "clock.tick" and t.payload.room_id == ROOM
    assert t.ts == START + timedelta(seconds=31 + 11)  # the partition clock moved on
    assert clock.due(115.0) == []  # just ticked
    ended = session.model_copy(
        update={
            "payload": session.payload.model_copy(
                update={"state": "ended", "since": START + timedelta(minutes=1)}
            )
        }
    )
    clock.observe(ended, wall=116.0)
    assert clock.due(200.0) == []
