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


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--role",
        choices=["all", "detectors", "recorder"],
        default="all",
        help="all (default): both in one process; scale out with several 'detectors' processes in one group",
    )
    add_broker_argument(p)
    p.add_argument(
        "--threads",
        action="store_true",
        help="with --role all: run both loops as threads of one process (default: two processes, two cores)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    p.epilog = (
        "examples:\n"
        "  WITNESS_KAFKA_BOOTSTRAP=kafka:9092 WITNESS_DATABASE_URL=postgresql://u@db/witness witness run\n"
        "  witness run --role detectors      # one of several workers in the consumer group\n"
        "  witness run --role recorder       # writes events, alerts and dead letters to the store"
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = load_settings()
    bootstrap = bootstrap_or_exit(args, settings)
    stop = threading.Event()
    stop_on_signals(stop)
    if args.role == "all" and not args.threads:
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
    """Recorder and detector worker as two processes: Python loops get a core each."""
    children = [spawn_role(role, bootstrap, verbose=verbose) for role in ("recorder", "detectors")]
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
        w, r = self.worker, self.recorder
        return t(
            "run.stopped",
            events=w.stats.events if w else 0,
            alerts=w.stats.alerts if w else 0,
            dead=w.stats.dead_letters if w else 0,
            recorded=r.stats.events if r else 0,
        )


def start_services(bootstrap: str, settings, *, role: str, stop: threading.Event) -> Services:
    from streams.recorder import Recorder
    from streams.topics import Topics
    from streams.worker import DetectorWorker
    from witness.store import Store

    topics = Topics(settings.topic_prefix)
    services = Services(stop)
    store = Store(settings.database_url) if role in ("all", "recorder") else None
    if role in ("all", "recorder"):
        services.recorder = Recorder(bootstrap, store, settings, topics)
        services._spawn("recorder", services.recorder.run)
    if role in ("all", "detectors"):
        lag_sink = store.record_lag if store is not None else None
        services.worker = DetectorWorker(bootstrap, settings, topics, lag_sink=lag_sink)
        services._spawn("detectors", services.worker.run)
    return services
