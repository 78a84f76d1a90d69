"""`witness camera` on rendered videos: deterministic events, many cameras, dropped sources."""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np
import pytest

from streams.camera_agent import AgentOptions, CameraSpec, CameraWorker, JsonlSink, run_agent
from tests.support.video_events import (
    START,
    black,
    camera_events,
    empty_room,
    person_in_room,
    read_jsonl,
    write_video,
)
from witness.cli import main


def test_file_source_is_stamped_on_the_video_clock_and_repeatable(tmp_path):
    video = write_video(
        tmp_path / "room.avi", [(person_in_room(), 20, True), (empty_room(), 20, True)], fps=4
    )
    events = camera_events(video, tmp_path / "a.jsonl", "R1", "C1", fps=1.0)
    frames = [e for e in events if e.type == "frame.analyzed"]
    statuses = [e for e in events if e.type == "camera.status"]
    assert len(frames) == 10  # 40 frames at 4 fps = 10 s, sampled at 1 fps
    assert [f.ts for f in frames] == [START + timedelta(seconds=i) for i in range(10)]
    assert all(e.project_id == "*" and e.key == "R1" for e in events)
    assert statuses[0].payload.status == "online" and statuses[0].ts == START
    assert frames[0].payload.faces == 1 and frames[-1].payload.faces == 0
    assert frames[0].payload.thumbnail  # the first sample always has a thumbnail
    again = camera_events(video, tmp_path / "b.jsonl", "R1", "C1", fps=1.0)
    assert [e.to_json() for e in again] == [e.to_json() for e in events]


def test_sampling_rate_follows_fps(tmp_path):
    video = write_video(tmp_path / "v.avi", [(empty_room(), 50, True)], fps=5)
    events = camera_events(video, tmp_path / "e.jsonl", "R1", "C1", fps=2.0)
    frames = [e for e in events if e.type == "frame.analyzed"]
    assert len(frames) == 20
    # each sample is the first video frame at or after its slot on the 0.5 s grid
    for i, f in enumerate(frames):
        offset = (f.ts - START).total_seconds() - 0.5 * i
        assert 0 <= offset < 0.2 + 1e-6


def test_one_process_serves_many_cameras(tmp_path):
    v1 = write_video(tmp_path / "1.avi", [(person_in_room(), 10, True)], fps=2)
    v2 = write_video(tmp_path / "2.avi", [(black(), 10, False)], fps=2)
    out = tmp_path / "many.jsonl"
    rc = main(
        [
            "camera",
            "--source",
            f"R1:C1:{v1}",
            "--source",
            f"R2:C9:{v2}",
            "--start",
            START.isoformat(),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    frames = [e for e in read_jsonl(out) if e.type == "frame.analyzed"]
    by_cam = {(f.payload.room_id, f.payload.camera_id): [] for f in frames}
    for f in frames:
        by_cam[(f.payload.room_id, f.payload.camera_id)].append(f)
    assert set(by_cam) == {("R1", "C1"), ("R2", "C9")}
    assert all(len(v) == 5 for v in by_cam.values())
    assert max(f.payload.brightness for f in by_cam[("R2", "C9")]) < 1


def test_a_spec_source_may_contain_colons():
    spec = CameraSpec.parse("R-EVAL-1:C2:rtsp://user:pw@10.0.0.7:554/sub")
    assert (spec.room_id, spec.camera_id, spec.source) == (
        "R-EVAL-1",
        "C2",
        "rtsp://user:pw@10.0.0.7:554/sub",
    )
    assert not spec.is_file and CameraSpec.parse("R:C:0").is_device


def test_missing_file_is_reported_offline(tmp_path):
    out = tmp_path / "o.jsonl"
    rc = main(["camera", str(tmp_path / "nope.mp4"), "--room", "R1", "--out", str(out)])
    assert rc == 1
    (status,) = read_jsonl(out)
    assert status.type == "camera.status" and status.payload.status == "offline"
    assert status.payload.camera_id == "R1-cam1"


def test_no_broker_and_no_out_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WITNESS_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    rc = main(["camera", "x.mp4", "--room", "R1"])
    assert rc == 2
    assert "--out" in capsys.readouterr().err


class FlakyCapture:
    """A live stream that delivers `frames` pictures, then drops."""

    def __init__(self, frames: int) -> None:
        self.left = frames

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def grab(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def retrieve(self):
        return True, np.ascontiguousarray(person_in_room())

    def release(self) -> None:
        pass


def test_a_dropped_live_source_is_reported_offline_and_reopened(tmp_path, monkeypatch):
    opened = []

    def fake_open(self):
        opened.append(1)
        return FlakyCapture(3)

    monkeypatch.setattr(CameraSpec, "open", fake_open)
    sink = JsonlSink(tmp_path / "live.jsonl")
    stop = threading.Event()
    worker = CameraWorker(
        CameraSpec("R1", "C1", "rtsp://cam/sub"),
        sink,
        AgentOptions(fps=1000.0, backoff_initial_s=0.01, backoff_max_s=0.02, max_frames=7),
        stop=stop,
    )
    assert worker.run() == 0
    sink.close()
    events = read_jsonl(tmp_path / "live.jsonl")
    statuses = [e.payload.status for e in events if e.type == "camera.status"]
    assert len(opened) >= 3  # reconnected after each drop
    assert statuses[:2] == ["online", "offline"] and "online" in statuses[2:]
    assert sum(e.type == "frame.analyzed" for e in events) == 7
    ts = [e.ts for e in events]
    assert ts == sorted(ts)  # wall clock, in order


def test_run_agent_rejects_duplicate_cameras(tmp_path):
    import pytest

    specs = [CameraSpec("R1", "C1", "a.mp4"), CameraSpec("R1", "C1", "b.mp4")]
    with pytest.raises(ValueError):
        run_agent(specs, JsonlSink(tmp_path / "x.jsonl"))


class StalledCapture:
    """A live stream that delivers one picture, then blocks inside grab() (a hung RTSP)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.sent = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def grab(self) -> bool:
        if not self.sent:
            self.sent = True
            return True
        self.stop.wait(10)
        return False

    def retrieve(self):
        return True, np.ascontiguousarray(empty_room())

    def release(self) -> None:
        pass


def test_a_stalled_stream_is_reported_offline_by_the_watchdog(tmp_path, monkeypatch):
    stop = threading.Event()
    monkeypatch.setattr(CameraSpec, "open", lambda self: StalledCapture(stop))
    sink = JsonlSink(tmp_path / "stall.jsonl")
    options = AgentOptions(fps=10.0, heartbeat_s=0.3, backoff_initial_s=0.01)
    runner = threading.Thread(
        target=run_agent,
        args=([CameraSpec("R1", "C1", "rtsp://cam/sub")], sink, options),
        kwargs={"stop": stop},
    )
    runner.start()
    events: list = []
    for _ in range(60):
        sink.flush()
        events = read_jsonl(tmp_path / "stall.jsonl")
        if any(e.type == "camera.status" and e.payload.status == "offline" for e in events):
            break
        threading.Event().wait(0.1)
    stop.set()
    runner.join(15)
    assert not runner.is_alive()
    statuses = [e.payload.status for e in events if e.type == "camera.status"]
    assert statuses[:2] == ["online", "offline"]
    assert sum(e.type == "frame.analyzed" for e in events) == 1


def test_cameras_from_a_toml_file_and_looped_files_keep_their_clock(tmp_path):
    video = write_video(tmp_path / "v.avi", [(empty_room(), 5, True)], fps=1)
    conf = tmp_path / "cameras.toml"
    conf.write_text(
        f'[[camera]]\nroom = "R7"\ncamera = "C7"\nsource = "{video}"\n', encoding="utf-8"
    )
    out = tmp_path / "loop.jsonl"
    rc = main(
        ["camera", "--cameras", str(conf), "--loop", "--max-frames", "12"]
        + ["--start", START.isoformat(), "--out", str(out)]
    )
    assert rc == 0
    frames = [e for e in read_jsonl(out) if e.type == "frame.analyzed"]
    assert {(f.payload.room_id, f.payload.camera_id) for f in frames} == {("R7", "C7")}
    assert [f.ts for f in frames] == [START + timedelta(seconds=i) for i in range(12)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_cameras_file_saved_by_notepad_keeps_its_chinese_room_names(tmp_path, encoding):
    """A BOM failed as "Invalid statement (at line 1, column 1)", GBK as a traceback."""
    from streams.camera_config import load_cameras

    conf = tmp_path / "cameras.toml"
    text = (
        '# 评标室\n[[camera]]\nroom = "评标室1"\ncamera = "东墙"\nsource = "rtsp://10.0.0.7/sub"\n'
    )
    conf.write_bytes(text.encode(encoding))
    (spec,) = load_cameras(conf)
    assert (spec.room_id, spec.camera_id, spec.source) == ("评标室1", "东墙", "rtsp://10.0.0.7/sub")
