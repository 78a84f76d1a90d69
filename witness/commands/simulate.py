"""`witness simulate`: realistic projects with planted misconduct and a ground-truth file."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext

from witness.commands.common import positive_number, positive_whole, seconds_or_more
from witness.i18n import register, t

HELP = (
    "生成模拟交易项目事件（含预埋的串标、专家、视频、流程违规）及真值文件，用于演示和检测质量评估",
    "generate simulated trading projects (with planted collusion, expert, video and procedure misconduct) and a ground-truth file",
)

register(
    {
        "simulate.done": (
            "已生成 {projects} 个项目、{events} 个事件 → {out}；预埋 {cases} 个案例（{rules} 条规则）→ {truth}",
            "wrote {projects} projects, {events} events -> {out}; {cases} planted cases ({rules} rules) -> {truth}",
        ),
        "simulate.no_truth": ("（未写真值文件）", "(no truth file)"),
        "simulate.progress": (" 个项目", " projects"),
    }
)


register(
    {
        "help.simulate.projects": (
            "项目数（默认 20：从 14 个起每条规则至少植入一次）",
            "number of projects (default 20: every rule is planted at least once from 14 up)",
        ),
        "help.simulate.seed": (
            "随机种子；种子相同，输出逐字节相同（默认 7）",
            "random seed; same seed, same bytes (default 7)",
        ),
        "help.simulate.out": (
            "事件文件，JSON Lines；- 表示标准输出（默认 events.jsonl）",
            "events file, JSON Lines; - for stdout (default events.jsonl)",
        ),
        "help.simulate.truth": (
            "真值文件，每行一个植入的案例：{{rule, project_id, subjects, note}}",
            "ground truth, one planted case per line: {{rule, project_id, subjects, note}}",
        ),
        "help.simulate.realtime": (
            "事件时间戳到点时才写出（用于现场演示）",
            "write events as their timestamps come due (for a live demo)",
        ),
        "help.simulate.speed": (
            "与 --realtime 一起用：每实际秒对应的模拟秒数（默认 60）",
            "with --realtime: simulated seconds per real second (default 60)",
        ),
        "help.simulate.max_gap": (
            "与 --realtime 一起用：两个事件之间最长的实际停顿；投标期里平静的几周压缩到这个长度（默认 2）",
            "with --realtime: longest real pause between two events; quiet weeks of bidding are cut to this (default 2)",
        ),
        "help.simulate.frame_interval": (
            "同一摄像头两帧之间的秒数（默认 10）",
            "seconds between two frames of one camera (default 10)",
        ),
        "help.simulate.no_progress": ("不显示进度条", "no progress bar"),
        "epilog.simulate": (
            "示例：\n"
            "  witness simulate --projects 20 --seed 7 --out events.jsonl --truth truth.jsonl\n"
            "  witness replay events.jsonl --out alerts.jsonl\n"
            "  witness evaluate --truth truth.jsonl --alerts alerts.jsonl\n"
            "  witness simulate --projects 5 --realtime --speed 120 --out - | witness ingest -\n"
            "真值文件第一行列出它完整覆盖的规则，因此 evaluate 能统计误报。",
            "examples:\n"
            "  witness simulate --projects 20 --seed 7 --out events.jsonl --truth truth.jsonl\n"
            "  witness replay events.jsonl --out alerts.jsonl\n"
            "  witness evaluate --truth truth.jsonl --alerts alerts.jsonl\n"
            "  witness simulate --projects 5 --realtime --speed 120 --out - | witness ingest -\n"
            "The truth file's first line lists the rules it is complete for, so evaluate can count false alarms.",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--projects", type=positive_whole, default=20, metavar="N", help=t("help.simulate.projects")
    )
    p.add_argument("--seed", type=int, default=7, metavar="S", help=t("help.simulate.seed"))
    p.add_argument("--out", default="events.jsonl", metavar="FILE", help=t("help.simulate.out"))
    p.add_argument("--truth", metavar="FILE", help=t("help.simulate.truth"))
    p.add_argument("--realtime", action="store_true", help=t("help.simulate.realtime"))
    p.add_argument(
        "--speed", type=positive_number, default=60.0, metavar="X", help=t("help.simulate.speed")
    )
    p.add_argument(
        "--max-gap",
        type=seconds_or_more,
        default=2.0,
        metavar="SEC",
        help=t("help.simulate.max_gap"),
    )
    p.add_argument(
        "--frame-interval",
        type=positive_whole,
        default=10,
        metavar="SEC",
        help=t("help.simulate.frame_interval"),
    )
    p.add_argument("--no-progress", action="store_true", help=t("help.simulate.no_progress"))
    p.epilog = t("epilog.simulate")


def run(args: argparse.Namespace) -> int:
    from witness.events import canonical_json
    from witness.progress import progress_bar
    from witness.simulator import Simulation, paced, truth_header

    sim = Simulation(args.projects, args.seed, frame_interval=args.frame_interval)
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as f:
            f.write(json.dumps(truth_header(sim), ensure_ascii=False, sort_keys=True) + "\n")
            for case in sim.truth:
                f.write(json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n")
    to_stdout = args.out == "-"
    bar = progress_bar(
        total=args.projects,
        unit=t("simulate.progress"),
        enabled=not (args.no_progress or args.realtime),
    )
    n = 0
    with nullcontext(sys.stdout) if to_stdout else open(args.out, "w", encoding="utf-8") as out:
        if args.realtime:
            for ev in paced(sim.events(), args.speed, args.max_gap):
                out.write(canonical_json(ev) + "\n")
                out.flush()
                n += 1
        else:
            for line in sim.lines():
                out.write(line)
                out.write("\n")
                n += 1
                if line.endswith('"type":"project.archived"}'):
                    bar.update(1)
    bar.close()
    rules = len({c["rule"] for c in sim.truth})
    print(
        t(
            "simulate.done",
            projects=args.projects,
            events=n,
            out=args.out,
            cases=len(sim.truth),
            rules=rules,
            truth=args.truth or t("simulate.no_truth"),
        ),
        file=sys.stderr,
    )
    return 0
