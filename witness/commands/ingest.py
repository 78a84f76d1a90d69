"""`witness ingest FILE.jsonl|-`: validate and publish events; bad lines dead-lettered."""

from __future__ import annotations

import argparse
import sys

from witness.commands.common import add_broker_argument, bootstrap_or_exit, load_settings
from witness.i18n import register, t

HELP = (
    "校验并发布事件（JSON Lines 文件或标准输入）；错误行报告行号并转入死信主题",
    "validate and publish events from a JSON Lines file or stdin; bad lines reported and dead-lettered",
)

register(
    {
        "ingest.bad": ("第 {line} 行被拒绝：{reason}", "line {line} rejected: {reason}"),
        "ingest.done": (
            "已发布 {published} 个事件，拒绝 {rejected} 行（已转入死信主题 {topic}）",
            "published {published} events, rejected {rejected} lines (dead-lettered to {topic})",
        ),
        "ingest.more": ("……另有 {n} 行错误未逐条显示", "... {n} more rejected lines not shown"),
        "ingest.unconfirmed": (
            "消息代理多次重试后仍未确认第 {line} 行起的发送（{error}）：已停止。此前各行已确认发布；排除故障后从第 {line} 行重新导入（tail -n +{line} 文件 | witness ingest -，重复的事件会被去重）",
            "the broker did not acknowledge the sends from line {line} on, even after retries ({error}): stopped. Every line before it is published; once the broker is healthy, re-run from line {line} (tail -n +{line} FILE | witness ingest -; repeated events are de-duplicated)",
        ),
    }
)

SHOW_ERRORS = 50


register(
    {
        "help.ingest.file": (
            "事件文件，每行一个 JSON 事件（DESIGN §4），或用 - 表示标准输入",
            "events file, one JSON event per line (DESIGN §4), or - for stdin",
        ),
        "help.ingest.no_progress": ("不显示进度条", "no progress bar"),
        "epilog.ingest": (
            "示例：\n"
            "  witness ingest day.jsonl\n"
            "  witness simulate --projects 5 --out - | witness ingest -\n"
            "退出码：0 全部行已发布，1 部分行被拒绝（正确的行仍已发布），\n"
            "        3 消息代理未确认部分发送（提示信息会给出应从哪一行重新导入）",
            "examples:\n"
            "  witness ingest day.jsonl\n"
            "  witness simulate --projects 5 --out - | witness ingest -\n"
            "exit code: 0 all lines published, 1 some lines rejected (the good ones are still published),\n"
            "           3 the broker did not acknowledge some sends (the message names the line to re-run from)",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=t("help.ingest.file"))
    add_broker_argument(p)
    p.add_argument("--no-progress", action="store_true", help=t("help.ingest.no_progress"))
    p.epilog = t("epilog.ingest")


def run(args: argparse.Namespace) -> int:
    from streams.bus import Producer, ensure_topics
    from streams.ingest import ingest_file
    from streams.topics import Topics

    settings = load_settings()
    bootstrap = bootstrap_or_exit(args, settings)
    topics = Topics(settings.topic_prefix)
    ensure_topics(bootstrap, topics, settings.partitions)
    producer = Producer(bootstrap, topics)
    shown = 0

    def on_error(exc) -> None:
        nonlocal shown
        shown += 1
        if shown <= SHOW_ERRORS:
            print(
                t("ingest.bad", line=exc.line, reason=exc.describe().split(": ", 1)[-1]),
                file=sys.stderr,
            )

    try:
        report = ingest_file(args.file, producer, on_error=on_error, progress=not args.no_progress)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        producer.close()
    if shown > SHOW_ERRORS:
        print(t("ingest.more", n=shown - SHOW_ERRORS), file=sys.stderr)
    print(
        t(
            "ingest.done",
            published=report.published,
            rejected=report.rejected,
            topic=topics.deadletter,
        ),
        file=sys.stderr,
    )
    if report.unconfirmed_line is not None:
        print(
            t("ingest.unconfirmed", line=report.unconfirmed_line, error=report.delivery_error),
            file=sys.stderr,
        )
        return 3
    return 1 if report.rejected else 0
