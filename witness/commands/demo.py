"""`witness demo`: the whole system on embedded defaults, in one command.

Embedded broker (unless WITNESS_KAFKA_BOOTSTRAP is set) + its own SQLite file
(var/demo.db; another database only with --into URL --yes, see demo_setup.py) + detector
worker + recorder + a simulated day streamed in accelerated real time + the wall. Ctrl-C
stops everything cleanly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from witness.commands import demo_setup
from witness.commands.common import load_settings, stop_on_signals
from witness.i18n import register, t

HELP = (
    "一条命令演示全部：内置消息代理 + SQLite + 模拟交易日 + 检测器 + 记录器 + 监控墙",
    "the whole system in one command: embedded broker + SQLite + a simulated day + detectors + recorder + wall",
)

register(
    {
        "demo.broker": ("内置消息代理已启动：{bootstrap}", "embedded broker started: {bootstrap}"),
        "demo.db": ("数据库：{url}", "database: {url}"),
        "demo.wall": ("监控墙：http://localhost:{port}", "wall: http://localhost:{port}"),
        "demo.status": (
            "已发送 {sent}/{total} 个事件；已记录 {recorded} 个，告警 {alerts} 条",
            "sent {sent}/{total} events; recorded {recorded}, alerts {alerts}",
        ),
        "demo.stopping": ("正在停止……", "stopping ..."),
        "demo.stopped": ("演示已停止。告警保存在 {url}", "demo stopped. Alerts are kept in {url}"),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--projects", type=int, default=12, help="simulated projects (default 12)")
    p.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    p.add_argument(
        "--speed", type=float, default=600.0, help="simulated seconds per real second (default 600)"
    )
    p.add_argument(
        "--max-gap", type=float, default=1.0, help="longest real pause between events, seconds"
    )
    p.add_argument("--port", type=int, default=8501, help="wall port (default 8501)")
    p.add_argument("--no-wall", action="store_true", help="do not start the wall")
    p.add_argument("--headless", action="store_true", help="do not open a browser for the wall")
    demo_setup.add_arguments(p)
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop after S seconds (default: Ctrl-C)",
    )
    p.epilog = (
        "examples:\n"
        "  witness demo                         # open http://localhost:8501 and log in as officer\n"
        "  witness demo --projects 30 --speed 2000\n"
        "  witness demo --no-wall --duration 60 # headless smoke run\n"
        "  witness demo --into postgresql://host/witness_demo --yes  # a database of your own"
    )


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from streams.broker import EmbeddedBroker
    from streams.bus import Producer, ensure_topics
    from streams.topics import Topics
    from witness.commands.run import start_services
    from witness.events import parse_event
    from witness.simulator import Simulation, paced
    from witness.store import Store

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

    stop = threading.Event()
    stop_on_signals(stop)
    store = Store(settings.database_url)
    sim = Simulation(args.projects, args.seed)
    events = list(sim.events())
    project_ids = sorted({e["project_id"] for e in events if e["project_id"] != "*"})
    password = demo_setup.demo_password()
    created, kept = demo_setup.make_accounts(store.engine, project_ids, password)
    for line in demo_setup.announce(created, kept, password):
        print(line, file=sys.stderr)

    topics = Topics(settings.topic_prefix)
    ensure_topics(bootstrap, topics, settings.partitions)
    services = start_services(bootstrap, settings, role="all", stop=stop)

    wall = None
    if not args.no_wall:
        env = dict(os.environ, WITNESS_DATABASE_URL=settings.database_url)
        cmd = [sys.executable, "-m", "witness.cli", "wall", "--port", str(args.port)]
        if args.headless:
            cmd.append("--headless")
        wall = subprocess.Popen(cmd, env=env, start_new_session=True)
        print(t("demo.wall", port=args.port), file=sys.stderr)

    sent = 0

    def stream() -> None:
        nonlocal sent
        producer = Producer(bootstrap, topics)
        try:
            for raw in paced(
                events, speed=args.speed, max_gap=args.max_gap, sleep=lambda s: stop.wait(s)
            ):
                if stop.is_set():
                    break
                producer.publish(parse_event(raw))
                sent += 1
                if sent % 50 == 0:
                    producer.flush()
            producer.flush()
        finally:
            producer.close()

    feeder = threading.Thread(target=stream, name="simulator", daemon=True)
    feeder.start()
    started = time.monotonic()
    last_status = 0.0
    try:
        while not stop.is_set():
            if args.duration is not None and time.monotonic() - started >= args.duration:
                break
            if services.failed:
                break
            if time.monotonic() - last_status >= 10:
                last_status = time.monotonic()
                print(
                    t(
                        "demo.status",
                        sent=sent,
                        total=len(events),
                        recorded=store.count_events(),
                        alerts=len(store.alerts()),
                    ),
                    file=sys.stderr,
                )
            stop.wait(0.5)
    finally:
        print(t("demo.stopping"), file=sys.stderr)
        stop.set()
        feeder.join(timeout=10)
        services.wait()
        if wall is not None and wall.poll() is None:
            wall.terminate()
            try:
                wall.wait(timeout=10)
            except subprocess.TimeoutExpired:
                wall.kill()
        if broker is not None:
            broker.stop()
    print(
        t(
            "demo.status",
            sent=sent,
            total=len(events),
            recorded=store.count_events(),
            alerts=len(store.alerts()),
        ),
        file=sys.stderr,
    )
    print(t("demo.stopped", url=settings.database_url), file=sys.stderr)
    return 1 if services.failed else 0
