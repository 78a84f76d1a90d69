"""`witness run`: detector workers and the recorder against the configured broker and DB."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import threading

from witness.commands.common import (
    add_broker_argument,
    bootstrap_or_exit,
    load_settings,
    stop_on_signals,
)
from witness.i18n import register, t
from witness.logs import configure as configure_logging

HELP = (
    "启动检测器工作进程与记录器（连接已配置的 Kafka 与数据库）",
    "run detector workers and the recorder against the configured Kafka and database",
)

register(
    {
        "run.started": (
            "已启动（角色 {role}）：代理 {bootstrap}，数据库 {db}。按 Ctrl-C 停止。",
            "running (role {role}): broker {bootstrap}, database {db}. Ctrl-C to stop.",
        ),
        "run.stopped": (
            "已停止：检测 {events} 个事件，告警 {alerts} 条，死信 {dead} 条；记录事件 {recorded} 个",
            "stopped: {events} events checked, {alerts} alerts, {dead} dead letters; {recorded} events recorded",
        ),
    }
)


register(
    {
        "help.run.role": (
            "all（默认）：记录器、项目内检测器和跨项目检测器；可在同一消费组中运行多个 "
            "'detectors' 进程横向扩展；'cross' 运行跨项目规则（一个实例工作，其余待命）",
            "all (default): recorder, per-project detectors and cross-project detectors; "
            "scale out with several 'detectors' processes in one group; 'cross' runs the "
            "cross-project rules (one instance is active, others stand by)",
        ),
        "help.run.threads": (
            "与 --role all 一起用：两个循环作为同一进程的两个线程运行（默认：两个进程，占两个核）",
            "with --role all: run both loops as threads of one process (default: two processes, two cores)",
        ),
        "help.run.verbose": ("输出进度日志", "log progress"),
        "epilog.run": (
            "示例：\n"
            "  WITNESS_KAFKA_BOOTSTRAP=kafka:9092 WITNESS_DATABASE_URL=postgresql://u@db/witness witness run\n"
            "  witness run --role detectors      # 消费组中多个工作进程之一\n"
            "  witness run --role cross          # 跨项目运行 REL-RING、BID-LOSER、REJ-RATE、DOC\n"
            "  witness run --role recorder       # 把事件、告警和死信写入存储库\n"
            "\n"
            "检测器工作进程把状态快照保存在数据库中（每 WITNESS_SNAPSHOT_EVENTS 个事件或\n"
            "每 WITNESS_SNAPSHOT_SECONDS 秒保存一次），因此重启或分区再均衡后只需读取快照之后的数据。",
            "examples:\n"
            "  WITNESS_KAFKA_BOOTSTRAP=kafka:9092 WITNESS_DATABASE_URL=postgresql://u@db/witness witness run\n"
            "  witness run --role detectors      # one of several workers in the consumer group\n"
            "  witness run --role cross          # REL-RING, BID-LOSER, REJ-RATE, DOC across projects\n"
            "  witness run --role recorder       # writes events, alerts and dead letters to the store\n"
            "\n"
            "Detector workers keep snapshots of their state in the database (every\n"
            "WITNESS_SNAPSHOT_EVENTS events or WITNESS_SNAPSHOT_SECONDS seconds), so a restart or\n"
            "a rebalance reads only what came after the snapshot.",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--role",
        choices=["all", "detectors", "cross", "recorder"],
        default="all",
        help=t("help.run.role"),
    )
    add_broker_argument(p)
    p.add_argument("--threads", action="store_true", help=t("help.run.threads"))
    p.add_argument("-v", "--verbose", action="store_true", help=t("help.run.verbose"))
    p.epilog = t("epilog.run")


def run(args: argparse.Namespace) -> int:
    configure_logging(verbose=args.verbose)
    settings = load_settings()
    bootstrap = bootstrap_or_exit(args, settings)
    stop = threading.Event()
    stop_on_signals(stop)
    if args.role == "all" and not args.threads:
        open_store(settings.database_url).close()  # migrated once, before the children race
        print(
            t("run.started", role=args.role, bootstrap=bootstrap, db=settings.database_url),
            file=sys.stderr,
        )
        return run_children(bootstrap, stop, verbose=args.verbose)
    services = start_services(bootstrap, settings, role=args.role, stop=stop)
    print(
        t("run.started", role=args.role, bootstrap=bootstrap, db=settings.database_url),
        file=sys.stderr,
    )
    services.wait()
    print(services.summary(), file=sys.stderr)
    return 1 if services.failed else 0


def spawn_role(role: str, bootstrap: str, *, verbose: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "witness.cli", "run", "--role", role, "--bootstrap", bootstrap]
    if verbose:
        cmd.append("-v")
    # Children end when `witness run` ends, even by kill -9.
    from streams.broker import die_with_parent

    return subprocess.Popen(cmd, preexec_fn=die_with_parent if sys.platform == "linux" else None)


def run_children(bootstrap: str, stop: threading.Event, *, verbose: bool = False) -> int:
    """Recorder, detector worker and cross-project worker as processes: Python loops get
    a core each (the cross-project one is light: four rules over a few event types)."""
    children = [
        spawn_role(role, bootstrap, verbose=verbose) for role in ("recorder", "detectors", "cross")
    ]
    failed = False
    while not stop.is_set():
        if any(c.poll() is not None for c in children):
            failed = True
            break
        stop.wait(0.5)
    for c in children:
        if c.poll() is None:
            c.terminate()
    for c in children:
        try:
            c.wait(timeout=60)
        except subprocess.TimeoutExpired:
            c.kill()
            c.wait()
    return 1 if failed or any(c.returncode not in (0, -15) for c in children) else 0


class Services:
    """Detector worker and/or recorder loops on threads sharing one stop flag."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.threads: list[threading.Thread] = []
        self.worker = None
        self.cross = None
        self.recorder = None
        self.failed: list[BaseException] = []

    def _spawn(self, name: str, loop) -> None:
        def target() -> None:
            try:
                loop(until=self.stop.is_set)
            except BaseException as exc:  # noqa: BLE001 — reported and stops the others
                logging.getLogger(__name__).exception("%s failed", name)
                self.failed.append(exc)
                self.stop.set()

        th = threading.Thread(target=target, name=name, daemon=True)
        th.start()
        self.threads.append(th)

    def wait(self) -> None:
        while any(th.is_alive() for th in self.threads):
            self.stop.wait(0.5)
            if self.stop.is_set():
                for th in self.threads:
                    th.join(timeout=30)
                break

    def summary(self) -> str:
        r = self.recorder
        workers = [w for w in (self.worker, self.cross) if w is not None]
        return t(
            "run.stopped",
            events=max((w.stats.events for w in workers), default=0),
            alerts=sum(w.stats.alerts for w in workers),
            dead=sum(w.stats.dead_letters for w in workers),
            recorded=r.stats.events if r else 0,
        )


def open_store(url: str, attempts: int = 5):
    """The store, migrated; a process migrating at the same moment may win the race, so a
    failed migration is tried again after it."""
    import time

    from witness.store import Store

    for attempt in range(attempts):
        try:
            return Store(url)
        except Exception:  # noqa: BLE001 - e.g. a table the other process just created
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def start_services(bootstrap: str, settings, *, role: str, stop: threading.Event) -> Services:
    from streams.cross_worker import CrossProjectWorker
    from streams.recorder import Recorder
    from streams.topics import Topics
    from streams.worker import DetectorWorker
    from witness.store import DetectorStateStore

    topics = Topics(settings.topic_prefix)
    services = Services(stop)
    store = open_store(settings.database_url)
    state = DetectorStateStore(store.engine)
    if role in ("all", "recorder"):
        services.recorder = Recorder(bootstrap, store, settings, topics)
        services._spawn("recorder", services.recorder.run)
    if role in ("all", "detectors"):
        services.worker = DetectorWorker(
            bootstrap,
            settings,
            topics,
            lag_sink=store.record_lag,
            state_store=state,
            history=store.events,
        )
        services._spawn("detectors", services.worker.run)
    if role in ("all", "cross"):
        services.cross = CrossProjectWorker(bootstrap, settings, topics, state_store=state)
        services._spawn("cross", services.cross.run)
    return services
