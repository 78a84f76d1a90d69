"""Browser helpers for the wall's real-browser tests: sign in, lay out, decide, shoot.

Selenium reads what the browser laid out (boxes, pictures, scrolling) with a little
script, and clicks as a person would, again when a feed redraw swallowed the click.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers_wall import PASSWORD, day_rooms, frame_event, painted_thumbnail

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


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
