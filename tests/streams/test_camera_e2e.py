"""End to end on a real broker: video file -> `witness camera` -> broker -> `witness run` -> store."""

from __future__ import annotations

import signal

import pytest

from tests.support.pipeline_run import (
    cli_env,
    read_topic,
    start_witness,
    wait_for,
    witness,
    write_jsonl,
)
from tests.support.video_events import START, black, person_in_room, project_events, write_video
from witness.store import Store

pytestmark = [pytest.mark.broker]

ROOM, CAM, P = "R-EVAL-E2E", "C1", "JY-CAM-E2E"


def test_a_black_feed_reaches_the_store_as_vid_tamper(broker, topics, sqlite_url, tmp_path):
    db_url = sqlite_url  # the store itself is tested on both databases elsewhere
    env = cli_env(broker, db_url, topics.prefix)
    project = write_jsonl(tmp_path / "project.jsonl", project_events(P, ROOM, [CAM], 1, START))
    video = write_video(
        tmp_path / "cam.avi", [(person_in_room(), 20, True), (black(), 45, False)], fps=1
    )

    ingest = witness("ingest", str(project), "--no-progress", env=env)
    assert ingest.returncode == 0, ingest.stderr.decode()
    runner = start_witness("run", env=env)
    try:
        # the worker derives the room session first, as it would before cameras matter
        assert read_topic(broker, topics.sessions, expect=1, timeout=60)
        cam = witness(
            "camera",
            str(video),
            "--room",
            ROOM,
            "--camera",
            CAM,
            "--start",
            START.isoformat(),
            env=env,
        )
        assert cam.returncode == 0, cam.stderr.decode()
        store = Store(db_url)
        assert wait_for(
            lambda: any(a.rule == "VID-TAMPER" for a in store.alert_models()), timeout=60
        )
    finally:
        runner.send_signal(signal.SIGTERM)
        _, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err.decode()

    (alert,) = [a for a in store.alert_models() if a.rule == "VID-TAMPER"]
    assert alert.project_id == P and alert.room_id == ROOM
    assert alert.subjects == sorted([ROOM, CAM])
    assert alert.evidence["window"]["start"] == START.replace(second=20).isoformat()
    assert "black" in alert.evidence["measurements"]["reasons"]
    frames = read_topic(broker, topics.frames, expect=65)
    assert {r.key for r in frames} == {ROOM.encode()}
