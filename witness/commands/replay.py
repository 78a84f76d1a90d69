"""`witness replay`: run every detector offline over a file or an archived project."""

from __future__ import annotations

import argparse
import sys

from witness.i18n import register, t

HELP = (
    "离线重放：对事件文件或已归档项目运行全部检测器，结果与在线一致",
    "run every detector offline over an events file or an archived project; same alerts as live",
)

register(
    {
        "replay.bad_line": ("第 {line} 行无效，已跳过：{reason}", "line {line} skipped: {reason}"),
        "replay.done": (
            "重放 {events} 个事件，得到 {alerts} 条告警",
            "replayed {events} events, {alerts} alerts",
        ),
        "replay.need_source": (
            "请给出事件文件，或使用 --project 项目编号",
            "give an events file or --project ID",
        ),
        "replay.compare": (
            "项目 {project}：相同 {same}，变化 {changed}，新增 {new}，消失 {gone}",
            "project {project}: same {same}, changed {changed}, new {new}, gone {gone}",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="events JSONL file, or - for standard input")
    p.add_argument("--project", help="replay an archived project from the store instead of a file")
    p.add_argument(
        "--out", default="-", help="where to write alerts as JSON lines (default: standard output)"
    )
    p.epilog = (
        "examples:\n"
        "  witness replay events.jsonl --out alerts.jsonl\n"
        "  witness replay --project JY-2026-0012      # live alerts vs alerts raised now"
    )


def run(args: argparse.Namespace) -> int:
    from witness.config import Settings
    from witness.events import ContractError
    from witness.jsonl import read_events
    from witness.replay import compare, replay

    settings = Settings.from_env()
    if args.project:
        from witness.store import Store

        store = Store(settings.database_url)
        events = store.events(args.project)
        now = replay(events, thresholds=settings.thresholds, locale=settings.locale)
        live = store.alert_models(project_ids=[args.project])
        cmp = compare(live, [a for a in now if a.project_id == args.project])
        print(
            t(
                "replay.compare",
                project=args.project,
                same=len(cmp.same),
                changed=len(cmp.changed),
                new=len(cmp.new),
                gone=len(cmp.gone),
            ),
            file=sys.stderr,
        )
        for label, alerts in (
            ("changed", [n for _, n in cmp.changed]),
            ("new", cmp.new),
            ("gone", cmp.gone),
        ):
            for a in alerts:
                print(f"  {label:8} {a.rule:14} {a.alert_id} {a.title}", file=sys.stderr)
        alerts = now
    else:
        if not args.file:
            print(t("replay.need_source"), file=sys.stderr)
            return 2
        good = []
        for item in read_events(args.file, strict=False):
            if isinstance(item, ContractError):
                print(t("replay.bad_line", line=item.line, reason=item.describe()), file=sys.stderr)
            else:
                good.append(item)
        events = good
        alerts = replay(events, thresholds=settings.thresholds, locale=settings.locale)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for a in alerts:
            out.write(a.to_json() + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(t("replay.done", events=len(events), alerts=len(alerts)), file=sys.stderr)
    return 0
