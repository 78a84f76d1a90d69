"""Wall sign-in time on a quiet store vs while a busy day is recorded and archived.

Issue 13 saw sign-ins of 16-41 s while eight projects archived at once; the target is
< 3 s. This measures, in the same run:
  quiet  the store holds a recorded day; nothing else runs;
  busy   another process records a simulated day of --busy-projects projects through
         the detectors and the store (its end: evaluations finish, projects archive),
         batch after batch as the recorder does, while --sessions other browsers sit
         signed in on the wall (their refresh timers running).
A sign-in is the person's whole wait in headless Chromium against `witness wall`: from
the click on 登录 to the first project panel of the wall on screen. Also shown:
the password check alone (bcrypt at the production cost) and the session write alone.

    .venv/bin/python bench/login.py [--logins 8] [--sessions 2] [--url sqlite:///...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-pw-1"
BATCH = 300


def record_day(url: str, projects: int, seed: int, stop=None, prefix: str = "") -> int:
    """Simulate a day, fold it through every detector, write it in recorder-sized batches."""
    import detectors
    from witness.events import parse_event
    from witness.simulator import Simulation
    from witness.store import Store

    store = Store(url, migrate=False)
    engine = detectors.Engine(detectors.all_detectors())
    events, alerts, n = [], [], 0
    for raw in Simulation(projects, seed).events():
        if prefix:
            raw = dict(raw, event_id=prefix + raw["event_id"])
            if raw["project_id"] != "*":
                raw["project_id"] = prefix + raw["project_id"]
        ev = parse_event(raw)
        out = engine.process(ev)
        events.append(ev)
        events.extend(out.sessions)
        alerts.extend(out.alerts)
        if len(events) >= BATCH:
            store.write(events, alerts)
            n += len(events)
            events, alerts = [], []
            if stop is not None and stop.is_set():
                break
    if events:
        store.write(events, alerts)
        n += len(events)
    store.close()
    return n


def _busy(url: str, projects: int) -> None:
    """The busy day, in its own process until killed (AppTest replaces __main__, so no
    multiprocessing here)."""
    loop = 0
    while True:
        loop += 1
        record_day(url, projects, seed=100 + loop, prefix=f"L{loop}-")


def _browser(profile: Path):
    """Headless Chromium from Debian's packages (no driver download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    opts = webdriver.ChromeOptions()
    real = Path("/usr/lib/chromium/chromium")
    opts.binary_location = str(real if real.exists() else "/usr/bin/chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1600,1100"):
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def _wait(driver, xpath: str, timeout: float = 120):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        ec.presence_of_element_located((By.XPATH, xpath))
    )


def sign_in(driver, base: str, user: str = "officer") -> float:
    """Seconds from pressing 登录 to the wall's first project panel on screen."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base)
    _wait(driver, "//input[@aria-label='用户名']").send_keys(user)
    driver.find_element(By.XPATH, "//input[@aria-label='密码']").send_keys(PASSWORD)
    button = driver.find_element(By.XPATH, "//button[.//p[text()='登录']]")
    started = time.perf_counter()
    button.click()
    _wait(driver, "//h4")
    return time.perf_counter() - started


def start_wall(url: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "WITNESS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("WITNESS_LOCALE", None)
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "witness.cli",
            "wall",
            "--port",
            str(port),
            "--headless",
            "--address",
            "127.0.0.1",
        ],
        cwd=tmp,
        env=env,
        stdout=(tmp / "wall.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("the wall did not start")


def _stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return f"p50 {statistics.median(xs):6.2f} s   p95 {p95:6.2f} s   max {xs[-1]:6.2f} s"


def _old_cost_hash(store) -> None:
    """`officer12` signs in with a hash made at the old work factor (12), as before."""
    import bcrypt

    from witness.store.accounts import UserRow

    with store.session() as s:
        row = s.get(UserRow, "officer12")
        row.password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
        s.add(row)
        s.commit()


def measure(label: str, url: str, driver, base: str, logins: int) -> list[float]:
    from witness.store import Store, accounts
    from witness.store import logins as sessions

    store = Store(url, migrate=False)
    checks, writes, walls, walls12 = [], [], [], []
    for _ in range(logins):
        t = time.perf_counter()
        assert accounts.authenticate(store.engine, "officer", PASSWORD) is not None
        checks.append(time.perf_counter() - t)
        t = time.perf_counter()
        sessions.start(store.engine, "officer")
        writes.append(time.perf_counter() - t)
        walls.append(sign_in(driver, base))
        _old_cost_hash(store)
        walls12.append(sign_in(driver, base, "officer12"))
    store.close()
    print(
        f"{label:6} sign-in (click -> wall drawn), bcrypt {accounts.BCRYPT_ROUNDS}   {_stats(walls)}"
    )
    print(f"{'':6} ... the same with a bcrypt-12 hash     {_stats(walls12)}")
    print(f"{'':6} password check alone (bcrypt {accounts.BCRYPT_ROUNDS})    {_stats(checks)}")
    print(f"{'':6} session write alone                  {_stats(writes)}")
    return walls


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--logins", type=int, default=8)
    p.add_argument("--sessions", type=int, default=2, help="other walls rerunning meanwhile")
    p.add_argument("--day-projects", type=int, default=8, help="projects already recorded")
    p.add_argument("--busy-projects", type=int, default=8, help="projects recorded meanwhile")
    p.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    p.add_argument("--busy-worker", metavar="URL", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.busy_worker:
        _busy(args.busy_worker, args.busy_projects)
        return 0

    tmp = tempfile.mkdtemp(prefix="witness-login-")
    url = args.url or f"sqlite:///{tmp}/bench.db"
    os.environ["WITNESS_DATABASE_URL"] = url
    os.environ.setdefault("WITNESS_LOCALE", "en")
    from witness.store import Store, accounts

    store = Store(url)
    t = time.perf_counter()
    n = record_day(url, args.day_projects, seed=7)
    pids = sorted(p.project_id for p in store.projects())
    for name in ("officer", "officer12"):
        accounts.add_user(store.engine, name, PASSWORD, "officer", projects=pids[:4])
    store.close()
    print(
        f"recorded a day: {n} events of {args.day_projects} projects in "
        f"{time.perf_counter() - t:.0f} s ({url.split('://')[0]})"
    )

    wall, base = start_wall(url, Path(tmp))
    drivers = [_browser(Path(tmp) / f"profile-{i}") for i in range(args.sessions + 1)]
    busy = None
    try:
        quiet = measure("quiet", url, drivers[0], base, args.logins)
        busy = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--busy-worker",
                url,
                "--busy-projects",
                str(args.busy_projects),
            ]
        )
        for d in drivers[1:]:  # other screens on the wall, their timers running
            sign_in(d, base)
        time.sleep(5)  # let the busy day get going
        loaded = measure("busy", url, drivers[0], base, args.logins)
    finally:
        if busy is not None:
            busy.terminate()
            busy.wait(timeout=30)
        for d in drivers:
            d.quit()
        wall.terminate()
        wall.wait(timeout=30)
    ratio = statistics.median(loaded) / statistics.median(quiet)
    target = "met" if max(loaded) < 3 else "NOT met"
    print(f"busy / quiet median: {ratio:.1f}x; target < 3 s for every sign-in: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
