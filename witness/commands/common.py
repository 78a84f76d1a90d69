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
    }
)


def add_broker_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bootstrap", help="Kafka bootstrap host:port (default: $WITNESS_KAFKA_BOOTSTRAP)"
    )


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
