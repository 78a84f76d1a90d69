"""`witness screen`: batch price and bidder-group screens over a historical bid table."""

from __future__ import annotations

import argparse
import sys

from witness.i18n import register, t

HELP = (
    "批量筛查历史投标数据：逐个标段计算报价筛查指标（CV/SPD/DIFFP/RD/KURT/SKEW/KS）与规则标记，并分析陪标轮流中标团伙",
    "batch screens over a historical bid table: per-tender price screens (CV/SPD/DIFFP/RD/KURT/SKEW/KS) "
    "and rule flags, plus co-bidding / win-rotation analysis of bidder groups",
)

register(
    {
        "screen.missing_column": (
            "文件 {file} 中没有列 {column!r}（{option}）；现有列：{columns}",
            "column {column!r} ({option}) is not in {file}; its columns are: {columns}",
        ),
        "screen.no_file": ("找不到文件：{file}", "no such file: {file}"),
        "screen.skipped": (
            "跳过 {empty} 行空报价、{bad} 行无效报价（共 {rows} 行）",
            "skipped {empty} rows with an empty price and {bad} with an invalid one (of {rows} rows)",
        ),
        "screen.done": (
            "{tenders} 个标段写入 {out}（{flagged} 个有标记）；{groups} 个投标人团伙写入 {groups_out}（{rings} 个轮流中标）",
            "{tenders} tenders written to {out} ({flagged} flagged); {groups} bidder groups to {groups_out} ({rings} rotating rings)",
        ),
        "screen.done_nogroups": (
            "{tenders} 个标段写入 {out}（{flagged} 个有标记）；发现 {rings} 个轮流中标团伙（用 --groups 输出明细）",
            "{tenders} tenders written to {out} ({flagged} flagged); {rings} rotating rings found (write them with --groups)",
        ),
        "screen.auc": ("AUC（对照 {label}）：", "AUC against {label}:"),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="bid table, CSV with a header row, one row per bid")
    p.add_argument("--tender", required=True, metavar="COL", help="column with the tender / lot id")
    p.add_argument("--bidder", required=True, metavar="COL", help="column with the bidder id")
    p.add_argument("--price", required=True, metavar="COL", help="column with the bid price")
    p.add_argument(
        "--winner",
        metavar="COL",
        help="column marking the winning bid (1/0, true/false) or naming the winner; "
        "default: the lowest bid wins",
    )
    p.add_argument("--out", required=True, metavar="FILE", help="per-tender CSV to write")
    p.add_argument(
        "--groups", metavar="FILE", help="also write the bidder-group (co-bidding/rotation) CSV"
    )
    p.add_argument(
        "--label",
        metavar="COL",
        help="0/1 column of known cases (e.g. auction_cartelized): print each screen's AUC",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.epilog = (
        "output columns: tender, n_bids, cv, spd, diffp, rd, kurt, skew, ks, flags, score\n"
        "  flags = rule ids joined by ';' (PRICE-40-4, PRICE-SCREEN, REL-RING)\n"
        "  score = 0-1, higher is more suspicious: mean percentile rank in this file of\n"
        "          CV, SPD, SKEW (low = suspicious) and DIFFP, RD, KURT (high = suspicious)\n"
        "  KS    = Kolmogorov-Smirnov distance of the bids from a uniform on [min, max]\n"
        "thresholds: [PRICE-40-4], [PRICE-SCREEN], [REL-RING] in the WITNESS_CONFIG TOML\n\n"
        "example (Tsuchiura auctions):\n"
        "  witness screen tsuchiura_data.csv --tender pid --bidder bidder_id --price bid \\\n"
        "      --winner winner --out tenders.csv --groups groups.csv --label auction_cartelized"
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from witness.commands.common import load_settings
    from witness.screen import (
        GROUP_COLUMNS,
        TENDER_COLUMNS,
        ColumnError,
        aucs,
        read_bids,
        screen,
        write_csv,
    )

    if not Path(args.file).is_file():
        print(t("screen.no_file", file=args.file), file=sys.stderr)
        return 2
    settings = load_settings()
    progress = None if not args.no_progress else False
    try:
        read = read_bids(
            args.file,
            tender=args.tender,
            bidder=args.bidder,
            price=args.price,
            winner=args.winner,
            label=args.label,
            progress=progress,
        )
    except ColumnError as exc:
        print(
            t(
                "screen.missing_column",
                column=exc.column,
                option=exc.option,
                file=exc.file,
                columns=exc.columns,
            ),
            file=sys.stderr,
        )
        return 2
    if read.skipped_empty or read.skipped_bad:
        print(
            t("screen.skipped", empty=read.skipped_empty, bad=read.skipped_bad, rows=read.rows),
            file=sys.stderr,
        )
    big = progress is None and Path(args.file).stat().st_size > 1_000_000
    result = screen(read, settings.thresholds, progress=big)
    write_csv(args.out, TENDER_COLUMNS, result.tenders)
    flagged = sum(1 for r in result.tenders if r["flags"])
    rings = sum(1 for g in result.groups if g["flags"])
    if args.groups:
        write_csv(args.groups, GROUP_COLUMNS, result.groups)
        print(
            t(
                "screen.done",
                tenders=len(result.tenders),
                out=args.out,
                flagged=flagged,
                groups=len(result.groups),
                groups_out=args.groups,
                rings=rings,
            ),
            file=sys.stderr,
        )
    else:
        print(
            t(
                "screen.done_nogroups",
                tenders=len(result.tenders),
                out=args.out,
                flagged=flagged,
                rings=rings,
            ),
            file=sys.stderr,
        )
    if args.label:
        print(t("screen.auc", label=args.label), file=sys.stderr)
        for name, value in aucs(result).items():
            shown = "-" if value is None else f"{value[0]:.3f} (n={value[1]})"
            print(f"  {name:13} {shown}", file=sys.stderr)
    return 0
