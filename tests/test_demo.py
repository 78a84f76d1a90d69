"""`witness demo` headless for a short window: the wall answers and alerts reach the store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from streams.broker import free_port
from witness.store import Store

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_demo_headless_finds_alerts(tmp_path, broker):
    # `broker` only proves the embedded broker can start here; the demo starts its own.
    port = free_port()
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
            "--max-gap",
            "0.05",
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
