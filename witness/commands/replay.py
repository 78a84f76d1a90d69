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
        "replay.side_by_side": (
            "  {label:8} {rule:14} {alert:12} 在线记录 | 现在重放",
            "  {label:8} {rule:14} {alert:12} live (recorded) | now (replayed)",
        ),
        "replay.sealed": (
            "项目 {project} 尚未开标：开标前投标信息保密，不能从数据库重放（可重放事件文件）",
            "project {project} has not opened its bids: sealed bids are not replayed from the "
            "store (replay an events file instead)",
        ),
        "replay.unknown": (
            "本库中没有项目 {project} 的记录（检查项目编号与 WITNESS_DATABASE_URL）",
            "project {project} has no records in this store (check the id and "
            "WITNESS_DATABASE_URL)",
        ),
        "replay.compare": (
            "项目 {project}：相同 {same}，变化 {changed}，新增 {new}，消失 {gone}",
            "project {project}: same {same}, changed {changed}, new {new}, gone {gone}",
        ),
    }
)


register(
    {
        "help.replay.file": (
            "事件 JSONL 文件，或用 - 表示标准输入",
            "events JSONL file, or - for standard input",
        ),
        "help.replay.project": (
            "从存储库重放一个已归档的项目，而不读取文件",
            "replay an archived project from the store instead of a file",
        ),
        "help.replay.out": (
            "告警以 JSON 行写到何处（默认：标准输出）",
            "where to write alerts as JSON lines (default: standard output)",
        ),
        "epilog.replay": (
            "示例：\n"
            "  witness replay events.jsonl --out alerts.jsonl\n"
            "  witness replay --project JY-2026-0012      # 在线告警与现在重放得到的告警对照",
            "examples:\n"
            "  witness replay events.jsonl --out alerts.jsonl\n"
            "  witness replay --project JY-2026-0012      # live alerts vs alerts raised now",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help=t("help.replay.file"))
    p.add_argument("--project", help=t("help.replay.project"))
    p.add_argument("--out", default="-", help=t("help.replay.out"))
    p.epilog = t("epilog.replay")


def run(args: argparse.Namespace) -> int:
    from detectors.offline import compare, replay
    from witness.commands.common import existing_store, load_settings
    from witness.events import ContractError
    from witness.jsonl import read_events
    from witness.store.history import project_history

    settings = load_settings()
    opened: set[str] | None = None  # from the store: which projects' bids are open
    if args.project:
        store = existing_store(settings.database_url)
        opened = store.opened_projects()
        if args.project not in opened:
            why = "replay.sealed" if store.knows(args.project) else "replay.unknown"
            print(t(why, project=args.project), file=sys.stderr)
            return 2
        events = project_history(store, args.project)
        now = replay(events, thresholds=settings.thresholds, locale=settings.locale)
        live = store.alert_models(project_ids=[args.project])
        # `compare` ignores titles: they are written in the reader's language (WITNESS_LOCALE).
        cmp = compare(live, [a for a in now if a.project_id == args.project])
        # Alerts naming another project that is still sealed stay sealed here too.
        cmp = _without_sealed(cmp, opened)
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
        print_comparison(cmp, file=sys.stderr)
        alerts = now
    else:
        if not args.file:
            print(t("replay.need_source"), file=sys.stderr)
            return 2
        good = []
        for item in read_events(args.file, strict=False):
            if isinstance(item, ContractError):
                print(
                    t("replay.bad_line", line=item.line, reason=item.describe(line=False)),
                    file=sys.stderr,
                )
            else:
                good.append(item)
        events = good
        alerts = replay(events, thresholds=settings.thresholds, locale=settings.locale)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    from witness.events import canonical_json
    from witness.sealing import alert_view

    try:
        for a in alerts:
            if opened is not None and _sealed_in_store(a, opened):
                out.write(canonical_json(alert_view(a, opened, settings.locale).to_dict()) + "\n")
            else:
                out.write(a.to_json() + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(t("replay.done", events=len(events), alerts=len(alerts)), file=sys.stderr)
    return 0


def _sealed_in_store(alert, opened: set[str]) -> bool:
    """Sealed by what the store knows now (the replayed engine saw only this project)."""
    from witness.sealing import alert_sealed

    return alert_sealed(alert.model_copy(update={"sealed": False}), opened)


def _without_sealed(cmp, opened: set[str]):
    """The comparison without alerts that name a still-sealed project (their diffs would
    show bidders); they are counted nowhere rather than shown."""
    from dataclasses import replace

    def ok(a) -> bool:
        return not _sealed_in_store(a, opened)

    return replace(
        cmp,
        same=[a for a in cmp.same if ok(a)],
        changed=[(x, y) for x, y in cmp.changed if ok(x) and ok(y)],
        new=[a for a in cmp.new if ok(a)],
        gone=[a for a in cmp.gone if ok(a)],
    )


def _short(value: object, width: int = 48) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def alert_diff(live, now, limit: int = 6) -> list[str]:
    """What changed between the recorded and the replayed version of one alert, briefly."""
    out: list[str] = []
    for name in ("severity", "room_id", "first_seen", "last_seen"):
        a, b = getattr(live, name), getattr(now, name)
        if a != b:
            out.append(f"{name}: {_short(str(a))} → {_short(str(b))}")
    for name in ("subjects", "event_ids"):
        a, b = set(getattr(live, name)), set(getattr(now, name))
        if a != b:
            added, gone = sorted(b - a), sorted(a - b)
            parts = [f"+{_short(x, 24)}" for x in added[:3]] + [
                f"-{_short(x, 24)}" for x in gone[:3]
            ]
            more = len(added) + len(gone) - len(parts)
            out.append(f"{name}: {' '.join(parts)}" + (f" (+{more} more)" if more > 0 else ""))
    ev_a = {k: v for k, v in live.evidence.items() if k != "thumbnail"}
    ev_b = {k: v for k, v in now.evidence.items() if k != "thumbnail"}
    for key in sorted(set(ev_a) | set(ev_b)):
        if ev_a.get(key) != ev_b.get(key):
            out.append(
                f"evidence.{key}: {_short(ev_a.get(key, '—'))} → {_short(ev_b.get(key, '—'))}"
            )
    if len(out) > limit:
        out = out[:limit] + [f"… {len(out) - limit} more"]
    return out


def print_comparison(cmp, file=sys.stderr) -> None:
    """Side by side for auditors: every alert with its status, and a short diff if changed.

    Lines keep the form `  LABEL RULE ALERT_ID TITLE` (scripts grep them); `changed`
    lines are followed by indented `field: live → now` lines.
    """
    rows = [("same", a, a) for a in cmp.same]
    rows += [("changed", live, now) for live, now in cmp.changed]
    rows += [("new", None, a) for a in cmp.new]
    rows += [("gone", a, None) for a in cmp.gone]
    if not rows:
        return

    def title(alert) -> str:
        return "—" if alert is None else alert.title

    print(t("replay.side_by_side", label="", rule="", alert=""), file=file)
    for label, live, now in rows:
        a = now or live
        left, right = title(live), title(now)
        print(f"  {label:8} {a.rule:14} {a.alert_id} {right if now else left}", file=file)
        if label != "same":
            print(f"           {_short(left, 40)} | {_short(right, 40)}", file=file)
        if label == "changed":
            for line in alert_diff(live, now):
                print(f"           {line}", file=file)
