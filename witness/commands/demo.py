"""`witness demo`: the whole system on embedded defaults, in one command.

Embedded broker (unless WITNESS_KAFKA_BOOTSTRAP is set) + its own SQLite file
(var/demo.db; another database only with --into URL --yes, see demo_setup.py) + detector
worker + recorder + the wall + a simulated
trading day that starts now (witness/simulator/live.py): its history (registrations,
bids) goes out at once, the day itself as the demo's clock reaches it, `--speed` times
faster than real time. Every camera of every session plays rendered video through the
real camera agent (streams/camera_schedule.py). When a day is over the next begins,
until Ctrl-C or `--duration`. The clock is shared with the wall (WITNESS_CLOCK), so
"N minutes ago" and the times of decisions agree with the events.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from witness.commands import demo_setup
from witness.commands.common import (
    load_settings,
    positive_number,
    positive_whole,
    stop_on_signals,
)
from witness.i18n import register, t

HELP = (
    "一条命令演示全部：内置消息代理 + SQLite + 模拟交易日（从现在开始）+ 摄像头视频 + 检测器 + 记录器 + 监控墙",
    "the whole system in one command: embedded broker + SQLite + a simulated day starting now + camera video + detectors + recorder + wall",
)

FOOTAGE = Path("var/demo-footage")
#: Above this speed the cameras cannot keep up (each frame is drawn, decoded and analysed).
MAX_VIDEO_SPEED = 120.0
#: Clock seconds between one demo day's last archiving and the next day's start.
DAY_GAP_S = 300
#: A new day starts no sooner than this many real seconds after the previous one began.
MIN_DAY_REAL_S = 30.0

register(
    {
        "demo.broker": ("内置消息代理已启动：{bootstrap}", "embedded broker started: {bootstrap}"),
        "demo.db": ("数据库：{url}", "database: {url}"),
        "demo.wall": ("监控墙：http://localhost:{port}", "wall: http://localhost:{port}"),
        "demo.clock": (
            "演示时钟：从现在开始，{speed:g} 倍速（模拟 1 小时 ≈ 实际 {minutes:.0f} 分钟）",
            "demo clock: starts now, {speed:g}x (one simulated hour ≈ {minutes:.0f} real minutes)",
        ),
        "demo.no_video": (
            "速度高于 {max:g} 倍时不播放摄像头视频",
            "camera video is not played above {max:g}x",
        ),
        "demo.day": (
            "第 {day} 天：{n} 个项目（{first}…{last}），首个开标 {opening}",
            "day {day}: {n} projects ({first} … {last}), first opening {opening}",
        ),
        "demo.status": (
            "演示时间 {clock}：第 {day} 天，已发送 {sent} 个事件；已记录 {recorded} 个，告警 {alerts} 条；摄像头播放中 {cameras} 路",
            "demo time {clock}: day {day}, sent {sent} events; recorded {recorded}, alerts {alerts}; {cameras} cameras playing",
        ),
        "demo.stopping": ("正在停止……", "stopping ..."),
        "demo.stopped": ("演示已停止。告警保存在 {url}", "demo stopped. Alerts are kept in {url}"),
    }
)


register(
    {
        "help.demo.projects": ("模拟项目数（默认 12）", "simulated projects (default 12)"),
        "help.demo.seed": ("模拟器随机种子（默认 7）", "simulator seed (default 7)"),
        "help.demo.speed": (
            "每实际秒对应的演示秒数（默认 6：每个项目在线 30-45 分钟）",
            "demo seconds per real second (default 6: a project stays live for 30-45 minutes)",
        ),
        "help.demo.port": ("监控墙端口（默认 8501）", "wall port (default 8501)"),
        "help.demo.no_wall": ("不启动监控墙", "do not start the wall"),
        "help.demo.headless": ("不为监控墙打开浏览器", "do not open a browser for the wall"),
        "help.demo.duration": (
            "S 秒后停止（默认：一天接一天地运行，直到 Ctrl-C）",
            "stop after S seconds (default: run day after day until Ctrl-C)",
        ),
        "epilog.demo": (
            "示例：\n"
            "  witness demo                          # 打开 http://localhost:8501，以 officer 登录\n"
            "  witness demo --speed 1                # 按实际时间运行一天\n"
            "  witness demo --no-wall --duration 60  # 无界面的冒烟运行\n"
            "  witness demo --into postgresql://host/witness_demo --yes  # 使用自己的数据库",
            "examples:\n"
            "  witness demo                          # open http://localhost:8501 and log in as officer\n"
            "  witness demo --speed 1                # the day at real time\n"
            "  witness demo --no-wall --duration 60  # headless smoke run\n"
            "  witness demo --into postgresql://host/witness_demo --yes  # a database of your own",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--projects", type=positive_whole, default=12, help=t("help.demo.projects"))
    p.add_argument("--seed", type=int, default=7, help=t("help.demo.seed"))
    p.add_argument("--speed", type=positive_number, default=6.0, help=t("help.demo.speed"))
    p.add_argument("--port", type=int, default=8501, help=t("help.demo.port"))
    p.add_argument("--no-wall", action="store_true", help=t("help.demo.no_wall"))
    p.add_argument("--headless", action="store_true", help=t("help.demo.headless"))
    demo_setup.add_arguments(p)
    p.add_argument(
        "--duration", type=positive_number, default=None, metavar="S", help=t("help.demo.duration")
    )
    p.epilog = t("epilog.demo")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from streams.broker import EmbeddedBroker
    from streams.bus import ensure_topics
    from streams.topics import Topics
    from witness.commands.run import start_services
    from witness.store import Store
    from witness.timebase import ENV, Clock

    settings = load_settings()
    target = demo_setup.choose_target(args)  # refuses a database that is not the demo's
    broker = None
    if settings.kafka_bootstrap:
        bootstrap = settings.kafka_bootstrap
    else:
        broker = EmbeddedBroker(log_path=Path("var") / "broker.log")
        Path("var").mkdir(exist_ok=True)
        broker.start()
        bootstrap = broker.bootstrap
        print(t("demo.broker", bootstrap=bootstrap), file=sys.stderr)
    demo_setup.wipe(target)
    settings = replace(settings, database_url=target.url)
    print(t("demo.db", url=settings.database_url), file=sys.stderr)

    # The demo's clock starts now; every part of the demo reads it (witness/timebase.py).
    clock = Clock(datetime.now(UTC), args.speed)
    os.environ[ENV] = clock.spec()
    print(t("demo.clock", speed=args.speed, minutes=60 / args.speed), file=sys.stderr)

    stop = threading.Event()
    stop_on_signals(stop)
    store = Store(settings.database_url)
    topics = Topics(settings.topic_prefix)
    ensure_topics(bootstrap, topics, settings.partitions)
    days = DayFeeder(args, bootstrap, topics, clock, store, stop)
    days.plan_first()
    services = start_services(bootstrap, settings, role="all", stop=stop)

    wall = None
    if not args.no_wall:
        env = dict(os.environ, WITNESS_DATABASE_URL=settings.database_url)
        cmd = [sys.executable, "-m", "witness.cli", "wall", "--port", str(args.port)]
        if args.headless:
            cmd.append("--headless")
        wall = subprocess.Popen(cmd, env=env, start_new_session=True)
        print(t("demo.wall", port=args.port), file=sys.stderr)

    feeder = threading.Thread(target=days.run, name="simulator", daemon=True)
    feeder.start()
    started = time.monotonic()
    last_status = 0.0
    try:
        while not stop.is_set():
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            if services.failed or not feeder.is_alive():
                break
            if time.monotonic() - last_status >= 10:
                last_status = time.monotonic()
                print(days.status(), file=sys.stderr)
            stop.wait(0.5)
    finally:
        print(t("demo.stopping"), file=sys.stderr)
        stop.set()
        feeder.join(timeout=10)
        days.close()
        services.wait()
        if wall is not None and wall.poll() is None:
            wall.terminate()
            try:
                wall.wait(timeout=10)
            except subprocess.TimeoutExpired:
                wall.kill()
        if broker is not None:
            broker.stop()
    print(days.status(), file=sys.stderr)
    print(t("demo.stopped", url=settings.database_url), file=sys.stderr)
    return 1 if services.failed or days.error else 0


class DayFeeder:
    """Plays demo days one after another: history at once, the day on the clock, cameras."""

    def __init__(self, args, bootstrap, topics, clock, store, stop: threading.Event) -> None:
        from streams.bus import Producer
        from streams.camera_schedule import CameraSchedule

        self.args = args
        self.clock = clock
        self.store = store
        self.stop = stop
        self.topics = topics
        self.producer = Producer(bootstrap, topics)
        self.camera_producer = Producer(bootstrap, topics)
        self.video = args.speed <= MAX_VIDEO_SPEED
        self.cameras = CameraSchedule(
            self.camera_producer, clock, fps=1 / 10, stop=stop, lead_real_s=30.0
        )
        self.sent = 0
        self.day = None
        self.error: BaseException | None = None
        self.officer_ours = False  # the demo made the officer account: it assigns each day

    def _accounts(self, project_ids: list[str]) -> None:
        """Accounts on the first day; later days give the demo's officer their four."""
        from witness.store import accounts

        if self.day is None or self.day.number == 0:
            password = demo_setup.demo_password()
            created, kept = demo_setup.make_accounts(self.store.engine, project_ids, password)
            self.officer_ours = "officer" in created
            for line in demo_setup.announce(created, kept, password):
                print(line, file=sys.stderr)
        elif self.officer_ours:
            for pid in project_ids[:4]:
                accounts.assign(self.store.engine, "officer", pid)

    def plan_first(self) -> None:
        from witness.simulator.live import DemoDay

        self.day = DemoDay(0, self.clock.now(), projects=self.args.projects, seed=self.args.seed)
        self._accounts(self.day.project_ids)
        if not self.video:
            print(t("demo.no_video", max=MAX_VIDEO_SPEED), file=sys.stderr)

    def run(self) -> None:
        from witness.simulator.live import DemoDay

        try:
            while not self.stop.is_set():
                began = time.monotonic()
                self._play(self.day)
                if self.stop.is_set():
                    break
                wait_real = MIN_DAY_REAL_S - (time.monotonic() - began)
                if wait_real > 0 and self.stop.wait(wait_real):
                    break
                start = max(self.clock.now(), self.day.end() + timedelta(seconds=DAY_GAP_S))
                self.day = DemoDay(
                    self.day.number + 1, start, projects=self.args.projects, seed=self.args.seed
                )
                self._accounts(self.day.project_ids)
        except BaseException as exc:  # noqa: BLE001  (reported by run(), never silent)
            self.error = exc
            raise

    def _play(self, day) -> None:
        from witness.events import parse_event
        from witness.simulator.footage import prune
        from witness.simulator.live import bad_lines

        print(
            t(
                "demo.day",
                day=day.number + 1,
                n=len(day.project_ids),
                first=day.project_ids[0],
                last=day.project_ids[-1],
                opening=_local(day.start + timedelta(seconds=120)),
            ),
            file=sys.stderr,
        )
        if self.video:
            prune(FOOTAGE, keep_bytes=600 * 2**20)
            self.cameras.add([_stretch(c) for c in day.cameras()])
        history = True
        for raw in day.events():
            if self.stop.is_set():
                return
            ts = datetime.fromisoformat(raw["ts"])
            if (
                history and ts >= day.start
            ):  # the past is out: the platform's bad lines, then the day
                history = False
                self.producer.flush()
                for line in bad_lines(day):
                    self.producer.send_raw(self.topics.events, b"*", line)
            wait = self.clock.real_seconds((ts - self.clock.now()).total_seconds())
            if wait > 0 and self.stop.wait(wait):
                return
            self.producer.publish(parse_event(raw))
            self.sent += 1
            if self.sent % 50 == 0 or not history:
                self.producer.flush()
        self.producer.flush()

    def status(self) -> str:
        return t(
            "demo.status",
            clock=_local(self.clock.now()),
            day=(self.day.number + 1) if self.day else 0,
            sent=self.sent,
            recorded=self.store.count_events(),
            alerts=len(self.store.alerts()),
            cameras=self.cameras.playing,
        )

    def close(self) -> None:
        self.cameras.join(timeout=10)
        for producer in (self.producer, self.camera_producer):
            try:
                producer.flush()
            finally:
                producer.close()


def _stretch(c):
    from streams.camera_schedule import Stretch

    return Stretch(c.room_id, c.camera_id, c.start, c.seconds, lambda c=c: c.render(FOOTAGE, 10))


def _local(ts: datetime) -> str:
    return ts.astimezone().strftime("%H:%M:%S")
