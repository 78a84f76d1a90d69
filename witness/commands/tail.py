"""`witness tail`: follow alerts (or dead letters) for ops; filters; table or JSON lines."""

from __future__ import annotations

import argparse
import sys

from witness.commands.common import (
    add_broker_argument,
    bootstrap_or_exit,
    existing_store,
    load_settings,
    positive_number,
)
from witness.i18n import current_locale, register, t

HELP = (
    "跟踪告警流（或死信），按严重程度/项目/规则过滤，表格或 JSON 行输出；--lag 查看消费积压",
    "follow the alert stream (or dead letters); filter by severity/project/rule; table or JSON lines; --lag shows consumer lag",
)

register(
    {
        "tail.following": ("正在跟踪 {topic}（Ctrl-C 停止）", "following {topic} (Ctrl-C to stop)"),
        "tail.lag_header": ("消费组 {group}：", "group {group}:"),
        "tail.no_store": (
            "无法读取数据库（{error}）：未开标判断只依据告警自身标记，死信内容一律不显示",
            "cannot read the database ({error}): sealing follows each alert's own flag, and no "
            "dead letter's content is shown",
        ),
    }
)


class OpenedProjects:
    """Which projects have opened their bids, read from the store every few seconds.

    None when no store is reachable: then each alert's own sealed flag (set by the engine,
    which saw the openings) decides, and dead letters of any project stay sealed.
    """

    def __init__(self, url: str, every_s: float = 5.0) -> None:
        self.url, self.every_s = url, every_s
        self._store = None
        self._value: set[str] | None = None
        self._at = -1e9
        self._warned = False

    def __call__(self) -> set[str] | None:
        import time

        if time.monotonic() - self._at < self.every_s:
            return self._value
        self._at = time.monotonic()
        try:
            if self._store is None:
                self._store = self._open()
            self._value = self._store.opened_projects()
        except Exception as exc:  # noqa: BLE001  (any failure: fall back to the flags)
            self._value = None
            if not self._warned:
                print(t("tail.no_store", error=exc.__class__.__name__), file=sys.stderr)
                self._warned = True
        return self._value

    def _open(self):
        return existing_store(self.url, migrate=False)  # never a new empty database


def _csv(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _severities(value: str) -> frozenset[str]:
    """`red` or `red,orange`: a typo (`--severity purple`) filtered out every alert and
    left the officer watching an empty stream."""
    from typing import get_args

    from witness.rules import Severity

    known = get_args(Severity)
    given = _csv(value)
    unknown = sorted(given - set(known))
    if unknown:
        raise argparse.ArgumentTypeError(
            t("tail.bad_severity", given=", ".join(unknown), known=", ".join(known))
        )
    return given


def _rules(value: str) -> frozenset[str]:
    """Rule ids or their families (`REL`, `REL-40`, `REL-40-1`); a typo (`RLE`) would
    filter out every alert, as an unknown severity did."""
    from witness.rules import CATALOGUE

    given = _csv(value)
    unknown = sorted(
        r for r in given if not any(i == r or i.startswith(r + "-") for i in CATALOGUE)
    )
    if unknown:
        families = sorted({i.split("-")[0] for i in CATALOGUE})
        raise argparse.ArgumentTypeError(
            t("tail.bad_rule", given=", ".join(unknown), families=", ".join(families))
        )
    return given


register(
    {
        "help.tail.severity": ("告警级别，例如 red 或 red,orange", "e.g. red or red,orange"),
        "tail.bad_rule": (
            "没有规则 {given}：请给出规则编号或其前缀，例如 REL 或 REL-40-1（前缀：{families}）",
            "no rule {given}: give a rule id or its prefix, e.g. REL or REL-40-1 "
            "(prefixes: {families})",
        ),
        "tail.bad_severity": (
            "没有告警级别 {given}（可选：{known}）",
            "no alert severity {given} (choose from {known})",
        ),
        "help.tail.project": ("项目编号，逗号分隔", "project ids, comma separated"),
        "help.tail.rule": (
            "规则编号或规则族，例如 REL-40-6 或 EXP",
            "rule ids or families, e.g. REL-40-6 or EXP",
        ),
        "help.tail.format": ("table（默认）或 json（JSON 行）", "table (default) or json lines"),
        "help.tail.from_beginning": (
            "从最早的记录开始，而不是从现在开始",
            "start at the oldest record instead of now",
        ),
        "help.tail.deadletter": (
            "跟踪死信主题，而不是告警",
            "follow the dead-letter topic instead of alerts",
        ),
        "help.tail.lag": (
            "输出 Witness 各消费组的消费积压后退出",
            "print consumer lag of the Witness groups and exit",
        ),
        "help.tail.idle_exit": ("连续 S 秒没有记录时退出", "exit after S seconds without records"),
        "epilog.tail": (
            "示例：\n"
            "  witness tail --severity red\n"
            "  witness tail --rule REL --project JY-2026-0012 --format json\n"
            "  witness tail --deadletter --from-beginning\n"
            "  witness tail --lag",
            "examples:\n"
            "  witness tail --severity red\n"
            "  witness tail --rule REL --project JY-2026-0012 --format json\n"
            "  witness tail --deadletter --from-beginning\n"
            "  witness tail --lag",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--severity", type=_severities, default=frozenset(), help=t("help.tail.severity")
    )
    p.add_argument("--project", type=_csv, default=frozenset(), help=t("help.tail.project"))
    p.add_argument("--rule", type=_rules, default=frozenset(), help=t("help.tail.rule"))
    p.add_argument(
        "--format", choices=["table", "json"], default="table", help=t("help.tail.format")
    )
    p.add_argument("--from-beginning", action="store_true", help=t("help.tail.from_beginning"))
    p.add_argument("--deadletter", action="store_true", help=t("help.tail.deadletter"))
    p.add_argument("--lag", action="store_true", help=t("help.tail.lag"))
    p.add_argument(
        "--idle-exit",
        type=positive_number,
        default=None,
        metavar="S",
        help=t("help.tail.idle_exit"),
    )
    add_broker_argument(p)
    p.epilog = t("epilog.tail")


def run(args: argparse.Namespace) -> int:
    from streams.cross_worker import CROSS_GROUP
    from streams.lag import LAG_NOTE
    from streams.recorder import RECORDER_GROUP
    from streams.tail import (
        AlertFilter,
        alert_line,
        dead_letter_line,
        follow,
        group_lag,
        parse_alert_record,
    )
    from streams.topics import Topics
    from streams.worker import DETECTOR_GROUP

    settings = load_settings()
    bootstrap = bootstrap_or_exit(args, settings)
    topics = Topics(settings.topic_prefix)
    if args.lag:
        groups = {
            topics.prefix + DETECTOR_GROUP: [topics.events, topics.frames, topics.sessions],
            topics.prefix + CROSS_GROUP: [topics.events],
            topics.prefix + RECORDER_GROUP: [
                topics.events,
                topics.frames,
                topics.alerts,
                topics.deadletter,
            ],
        }
        for group, group_topics in groups.items():
            print(t("tail.lag_header", group=group))
            for topic, part, committed, end in group_lag(bootstrap, group, group_topics):
                lag = end - (committed or 0)
                print(f"  {topic:<28} #{part:<3} committed={committed} end={end} lag={max(0, lag)}")
        print(LAG_NOTE[current_locale()])
        return 0
    topic = topics.deadletter if args.deadletter else topics.alerts
    print(t("tail.following", topic=topic), file=sys.stderr)
    keep = AlertFilter(args.severity, args.project, args.rule)
    opened = OpenedProjects(settings.database_url)
    try:
        for rec in follow(
            bootstrap, topic, from_beginning=args.from_beginning, idle_exit_s=args.idle_exit
        ):
            if args.deadletter:
                print(dead_letter_line(rec, args.format, opened()), flush=True)
                continue
            alert = parse_alert_record(rec)
            if alert is not None and keep(alert):
                print(alert_line(alert, args.format, opened()), flush=True)
    except BrokenPipeError:
        return 0
    return 0
