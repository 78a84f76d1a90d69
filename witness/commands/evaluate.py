"""`witness evaluate`: precision, recall and F1 of alerts against a ground-truth file."""

from __future__ import annotations

import argparse
import json
import sys

from witness.commands.common import positive_whole, whole_or_zero
from witness.help_format import display_width
from witness.i18n import register, t

HELP = (
    "用真值文件评估告警质量：逐条规则的精确率、召回率、F1，以及漏报与误报清单",
    "score alerts against a ground-truth file: precision, recall and F1 per rule, with the missed and false cases",
)

register(
    {
        "evaluate.header": ("规则", "rule"),
        "evaluate.cases": ("真值", "cases"),
        "evaluate.detected": ("检出", "detected"),
        "evaluate.alerts": ("告警", "alerts"),
        "evaluate.true": ("命中", "true"),
        "evaluate.precision": ("精确率", "precision"),
        "evaluate.recall": ("召回率", "recall"),
        "evaluate.f1": ("F1", "F1"),
        "evaluate.overall": ("合计", "overall"),
        "evaluate.missed": ("漏报（{n}）：", "missed ({n}):"),
        "evaluate.false": ("误报（{n}）：", "false alarms ({n}):"),
        "evaluate.unscored": (
            "未计分告警（真值文件未声明完整的规则）：{n} 条",
            "unscored alerts (rules the truth file is not complete for): {n}",
        ),
        "evaluate.more": ("……另有 {n} 条", "... {n} more"),
    }
)


register(
    {
        "help.evaluate.truth": (
            "真值文件，由 `witness simulate --truth` 生成",
            "truth file from `witness simulate --truth`",
        ),
        "help.evaluate.alerts": (
            "告警文件，每行一条 JSON 告警（例如来自 `witness replay --out`）",
            "alerts, one JSON alert per line (e.g. from `witness replay --out`)",
        ),
        "help.evaluate.seeds": (
            "不读文件：在本机按这些种子模拟并重放（如 1,2,3），输出一张表："
            "各种子的精确率/召回率、汇总数字，以及每 100 个无问题项目的误报数",
            "instead of files: simulate and replay these seeds here (e.g. 1,2,3) and print "
            "one table with each seed's precision/recall, the pooled figures and false alarms "
            "per 100 honest projects",
        ),
        "help.evaluate.projects": (
            "与 --seeds 一起用：每个种子的项目数（默认 200）",
            "with --seeds: projects per seed (default 200)",
        ),
        "help.evaluate.json": ("以 JSON 输出完整报告", "print the full report as JSON"),
        "help.evaluate.show": (
            "最多列出 N 条漏报和 N 条误报（默认 20）",
            "list at most N missed and N false cases (default 20)",
        ),
        "epilog.evaluate": (
            "匹配条件：同一规则、同一项目（真值中 '*' = 任意项目），且涉及对象一致\n"
            "（任一方为空、一方包含另一方，或 Jaccard >= 0.5）；见 witness/simulator/truth_eval.py。\n"
            "FA/100 = 每 100 个未植入该规则案例的项目中该规则的误报数（预算 1）。\n"
            "示例：\n"
            "  witness simulate --out ev.jsonl --truth truth.jsonl && witness replay ev.jsonl --out al.jsonl\n"
            "  witness evaluate --truth truth.jsonl --alerts al.jsonl\n"
            "  witness evaluate --seeds 1,2,3 --projects 200     # 每个种子需要几分钟",
            "matching: same rule, same project (truth '*' = any project), and subjects that agree\n"
            "(either empty, one contains the other, or Jaccard >= 0.5); see witness/simulator/truth_eval.py.\n"
            "FA/100 = false alarms of the rule per 100 projects with no planted case of it (budget 1).\n"
            "examples:\n"
            "  witness simulate --out ev.jsonl --truth truth.jsonl && witness replay ev.jsonl --out al.jsonl\n"
            "  witness evaluate --truth truth.jsonl --alerts al.jsonl\n"
            "  witness evaluate --seeds 1,2,3 --projects 200     # a few minutes per seed",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--truth", metavar="FILE", help=t("help.evaluate.truth"))
    p.add_argument("--alerts", metavar="FILE", help=t("help.evaluate.alerts"))
    p.add_argument("--seeds", metavar="LIST", help=t("help.evaluate.seeds"))
    p.add_argument(
        "--projects",
        type=positive_whole,
        default=200,
        metavar="N",
        help=t("help.evaluate.projects"),
    )
    p.add_argument("--json", action="store_true", help=t("help.evaluate.json"))
    p.add_argument(
        "--show", type=whole_or_zero, default=20, metavar="N", help=t("help.evaluate.show")
    )
    p.epilog = t("epilog.evaluate")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def format_table(report) -> str:
    cols = [
        "evaluate.header",
        "evaluate.cases",
        "evaluate.detected",
        "evaluate.alerts",
        "evaluate.true",
        "evaluate.precision",
        "evaluate.recall",
        "evaluate.f1",
    ]

    def row(s, name: str) -> list[str]:
        return [
            name,
            str(s.cases),
            str(s.detected),
            str(s.alerts),
            str(s.true_alerts),
            _pct(s.precision),
            _pct(s.recall),
            _pct(s.f1),
        ]

    rows = [row(s, s.rule) for s in report.rules]
    return render_table([t(c) for c in cols], rows, row(report.overall, t("evaluate.overall")))


def render_table(head: list[str], rows: list[list[str]], last: list[str]) -> str:
    """Rule column left, numbers right, CJK counted double wide; `last` under a rule."""
    widths = [max(display_width(r[i]) for r in [head, *rows, last]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(
            c + " " * (w - display_width(c)) if i == 0 else " " * (w - display_width(c)) + c
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([line(head), rule, *(line(r) for r in rows), rule, line(last)])


def run(args: argparse.Namespace) -> int:
    from witness.commands.evaluate_seeds import run_seeds
    from witness.jsonl import read_json_lines
    from witness.simulator.truth_eval import evaluate, read_alerts, read_truth

    if args.seeds is not None:
        if args.truth or args.alerts:
            print(t("evaluate.both_inputs"), file=sys.stderr)
            return 2
        return run_seeds(args)
    if not (args.truth and args.alerts):
        print(t("evaluate.need_input"), file=sys.stderr)
        return 2

    # InputFileError (missing file, a line not UTF-8 JSON, named by file and line) -> exit 2
    cases, complete = read_truth(text for _, text in read_json_lines(args.truth))
    alerts = read_alerts(text for _, text in read_json_lines(args.alerts))
    report = evaluate(cases, alerts, complete)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(format_table(report))
    for key, items in (("evaluate.missed", report.missed), ("evaluate.false", report.false)):
        if items:
            print()
            print(t(key, n=len(items)))
            for c in items[: args.show]:
                print(
                    f"  {c['rule']:<14} {c.get('project_id')}  {', '.join(c.get('subjects') or [])}"
                )
            if len(items) > args.show:
                print("  " + t("evaluate.more", n=len(items) - args.show))
    if report.unscored:
        print()
        print(t("evaluate.unscored", n=len(report.unscored)))
    return 0
