"""Small helpers shared by commands: settings, broker address, clean shutdown."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from witness.config import Settings
from witness.i18n import register, t

register(
    {
        "common.no_broker": (
            "未配置消息代理：请设置 WITNESS_KAFKA_BOOTSTRAP=主机:端口，或使用 --bootstrap；试用可运行 witness demo（内置代理）",
            "no broker configured: set WITNESS_KAFKA_BOOTSTRAP=host:port or pass --bootstrap; to try Witness, run witness demo (embedded broker)",
        ),
        "common.config_error": ("配置错误：{error}", "configuration error: {error}"),
        "common.no_database": (
            "数据库文件 {path} 不存在",
            "no database file {path}",
        ),
        "common.not_positive": ("应为大于 0 的数：{value}", "must be a number above 0: {value}"),
        "common.not_count": (
            "应为 0 或更大的整数：{value}",
            "must be a whole number, 0 or more: {value}",
        ),
        "common.not_seconds": (
            "应为 0 或更大的秒数：{value}",
            "must be 0 or more seconds: {value}",
        ),
        "common.not_whole": (
            "应为大于 0 的整数：{value}",
            "must be a whole number above 0: {value}",
        ),
        "common.not_share": (
            "应为 0 到 1 之间的比例，例如 0.25：{value}",
            "must be a share between 0 and 1, e.g. 0.25: {value}",
        ),
        "help.common.bootstrap": (
            "Kafka 引导服务器 主机:端口（默认：$WITNESS_KAFKA_BOOTSTRAP）",
            "Kafka bootstrap host:port (default: $WITNESS_KAFKA_BOOTSTRAP)",
        ),
        "help.common.out": (
            "把事件作为一行 JSON 追加到此文件，而不发布",
            "append the event as one JSON line to this file instead of publishing",
        ),
        "help.common.ts": (
            "事件时间，带时区偏移的 ISO-8601（默认：当前时间）",
            "event time, ISO-8601 with offset (default: now)",
        ),
    }
)


def positive_number(value: str) -> float:
    """An argparse type: a number above 0 (a speed, a duration in seconds)."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(t("common.not_positive", value=value))
    return number


def positive_whole(value: str) -> int:
    """An argparse type: a whole number above 0 (a count of projects)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(t("common.not_whole", value=value))
    return int(value)


def whole_or_zero(value: str) -> int:
    """An argparse type: a whole number, 0 or more (how many lines to show)."""
    if not value.strip().isdigit():
        raise argparse.ArgumentTypeError(t("common.not_count", value=value))
    return int(value)


def seconds_or_more(value: str) -> float:
    """An argparse type: 0 or more seconds; `inf` means no limit."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # nan too
        raise argparse.ArgumentTypeError(t("common.not_seconds", value=value))
    return number


def share(value: str) -> float:
    """An argparse type: a share of tenders, above 0 and at most 1 (`7` meant nothing)."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(t("common.not_share", value=value))
    return number


def add_broker_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", help=t("help.common.bootstrap"))


def add_event_arguments(p: argparse.ArgumentParser) -> None:
    """--out, --ts and --bootstrap of the commands that turn one file into one event."""
    p.add_argument("--out", help=t("help.common.out"))
    p.add_argument("--ts", help=t("help.common.ts"))
    add_broker_argument(p)


def write_or_publish(args: argparse.Namespace, event, settings: Settings | None = None) -> bool:
    """Append `event` to --out as one JSON line (True), or publish it to the broker (False)."""
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(event.to_json() + "\n")
        return True
    from streams.ingest import publish_events
    from streams.topics import Topics

    settings = settings or load_settings()
    publish_events([event], bootstrap_or_exit(args, settings), Topics(settings.topic_prefix))
    return False


def existing_store(url: str, *, migrate: bool = True):  # -> witness.store.Store
    """The store at `url`, for a command that reads what is in it (replay, record, archive):
    a SQLite file that is not there is a wrong path, said in one line, not a new empty
    database left behind at it."""
    from pathlib import Path

    from witness.errors import InputFileError
    from witness.store import Store

    if url.startswith("sqlite") and "///" in url:
        path = url.split("///", 1)[1]
        if path and path != ":memory:" and not Path(path).is_file():
            raise InputFileError(t("common.no_database", path=path), source="WITNESS_DATABASE_URL")
    return Store(url, migrate=migrate)


def load_settings() -> Settings:
    """Settings from the environment, thresholds validated against every detector's model.

    A bad value raises `ConfigError` (a `WitnessError`); `witness.cli.main` prints it with
    its file and line and exits 2 before anything starts.
    """
    import detectors

    settings = Settings.from_env()
    detectors.all_detectors()  # imports every rule family, registering its thresholds model
    settings.thresholds.validate()
    return settings


def bootstrap_or_exit(args: argparse.Namespace, settings: Settings) -> str:
    bootstrap = getattr(args, "bootstrap", None) or settings.kafka_bootstrap
    if not bootstrap:
        print(t("common.no_broker"), file=sys.stderr)
        raise SystemExit(2)
    return bootstrap


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT/SIGTERM set `stop`, so loops finish their batch and commit before exiting."""

    def handler(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
