"""The running wall in headless Chromium: sign in, watch an alert arrive, acknowledge it.

Chromium and chromedriver come from Debian's packages (`chromium`, `chromium-driver`);
when they are missing the test installs them with CI=true and skips otherwise. Selenium
drives the browser through /usr/bin/chromedriver (no driver download at run time).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_wall import APP, PASSWORD, seed

from witness.alerts import make_alert
from witness.rules import rule
from witness.store import Store

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROOT = APP.parents[1]


def _need_browser() -> None:
    if CHROMIUM.exists() and DRIVER.exists():
        return
    if os.environ.get("CI", "").lower() == "true" and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "chromium", "chromium-driver", "fonts-wqy-zenhei"],
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


@pytest.fixture
def wall_server(tmp_path):
    url = f"sqlite:///{tmp_path}/wall.db"
    store = Store(url)
    seed(store)
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
    try:
        _wait_http(port, proc)
        yield f"http://127.0.0.1:{port}", store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
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


def _wait(driver, xpath: str, timeout: float = 20):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        ec.presence_of_element_located((By.XPATH, xpath))
    )


def test_wall_in_a_real_browser(wall_server, browser):
    from selenium.webdriver.common.by import By

    base, store = wall_server

    browser.get(base)
    _wait(browser, "//input[@aria-label='用户名']").send_keys("li")
    browser.find_element(By.XPATH, "//input[@aria-label='密码']").send_keys(PASSWORD)
    browser.find_element(By.XPATH, "//button[.//p[text()='登录']]").click()
    _wait(browser, "//h4[contains(., 'P1')]")
    _wait(browser, "//*[contains(text(), '实时告警')]")

    # a new alert is recorded while the page is open
    title = rule("REL-40-3").title_zh
    alert = make_alert(
        "REL-40-3",
        "P1",
        identity={"cert_no": "PM-1"},
        subjects=["P1-A", "P1-C"],
        evidence={"cert_no": "PM-1", "bidders": [{"bidder_id": "P1-A"}, {"bidder_id": "P1-C"}]},
        event_ids=[],
        first_seen=store.events("P1")[-1].ts,
    )
    store.write(alerts=[alert])
    started = time.monotonic()
    summary = _wait(browser, f"//summary[contains(., '{title}')]", timeout=20)
    arrived_s = time.monotonic() - started
    # The feed reruns every 2 s; a click that lands while it redraws can be lost, and a
    # person would click again. Re-find and re-click until the decision is in the store
    # (a second click on an acknowledged alert is refused, so it cannot add a decision).
    for _attempt in range(3):
        summary = _wait(browser, f"//summary[contains(., '{title}')]")
        details = summary.find_element(By.XPATH, "./ancestor::details[1]")
        if details.get_attribute("open") is None:
            summary.click()
        try:
            ack = _wait(details, ".//button[.//p[text()='确认']]", timeout=5)
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", ack)
            ack.click()
        except Exception:  # the card was redrawn under us: find it again
            continue
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not store.decisions(alert.alert_id):
            time.sleep(0.2)
        if store.decisions(alert.alert_id):
            break
    _wait(browser, "//*[contains(text(), '已记录')]")
    decisions = store.decisions(alert.alert_id)
    assert [(d.action, d.actor) for d in decisions] == [("acknowledge", "li")]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "wall_browser.png"
    browser.execute_script(
        "for (const el of document.querySelectorAll('[data-testid=stMain], section'))"
        " el.scrollTo(0, 0);"
    )
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert arrived_s < 15  # the feed refreshes every 2 s
