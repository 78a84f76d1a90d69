"""The whole path without a broker: rendered video -> `witness camera` -> engine -> VID alerts."""

from __future__ import annotations

from datetime import timedelta

from detectors.offline import run_detectors
from detectors.video import VideoDetector
from tests.support.video_events import (
    START,
    black,
    camera_events,
    covered,
    empty_room,
    merged,
    person_in_room,
    project_events,
    write_video,
)

ROOM, CAM, P = "R-EVAL-2", "C1", "JY-2026-0200"


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def test_an_expert_leaving_for_longer_than_the_limit_raises_absent(tmp_path):
    video = write_video(
        tmp_path / "eval.avi",
        [
            (person_in_room(), 30, True),
            (empty_room(), 150, True),  # five minutes away: within the limit
            (person_in_room(), 30, True),
            (empty_room(), 330, True),  # eleven minutes away
        ],
        fps=0.5,  # one picture every 2 s keeps the file small
    )
    frames = camera_events(video, tmp_path / "f.jsonl", ROOM, CAM, fps=0.5)
    assert max(f.payload.persons for f in frames if f.type == "frame.analyzed") == 1
    project = project_events(P, ROOM, [CAM], 1, START)
    versions = run_detectors(merged(project, frames), [VideoDetector()], every_version=True)
    absent = [a for a in versions if a.rule == "VID-ABSENT"]
    assert len(absent) == 1, [a.evidence["window"] for a in absent]
    alert = absent[0]
    assert alert.project_id == P and alert.room_id == ROOM
    assert alert.subjects == sorted([ROOM, CAM])
    # the count drops at the first face check after leaving (every 6 samples = 12 s)
    assert at(420) <= alert.evidence["window"]["start"] <= at(434)
    assert alert.evidence["measurements"]["roster"] == ["E1"]
    assert alert.evidence["thumbnail"]["jpeg_base64"]
    assert [a for a in versions if a.rule in ("VID-TAMPER", "VID-INTRUDER")] == []


def test_a_covered_lens_is_flagged_and_a_one_frame_black_glitch_is_not(tmp_path):
    video = write_video(
        tmp_path / "cover.avi",
        [
            (person_in_room(), 60, True),
            (covered(), 40, True),
            (person_in_room(), 30, True),
            (black(), 1, False),  # a single black frame
            (person_in_room(), 40, True),
        ],
        fps=1,
    )
    frames = camera_events(video, tmp_path / "f.jsonl", ROOM, CAM)
    project = project_events(P, ROOM, [CAM], 1, START)
    versions = run_detectors(merged(project, frames), [VideoDetector()], every_version=True)
    tamper = [a for a in versions if a.rule == "VID-TAMPER"]
    assert len({a.alert_id for a in tamper}) == 1
    final = tamper[-1]
    assert final.evidence["episodes"] == [final.evidence["window"]]  # the glitch is no episode
    assert final.evidence["window"]["start"] == at(60)
    assert final.evidence["window"]["end"] == at(99)
    assert "blurred_or_covered" in final.evidence["measurements"]["reasons"]
    assert final.evidence["thumbnail"]["camera_id"] == CAM


def test_a_black_feed_and_a_frozen_feed_are_flagged(tmp_path):
    live = person_in_room()
    video = write_video(
        tmp_path / "frozen.avi",
        [(live, 30, True), (live, 45, False), (live, 20, True), (black(), 45, False)],
        fps=1,
    )
    frames = camera_events(video, tmp_path / "f.jsonl", ROOM, CAM)
    project = project_events(P, ROOM, [CAM], 1, START)
    versions = run_detectors(merged(project, frames), [VideoDetector()], every_version=True)
    final = {}
    for a in versions:
        if a.rule == "VID-TAMPER":
            final[a.alert_id] = a
    (alert,) = final.values()  # one case per camera and session, two episodes
    episodes = alert.evidence["episodes"]
    assert len(episodes) == 2
    assert episodes[0]["start"] == at(31) and not episodes[0]["ongoing"]  # 30 is the last live one
    assert episodes[1]["start"] == at(95)
    assert set(alert.evidence["measurements"]["reasons"]) >= {"black", "frozen"}
