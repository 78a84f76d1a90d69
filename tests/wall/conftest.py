"""The wall's real-browser tests: a wall server, headless Chromium, and helpers to
sign in, lay out, decide and shoot.

Selenium reads what the browser laid out (boxes, pictures, scrolling) with a little
script, and clicks as a person would, again when a feed redraw swallowed the click.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.wall_seed import (
    APP,
    PASSWORD,
    day_rooms,
    frame_event,
    painted_thumbnail,
    seed,
    seed_day,
)
from witness.store import Store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # tests/artifacts/


def wait_for(driver, xpath: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        ec.presence_of_element_located((By.XPATH, xpath))
    )


def login_in_browser(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base)
    wait_for(driver, "//input[@aria-label='用户名']").send_keys(user)
    driver.find_element(By.XPATH, "//input[@aria-label='密码']").send_keys(PASSWORD)
    driver.find_element(By.XPATH, "//button[.//p[text()='登录']]").click()


def viewport(driver, width: int, height: int) -> None:
    """The page's own size, as a browser in full screen on a monitor of that size."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def layout(driver) -> dict:
    """Panels, tiles and scrolling as the browser laid them out."""
    return driver.execute_script(
        """
        const box = e => { const r = e.getBoundingClientRect();
          return {x: r.left, y: r.top, w: r.width, h: r.height}; };
        const main = document.querySelector('[data-testid=stMain]');
        return {
          panels: [...document.querySelectorAll('.wt-head')].map(e =>
            ({id: e.dataset.project, ...box(e.closest('[class*=st-key-panel_]'))})),
          tiles: [...document.querySelectorAll('.wt-tile')].map(e => ({
            id: e.dataset.tile, kind: e.className, ...box(e),
            img: e.querySelector('img') ? e.querySelector('img').naturalWidth : 0})),
          feed: box(document.querySelector('.st-key-wall_feed') || document.body),
          scroll: [main.scrollHeight, main.clientHeight, main.scrollWidth, main.clientWidth],
          vw: window.innerWidth, vh: window.innerHeight,
        };"""
    )


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def decide(driver, store, alert_id: str, label: str, button: str, reason: str | None = None):
    """Open the alert's card in the feed and press a decision button, as a person would:
    again if a feed redraw swallowed the click (a refused second click adds nothing)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = len(store.decisions(alert_id))
    for _attempt in range(4):
        try:
            summary = wait_for(driver, f"//summary[contains(., '{label}')]", timeout=10)
            details = summary.find_element(By.XPATH, "./ancestor::details[1]")
            if details.get_attribute("open") is None:
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
                summary.click()
            if reason:
                box = wait_for(details, ".//input[@aria-label='理由（排除时必填）']", timeout=5)
                if box.get_attribute("value") != reason:
                    box.clear()
                    box.send_keys(reason, Keys.ENTER)
                    time.sleep(1.0)
                    continue  # the page reran with the reason; find the card again
            press = wait_for(details, f".//button[.//p[text()='{button}']]", timeout=5)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", press)
            press.click()
        except Exception:  # the card was redrawn under us: find it again
            time.sleep(0.5)
            continue
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and len(store.decisions(alert_id)) == before:
            time.sleep(0.2)
        if len(store.decisions(alert_id)) > before:
            return store.decisions(alert_id)[-1]
    raise AssertionError(f"the decision {button} on {label} never landed")


def tamper_alert(store, pid: str):
    from witness.alerts import make_alert

    room, cam = f"{pid}-PB", f"{pid}-PB-C2"
    now = datetime.now(UTC)
    alert = make_alert(
        "VID-TAMPER",
        pid,
        identity={"camera": cam, "room": room},
        subjects=[room, cam],
        evidence={
            "room_id": room,
            "camera_id": cam,
            "window": {"start": (now - timedelta(seconds=40)).isoformat(), "seconds": 40.0},
            "episodes": [{"start": (now - timedelta(seconds=40)).isoformat(), "seconds": 40.0}],
            "measurements": {"reasons": ["covered"], "min_brightness": 9.5, "min_sharpness": 1.2},
            "thumbnail": {
                "camera_id": cam,
                "ts": now.isoformat(),
                "jpeg_base64": painted_thumbnail(room, cam),
            },
        },
        event_ids=[],
        first_seen=now - timedelta(seconds=40),
        room_id=room,
    )
    store.write(alerts=[alert])
    return alert


def pm_alert(store, pid: str):
    """Two of the project's bidders name the same project manager (REL-40-3)."""
    from witness.alerts import make_alert

    alert = make_alert(
        "REL-40-3",
        pid,
        identity={"attribute": "pm_cert_no", "value": "苏1832019"},
        subjects=[f"{pid}-A", f"{pid}-B"],
        evidence={
            "attribute": "pm_cert_no",
            "value": "苏1832019",
            "bidders": [
                {"bidder_id": f"{pid}-A", "project_manager": "罗宇芳", "cert_no": "苏1832019"},
                {"bidder_id": f"{pid}-B", "project_manager": "罗宇芳", "cert_no": "苏1832019"},
            ],
        },
        event_ids=[],
        first_seen=datetime.now(UTC) - timedelta(minutes=50),
    )
    store.write(alerts=[alert])
    return alert


class Arrivals(threading.Thread):
    """Events keep arriving while the officer works: fresh frames on every D1 camera."""

    def __init__(self, store) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        rooms = day_rooms("D1")
        i = 0
        while not self.stop.wait(0.7):
            i += 1
            room = rooms[i % 2]
            cam = room["cameras"][i % len(room["cameras"])]
            ts = datetime.now(UTC).isoformat()
            self.store.write(
                [
                    frame_event(
                        room["room_id"], cam, ts, 120, painted_thumbnail(room["room_id"], cam, i)
                    )
                ]
            )
            self.sent += 1


CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ROOT = APP.parents[1]


def _need_browser() -> None:
    if CHROMIUM.exists() and DRIVER.exists():
        return
    if os.environ.get("CI", "").lower() == "true" and shutil.which("apt-get"):
        subprocess.run(
            [
                "apt-get",
                "install",
                "-y",
                "chromium",
                "chromium-driver",
                "fonts-wqy-zenhei",
                "fonts-noto-color-emoji",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return
    pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(port: int, proc: subprocess.Popen, timeout: float = 40) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the wall exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not start")


def _start_wall(tmp_path, url):
    port = _free_port()
    env = {**os.environ, "WITNESS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("WITNESS_LOCALE", None)  # the default, Simplified Chinese
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    proc = subprocess.Popen(  # `witness wall` execs `streamlit run dashboards/app.py`
        [
            sys.executable,
            "-m",
            "witness.cli",
            "wall",
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--headless",
        ],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / "wall.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    _wait_http(port, proc)
    return f"http://127.0.0.1:{port}", proc


def stop_wall(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def wall_server(tmp_path):
    url = f"sqlite:///{tmp_path}/wall.db"
    store = Store(url)
    seed(store)
    base, proc = _start_wall(tmp_path, url)
    try:
        yield base, store
    finally:
        stop_wall(proc)
        store.close()


@pytest.fixture
def day_server(tmp_path):
    """The seeded store plus four live projects with painted pictures (officer `wang`)."""
    url = f"sqlite:///{tmp_path}/wall.db"
    store = Store(url)
    seed(store)
    seed_day(store, datetime.now(UTC), picture=painted_thumbnail)
    base, proc = _start_wall(tmp_path, url)
    try:
        yield base, store, proc
    finally:
        stop_wall(proc)
        store.close()


@pytest.fixture
def browser(tmp_path):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    opts = webdriver.ChromeOptions()
    real = Path("/usr/lib/chromium/chromium")
    opts.binary_location = str(real if real.exists() else CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1100",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
