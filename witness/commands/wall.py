"""`witness wall`: start the Streamlit wall (it reads the store, never Kafka)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from witness.i18n import register, t

HELP = (
    "启动监控墙（Streamlit）：见证人员一屏多看、审计回放、运维监控；账号见 witness user",
    "start the Streamlit wall (officers' tiles and alerts, auditors' archive, ops page); accounts: witness user",
)

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


register(
    {
        "help.wall.port": ("HTTP 端口（默认 8501）", "HTTP port (default 8501)"),
        "help.wall.address": ("绑定的地址（默认：全部）", "address to bind (default: all)"),
        "help.wall.headless": ("不打开浏览器", "do not open a browser"),
        "epilog.wall": (
            "示例：\n"
            "  witness user add admin --role admin          # 先创建一个账号\n"
            "  witness wall --port 8501\n"
            "  WITNESS_DATABASE_URL=postgresql://... witness wall --headless",
            "examples:\n"
            "  witness user add admin --role admin          # first, create an account\n"
            "  witness wall --port 8501\n"
            "  WITNESS_DATABASE_URL=postgresql://... witness wall --headless",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501, help=t("help.wall.port"))
    p.add_argument("--address", default=None, help=t("help.wall.address"))
    p.add_argument("--headless", action="store_true", help=t("help.wall.headless"))
    p.epilog = t("epilog.wall")


def command(args: argparse.Namespace) -> list[str]:
    """The `streamlit run` command line (separate so it can be tested without running)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(args.port)]
    if args.address:
        cmd += ["--server.address", args.address]
    if args.headless:
        cmd += ["--server.headless", "true"]
    cmd += ["--client.toolbarMode", "minimal"]  # no English menu (style.py says why)
    cmd += ["--browser.gatherUsageStats", "false"]
    return cmd


def run(args: argparse.Namespace) -> int:
    from witness.commands.common import load_settings

    load_settings()  # a bad setting is one line here, not a traceback in every browser
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(APP.parents[1]), *filter(None, [env.get("PYTHONPATH")])]
    )
    cmd = command(args)
    # Become streamlit (no wrapper process), so signals reach the server directly.
    os.execve(cmd[0], cmd, env)
    return 0  # not reached
