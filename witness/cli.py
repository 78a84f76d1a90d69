"""The front door: `witness COMMAND ...`.

Each command lives in its own module under `witness/commands/` with `HELP` (zh-CN, en),
`add_arguments(parser)` and `run(args) -> int`. Only the chosen command's module is
imported, so `witness tail` does not pay for OpenCV or Streamlit.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

from witness.argparse_locale import install as install_argparse_locale
from witness.errors import WitnessError
from witness.help_format import HelpFormatter
from witness.i18n import current_locale, register, t

register(
    {
        "cli.error": ("错误：{error}", "error: {error}"),
        "cli.path_error": ("无法访问 {path}：{reason}", "cannot use {path}: {reason}"),
        "cli.path.FileNotFoundError": ("文件或文件夹不存在", "no such file or folder"),
        "cli.path.PermissionError": ("没有权限", "permission denied"),
        "cli.path.IsADirectoryError": ("这是一个文件夹，不是文件", "it is a folder, not a file"),
        "cli.database": (
            "数据库不可用或拒绝了操作：{reason}（检查 WITNESS_DATABASE_URL，或运行 witness doctor）",
            "the database is unavailable or refused: {reason} (check WITNESS_DATABASE_URL, "
            "or run witness doctor)",
        ),
        "cli.broker": (
            "无法连接消息代理：{reason}（检查 WITNESS_KAFKA_BOOTSTRAP 或 --bootstrap，或运行 witness doctor）",
            "cannot reach the broker: {reason} (check WITNESS_KAFKA_BOOTSTRAP or --bootstrap, "
            "or run witness doctor)",
        ),
        "cli.path.NotADirectoryError": (
            "路径中有一段不是文件夹",
            "a part of the path is not a folder",
        ),
        "cli.disk": (
            "无法写入{path}：{reason}；已写出的文件不完整，腾出空间后重新运行",
            "cannot write{path}: {reason}; what was written is incomplete, run again once there is room",
        ),
        "cli.disk.ENOSPC": ("磁盘已满", "the disk is full"),
        "cli.disk.EDQUOT": ("超出磁盘配额", "the disk quota is used up"),
        "cli.disk.EROFS": ("文件系统只读", "the file system is read-only"),
        "cli.disk.EFBIG": ("文件超过系统允许的大小", "the file is larger than the system allows"),
    }
)

#: name -> module. Keep in the order a new user meets them.
COMMANDS: dict[str, str] = {
    "demo": "witness.commands.demo",
    "run": "witness.commands.run",
    "ingest": "witness.commands.ingest",
    "ingest-doc": "witness.commands.ingest_doc",
    "ingest-boq": "witness.commands.ingest_boq",
    "replay": "witness.commands.replay",
    "simulate": "witness.commands.simulate",
    "evaluate": "witness.commands.evaluate",
    "screen": "witness.commands.screen",
    "tail": "witness.commands.tail",
    "wall": "witness.commands.wall",
    "user": "witness.commands.user",
    "camera": "witness.commands.camera",
    "archive": "witness.commands.archive",
    "record": "witness.commands.record",
    "doctor": "witness.commands.doctor",
}

EPILOG = {
    "zh-CN": """常用示例:
  witness demo                               一条命令启动全部（内置消息代理 + SQLite + 模拟数据 + 监控墙）
  witness ingest events.jsonl                校验并发布事件；错误行报告行号并转入死信主题
  witness run                                启动检测器与记录器（读取 WITNESS_KAFKA_BOOTSTRAP / WITNESS_DATABASE_URL）
  witness replay events.jsonl --out a.jsonl  离线重放，得到与在线一致的告警
  witness tail --severity red                跟踪告警流

环境变量: WITNESS_KAFKA_BOOTSTRAP, WITNESS_DATABASE_URL, WITNESS_LOCALE (zh-CN|en), WITNESS_CONFIG (阈值 TOML)
查看子命令帮助: witness COMMAND --help""",
    "en": """Examples:
  witness demo                               everything in one command (embedded broker + SQLite + simulator + wall)
  witness ingest events.jsonl                validate and publish events; bad lines reported by line number and dead-lettered
  witness run                                detector workers + recorder (reads WITNESS_KAFKA_BOOTSTRAP / WITNESS_DATABASE_URL)
  witness replay events.jsonl --out a.jsonl  run every detector offline; same alerts as live
  witness tail --severity red                follow the alert stream

Environment: WITNESS_KAFKA_BOOTSTRAP, WITNESS_DATABASE_URL, WITNESS_LOCALE (zh-CN|en), WITNESS_CONFIG (thresholds TOML)
Help on one command: witness COMMAND --help""",
}


def _outage(exc: BaseException) -> str | None:
    """One line when `exc` is the database or the broker refusing to work (down,
    unreachable, locked, out of space), else None. Their libraries are only looked at if
    the command already imported them, so `witness tail` does not pay for SQLAlchemy."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return t("cli.database", reason=_first_line(getattr(exc, "orig", None) or exc))
    kafka_errors = sys.modules.get("kafka.errors")
    if kafka_errors is not None and isinstance(
        exc, kafka_errors.KafkaTimeoutError | kafka_errors.KafkaConnectionError
    ):
        return t("cli.broker", reason=_first_line(exc).removeprefix(f"{type(exc).__name__}: "))
    return None


def _first_line(exc: object) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    install_argparse_locale()  # argparse's own words too (usage, options, its errors)
    locale = current_locale()
    parser = argparse.ArgumentParser(
        prog="witness",
        description="Witness 数字见证监控 — digital-witness monitor for public-resource trading centres",
        epilog=EPILOG[locale],
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if selected is not None and name != selected:
            sub.add_parser(name, add_help=False)
            continue
        module = importlib.import_module(module_name)
        zh, en = module.HELP
        p = sub.add_parser(
            name,
            help=en if locale == "en" else zh,
            description=en if locale == "en" else zh,
            formatter_class=HelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


#: Write failures that are the machine's state, not a bug (a full disk in mid-export).
_DISK_ERRNOS = {
    errno.ENOSPC: "ENOSPC",
    errno.EDQUOT: "EDQUOT",
    errno.EROFS: "EROFS",
    errno.EFBIG: "EFBIG",
}


def _disk_full(exc: OSError) -> str | None:
    name = _DISK_ERRNOS.get(exc.errno or 0)
    if name is None:
        return None
    path = f" {exc.filename}" if exc.filename else ""
    return t("cli.disk", path=path, reason=t(f"cli.disk.{name}"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    if selected not in COMMANDS:
        selected = None
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args._module.run(args) or 0)
    except WitnessError as exc:  # the one place a deliberate error becomes an exit code
        print(t("cli.error", error=exc.describe()), file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        # a path the user gave (an --out in a missing folder, a read-only file): their
        # environment, not a bug, so one line instead of a traceback
        reason = t(f"cli.path.{type(exc).__name__}")
        print(t("cli.path_error", path=exc.filename or "", reason=reason), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `witness tail | head` is fine
        sys.stderr.close()
        return 0
    except OSError as exc:
        disk = _disk_full(exc)
        if disk is None and (message := _outage(exc)) is None:
            raise  # a bug: its traceback is what a report needs
        print(disk or message, file=sys.stderr)
        return 2
    except Exception as exc:  # last: every clause above is an Exception too
        message = _outage(exc)
        if message is None:
            raise  # a bug: its traceback is what a report needs
        print(message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
