"""The demo's day: shifted to now, live long enough, with video the real camera agent measures.

The footage is rendered by `witness/simulator/footage.py` and decoded and analysed by
`witness camera` itself (the CLI, writing JSON lines), then folded through the video
detector, so what the demo's tiles and alerts show is what OpenCV measured.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detectors.offline import run_detectors
from detectors.video import VideoDetector
from tests.support.video_events import project_events, read_jsonl
from witness.events import ContractError, parse_event
from witness.simulator import footage
from witness.simulator.cameras import RoomWindow, Window
from witness.simulator.live import DemoDay, bad_lines, shift_times
from witness.simulator.plan import LiveDay

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def day():
    return DemoDay(0, NOW, projects=12, seed=7)


def test_the_day_starts_now_and_keeps_its_durations(day):
    events = list(day.events())
    ts = [datetime.fromisoformat(e["ts"]) for e in events]
    assert ts == sorted(ts)
    opening = [t for e, t in zip(events, ts, strict=True) if e["type"] == "opening.started"]
    assert NOW < min(opening) <= NOW + timedelta(minutes=5)  # the first opening is minutes away
    history = [e for e, t in zip(events, ts, strict=True) if t < NOW]
    assert {e["type"] for e in history} >= {"project.registered", "bid.submitted"}
    assert not any(e["type"] in ("opening.started", "score.submitted") for e in history)
    # a deadline 20+ days after registration stays so (PROC-SHORT would notice otherwise)
    reg = next(e for e in events if e["type"] == "project.registered")
    deadline = datetime.fromisoformat(reg["payload"]["bid_deadline"])
    assert deadline - datetime.fromisoformat(reg["ts"]) >= timedelta(days=20)
    assert not any(e["type"] in ("frame.analyzed", "camera.status") for e in events)


def test_projects_stay_live_twenty_minutes_at_the_default_speed(day):
    import argparse

    from witness.commands.demo import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    speed = p.parse_args([]).speed
    for proj in day.sim.projects:
        live_real_minutes = (proj.archived - proj.opening_start) / speed / 60
        assert live_real_minutes >= 20, (proj.pid, live_real_minutes)
    # several of the officer's four projects are live at once
    first = day.sim.projects[:4]
    overlap = min(p.archived for p in first) - max(p.opening_start for p in first)
    assert overlap > 0


def test_consecutive_days_use_new_project_ids_and_event_ids():
    d1 = DemoDay(0, NOW, projects=3, seed=7)
    d2 = DemoDay(1, NOW + timedelta(hours=8), projects=3, seed=7)
    assert not set(d1.project_ids) & set(d2.project_ids)
    ids1 = {e["event_id"] for e in d1.events()}
    ids2 = {e["event_id"] for e in d2.events()}
    assert not ids1 & ids2


def test_every_camera_of_a_project_fills_a_tile_and_plays(day):
    p = day.sim.projects[0]
    rooms = {r.room_id: r for r in p.windows}
    assert len(p.venue.opening[p.opening_room]) + len(p.venue.evaluation[p.eval_room]) == 9
    stretches = [c for c in day.cameras() if c.room_id in rooms]
    assert {c.camera_id for c in stretches} >= set(p.venue.evaluation[p.eval_room])
    assert all(c.start >= NOW for c in stretches)


def test_shift_moves_times_and_dates_only():
    d = {
        "ts": "2026-09-21T09:00:00+08:00",
        "payload": {
            "since": "2019-05-01",
            "text": "2026-09-21T09:00:00+08:00 is in a text",
            "n": 3,
        },
    }
    out = shift_times(d, timedelta(days=71, hours=2))
    assert out["ts"] == "2026-12-01T11:00:00+08:00"
    assert out["payload"]["since"] == "2019-07-11"
    assert out["payload"]["text"] == d["payload"]["text"] and out["payload"]["n"] == 3


def test_bad_lines_break_the_contract_each_with_a_reason(day):
    reasons = []
    for i, line in enumerate(bad_lines(day), 1):
        with pytest.raises(ContractError) as err:
            parse_event(line, line=i)
        reasons.append(err.value.describe())
    assert len(reasons) == 4
    assert any("payload.status" in r for r in reasons)
    assert any("timezone" in r for r in reasons)
    assert any("expert.checkin" in r for r in reasons)


# ---------------------------------------------------------------- footage through the real agent

START = datetime.fromisoformat("2026-11-20T09:00:00+08:00")
ROOM = "PB-209"
CAMS = [f"{ROOM}-C{i}" for i in range(1, 6)]


def test_footage_through_the_camera_agent_measures_what_was_planned(tmp_path):
    """A 35-minute evaluation: two members leave for 14 minutes, C1's lens is covered for
    2 minutes, C2 goes dark for 2 minutes; the agent's numbers must say so."""
    from witness.cli import main

    seconds = 35 * 60
    rw = RoomWindow(
        ROOM,
        CAMS,
        0,
        seconds,
        7,
        True,
        windows=[
            Window("persons", 300, 300 + 14 * 60, None, delta=-2),
            Window("tamper", 1500, 1620, CAMS[0], "covered"),
            Window("tamper", 1700, 1820, CAMS[1], "black"),
        ],
    )
    frames = []
    for cam in CAMS[:2]:
        [segment] = footage.script(rw, cam, 10)
        path = footage.render(ROOM, cam, segment, 10, tmp_path / "footage")
        out = tmp_path / f"{cam}.jsonl"
        argv = ["camera", str(path), "--room", ROOM, "--camera", cam, "--fps", "0.1"]
        assert main([*argv, "--start", START.isoformat(), "--out", str(out)]) == 0
        frames += [e for e in read_jsonl(out) if e.type == "frame.analyzed"]
    assert all(f.payload.thumbnail for f in frames[::1])  # every sampled frame brings its picture
    c1 = [f for f in frames if f.payload.camera_id == CAMS[0]]
    assert len(c1) == seconds // 10

    def at(f):
        return (f.ts - START).total_seconds()

    seen = {at(f): f.payload for f in c1}
    settled = [p.persons for t, p in seen.items() if 100 <= t < 290]  # a minute for the cadence
    assert settled and all(n == 7 for n in settled), settled
    away = [p.persons for t, p in seen.items() if 400 <= t < 1100]
    assert away and all(n == 5 for n in away), away
    covered = [p for t, p in seen.items() if 1510 <= t < 1620]
    assert covered and all(p.brightness < 20 and p.sharpness < 15 for p in covered)
    dark = [f.payload for f in frames if f.payload.camera_id == CAMS[1] and 1710 <= at(f) < 1820]
    assert dark and all(p.brightness < 5 for p in dark)
    # folded through the video detector: the plants fire, nothing else does
    project = project_events(
        "JY-DEMO", ROOM, CAMS[:2], 7, START, START + timedelta(seconds=seconds)
    )
    alerts = run_detectors(
        sorted(project + frames, key=lambda e: e.ts), [VideoDetector()], every_version=True
    )
    rules = {a.rule for a in alerts}
    assert {"VID-ABSENT", "VID-TAMPER"} <= rules
    assert "VID-INTRUDER" not in rules
    tampered = {a.evidence.get("camera_id") for a in alerts if a.rule == "VID-TAMPER"}
    assert tampered == set(CAMS[:2])


def test_footage_is_cached_and_the_cache_is_pruned(tmp_path):
    rw = RoomWindow(ROOM, CAMS[:1], 0, 300, 5, True)
    [segment] = footage.script(rw, CAMS[0], 10)
    first = footage.render(ROOM, CAMS[0], segment, 10, tmp_path)
    mtime = first.stat().st_mtime_ns
    again = footage.render(ROOM, CAMS[0], segment, 10, tmp_path)
    assert again == first and again.stat().st_size == first.stat().st_size
    assert again.stat().st_mtime_ns >= mtime
    footage.prune(tmp_path, keep_bytes=0)
    assert not list(tmp_path.glob("*.mp4"))


def test_a_silent_camera_is_a_gap_between_two_files():
    rw = RoomWindow(ROOM, CAMS[:1], 0, 600, 5, True, windows=[Window("silent", 200, 300, CAMS[0])])
    segments = footage.script(rw, CAMS[0], 10)
    assert [(s[0].t, s[-1].t) for s in segments] == [(0, 190), (300, 590)]


def test_live_day_is_not_the_default_run():
    """`witness simulate` keeps its venue and calendar; only the demo uses a LiveDay."""
    from witness.simulator import Simulation

    assert Simulation(3, 7).projects[0].venue.opening != LiveDay().venue.opening
