"""`witness demo` headless for a short window: the wall answers and alerts reach the store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from dashboards.queries import dead_letters
from streams.broker import free_port
from witness.store import Store

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_demo_headless_finds_alerts(tmp_path, broker):
    # `broker` only proves the embedded broker can start here; the demo starts its own.
    port = free_port()
    started = datetime.now(UTC)
    env = dict(os.environ, WITNESS_KAFKA_SESSION_TIMEOUT_MS="2000")
    env.pop("WITNESS_KAFKA_BOOTSTRAP", None)
    env.pop("WITNESS_DATABASE_URL", None)
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "witness.cli",
            "demo",
            "--headless",
            "--port",
            str(port),
            "--projects",
            "4",
            "--speed",
            "20000",
            "--duration",
            "50",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    health = None
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and health is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                health = r.read().decode()
        except OSError:
            time.sleep(1)
    _, err = demo.communicate(timeout=120)
    text = err.decode()
    assert demo.returncode == 0, text[-2000:]
    assert health == "ok"
    store = Store(f"sqlite:///{tmp_path}/var/demo.db")
    alerts = store.alerts()
    assert len(alerts) >= 5, text[-2000:]
    assert {a.rule.split("-")[0] for a in alerts} >= {"REL", "PROC"}
    assert store.count_events() > 100
    assert "演示已停止" in text  # zh-CN by default
    # the platform's bad lines reach the dead letters, each with its reason
    reasons = [d.error for d in dead_letters(store)]
    assert len(reasons) >= 4 and any("payload.status" in r for r in reasons), reasons
    # the day happened now: its events carry today's date, not a months-old one
    opened = [e.ts for e in store.events(types=["opening.started"])]
    # (at 20,000x the demo clock runs days ahead of the wall clock, never behind it)
    assert opened and started <= min(opened) <= started + timedelta(seconds=60 * 20000)


def test_demo_at_its_default_speed_plays_video_through_the_camera_agent(tmp_path, broker):
    """Ninety seconds of the default demo: the first opening room's cameras send frames
    the agent measured (thumbnails, head counts) stamped on the demo's clock."""
    env = dict(os.environ, WITNESS_KAFKA_SESSION_TIMEOUT_MS="2000")
    env.pop("WITNESS_KAFKA_BOOTSTRAP", None)
    env.pop("WITNESS_DATABASE_URL", None)
    started = time.time()
    demo = subprocess.run(
        [sys.executable, "-m", "witness.cli", "demo", "--no-wall", "--duration", "90"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=240,
    )
    text = demo.stderr.decode()
    assert demo.returncode == 0, text[-2000:]
    store = Store(f"sqlite:///{tmp_path}/var/demo.db")
    from sqlmodel import Session, select

    from witness.store.models import LatestFrame

    with Session(store.engine) as s:
        frames = list(s.execute(select(LatestFrame)).scalars().all())
    assert frames, text[-2000:]
    assert all(f.thumbnail for f in frames)
    assert any(f.metrics.get("persons", 0) > 0 for f in frames)  # faces the cascade found
    assert {f.room_id for f in frames} and all(f.metrics.get("width") == 320 for f in frames)
    # stamped on the demo's clock: after the start, at most 6 × the run ahead of it
    t0 = datetime.fromtimestamp(started, UTC)
    for f in frames:
        ts = f.ts if f.ts.tzinfo else f.ts.replace(tzinfo=UTC)
        assert t0 - timedelta(seconds=5) <= ts <= t0 + timedelta(seconds=6 * 120), ts
    assert list((tmp_path / "var" / "demo-footage").glob("*.mp4"))  # the cache
