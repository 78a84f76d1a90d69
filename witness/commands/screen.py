"""`witness screen`: batch price, award and bidder screens over a historical bid table.

This module is the CSV side (columns, reading, progress, writing, messages); every
judgement is made in `detectors.screening` from plain rows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from witness.commands.common import share
from witness.commands.screen_files import (
    COLUMN_OPTIONS,
    ColumnError,
    check_out,
    read_table,
    say,
    write_csv,
)
from witness.errors import InputFileError
from witness.i18n import register, t
from witness.progress import progress_bar

HELP = (
    "批量筛查历史投标数据：逐个标段计算报价筛查指标、规则标记与可疑度评分，并分析陪标轮流中标团伙",
    "batch screens over a historical bid table: per-tender price screens, rule flags and a "
    "suspicion score, plus co-bidding / win-rotation analysis of bidder groups",
)

#: Files larger than this get a progress bar on stderr.
PROGRESS_BYTES = 1_000_000

register(
    {
        "screen.missing_column": (
            "文件 {file} 中没有列 {column!r}（{option}）；现有列：{columns}",
            "column {column!r} ({option}) is not in {file}; its columns are: {columns}",
        ),
        "screen.progress.reading": ("读取 {file}", "reading {file}"),
        "screen.progress.rows": (" 行", " rows"),
        "screen.progress.groups": ("分析投标人团伙", "bidder groups"),
        "screen.progress.tenders": (" 个标段", " tenders"),
        "screen.read": ("读取 {rows} 行，{tenders} 个标段", "read {rows} rows, {tenders} tenders"),
        "screen.skip.no_tender": (
            "跳过 {n} 行：标段编号为空",
            "skipped {n} rows: empty tender id",
        ),
        "screen.skip.no_price": ("跳过 {n} 行：报价为空", "skipped {n} rows: empty price"),
        "screen.skip.bad_price": (
            "跳过 {n} 行：报价不是数字",
            "skipped {n} rows: price is not a number",
        ),
        "screen.skip.nonpositive_price": (
            "跳过 {n} 行：报价不大于 0 或不是有限数",
            "skipped {n} rows: price is zero, negative or not finite",
        ),
        "screen.note.no_bidder": (
            "{n} 行投标人编号为空：报价仍计入价格筛查，但不计入投标人分析",
            "{n} rows have an empty bidder id: their prices count in the price screens, "
            "not in the bidder analysis",
        ),
        "screen.note.repeat_bid": (
            "{n} 行是同一投标人在同一标段的重复报价：取最低价",
            "{n} rows repeat a bidder in the same tender: the lowest price is kept",
        ),
        "screen.note.bad_reserve": (
            "{n} 行最高限价无效（已忽略）",
            "{n} rows have an invalid reserve price (ignored)",
        ),
        "screen.note.unknown_winner": (
            "{n} 个标段的中标人不在其投标人中（已忽略全角、大小写与空格差异）：这些标段按无中标人处理",
            "{n} tenders name a winner who is not among their bidders (full-width forms, case "
            "and spaces aside): they are screened as without a winner",
        ),
        "screen.note.bad_date": (
            "{n} 行日期无法识别（应为 ISO 格式，如 2026-03-01）",
            "{n} rows have a date that is not ISO (e.g. 2026-03-01); ignored",
        ),
        "screen.cut": ("  （{source}：{value}）", "  ({source}: {value})"),
        "screen.cut.file fence": ("本文件的四分位栅栏", "file fence"),
        "screen.cut.fixed threshold": ("固定阈值", "fixed threshold"),
        "screen.examples": ("  例如：{items}", "  e.g. {items}"),
        "screen.example": ("第 {line} 行", "line {line}"),
        "screen.example_cell": ("第 {line} 行 {cell}", "line {line} {cell}"),
        "screen.example_why": ("第 {line} 行 {cell}（{why}）", "line {line} {cell} ({why})"),
        "screen.no_bids": (
            "{n} 个标段没有有效报价（n_bids = 0，无评分）",
            "{n} tenders have no valid bid (n_bids = 0, no score)",
        ),
        "screen.done": (
            "{tenders} 个标段写入 {out}（{flagged} 个有标记，评分模型：{model}）",
            "{tenders} tenders written to {out} ({flagged} flagged; score model: {model})",
        ),
        "screen.reversed": (
            "本文件中以下筛查指标方向与核心陪标指标相反，评分时已反转：{names}",
            "in this file these screens run against the core cover-bid screens and the score "
            "turned them round: {names}",
        ),
        "screen.groups": (
            "{groups} 个投标人团伙写入 {out}（{rings} 个轮流中标）",
            "{groups} bidder groups written to {out} ({rings} rotating rings)",
        ),
        "screen.groups_hint": (
            "发现 {rings} 个轮流中标团伙（用 --groups 输出明细）",
            "{rings} rotating rings found (write them with --groups)",
        ),
        "screen.no_bidder_column": (
            "未指定 --bidder：只做价格筛查（无投标人分析、无 BID-LOSER/REL-RING）",
            "no --bidder column: price screens only (no bidder analysis, BID-LOSER or REL-RING)",
        ),
        "screen.shares": ("各标记触发比例：", "how often each flag fired:"),
        "screen.share_line": (
            "  {rule:15} {n:6} 个标段 {share:6.1%}{cut}",
            "  {rule:15} {n:6} tenders {share:6.1%}{cut}",
        ),
        "screen.identical": (
            "    （其中 {n} 个标段因不同投标人报价相同）",
            "    ({n} of them for identical prices from different bidders)",
        ),
        "screen.warn_share": (
            "警告：{rule} 在 {share:.1%} 的标段触发（超过 {limit:.0%}），可能误报较多，请检查该规则阈值是否适合本数据",
            "warning: {rule} fired on {share:.1%} of tenders (over {limit:.0%}); these likely "
            "include false positives: review its thresholds for this data",
        ),
        "screen.auc": (
            "AUC（对照 {label}；每项筛查指标按其可疑方向计算：{lower} 越低越可疑，"
            "其余越高越可疑；低于 0.5 表示该指标在本文件中方向相反）：",
            "AUC against {label} (each screen in its suspicious direction: lower {lower}, "
            "higher the others; below 0.5 = it runs the other way in this file):",
        ),
    }
)


register(
    {
        "help.screen.file": (
            "投标数据表：带表头行的 CSV 或 Excel 工作簿（.xlsx），每行一条报价",
            "bid table, a CSV or an Excel workbook (.xlsx) with a header row, one row per bid",
        ),
        "help.screen.tender": ("标段（包）编号所在列", "column with the tender / lot id"),
        "help.screen.price": (
            "投标报价所在列（可带千分位、货币符号、全角数字或小数逗号：1,234.50、¥1234、"
            "1.234,50；有歧义的如 1,2345 跳过并列出行号）",
            "column with the bid price (grouping, a currency sign, full-width digits or a "
            "decimal comma are read: 1,234.50, ¥1234, 1.234,50; an ambiguous one such as "
            "1,2345 is skipped and shown by its line)",
        ),
        "help.screen.bidder": (
            "投标人编号所在列（可选：不给时每行算一条报价，只运行价格筛查）",
            "column with the bidder id (optional: without it each row is one bid and only "
            "price screens run)",
        ),
        "help.screen.winner": (
            "标记中标报价的列（1/0、true/false）或写明中标人的列；默认：未被否决的最低报价中标",
            "column marking the winning bid (1/0, true/false) or naming the winner; "
            "default: the lowest bid that was not rejected wins",
        ),
        "help.screen.reserve": (
            "最高投标限价所在列",
            "reserve / ceiling price (最高投标限价) column",
        ),
        "help.screen.rejected": (
            "标记否决投标的列：1/0 或否决理由文字",
            "column marking rejected bids (否决投标): 1/0 or a reason text",
        ),
        "help.screen.agent": (
            "招标代理所在列，用于 REJ-RATE",
            "procurement agent (招标代理) column, for REJ-RATE",
        ),
        "help.screen.published": (
            "招标公告发布日期所在列（PROC-SHORT）",
            "date the tender was published (PROC-SHORT)",
        ),
        "help.screen.deadline": (
            "投标截止日期所在列（PROC-SHORT）",
            "bid deadline date (PROC-SHORT)",
        ),
        "help.screen.out": (
            "要写出的逐标段表（CSV；以 .xlsx 结尾则写 Excel 工作簿）",
            "per-tender table to write (CSV; a name ending in .xlsx gets a workbook)",
        ),
        "help.screen.groups": (
            "另写出投标人团伙（陪标/轮流中标）CSV",
            "also write the bidder-group (co-bidding/rotation) CSV",
        ),
        "help.screen.label": (
            "已知案例的 0/1 列，按标段（auction_cartelized）或按报价"
            "（Collusive_competitor：任一报价为 1 的标段即为案例）：输出每项筛查指标的 AUC",
            "0/1 column of known cases, per tender (auction_cartelized) or per bid "
            "(Collusive_competitor: a tender with any bid marked 1 is a case): print each "
            "screen's AUC",
        ),
        "help.screen.warn_share": (
            "某个标记命中的标段占比超过此值时给出警告（默认 0.25）",
            "warn when a flag fires on more than this share of tenders (default 0.25)",
        ),
        "help.screen.no_progress": ("stderr 上不显示进度条", "no progress bar on stderr"),
        "help.screen.score_model": (
            "评分所用的列（默认：给出的全部列）。投标人在串标和正常标段中是同一批企业时"
            "（如以串标期与其后年份对照），投标人指标对评分没有信息、只会稀释报价信号："
            "用 prices，投标人标记与团伙分析照常进行",
            "which columns the score reads (default: every column given). Where the "
            "bidders are the same firms in rigged and honest tenders (a cartel period "
            "against the years after), the bidder screens carry nothing and dilute the "
            "prices: use prices; bidder flags and groups still run",
        ),
        "screen.model_needs": (
            "--score-model {model} 需要未给出的列：{missing}",
            "--score-model {model} needs columns not given: {missing}",
        ),
        "epilog.screen": (
            "输出列：tender, n_bids, cv, spd, diffp, rd, kurt, skew, ks, flags, score, drivers\n"
            "  flags   = 以 ';' 连接的规则编号：PRICE-40-4（报价有规律或完全相同），\n"
            "            PRICE-SCREEN、PRICE-CLOSE (R024)、PRICE-DISCOUNT (R058)、BID-LOSER (R025)、\n"
            "            REJ-ALL (R035)、REJ-LOW (R036)、REJ-RATE (R038)、PROC-SHORT (R003)、REL-RING；\n"
            "            差距类和比率类标记的界限取自本文件自身的分布\n"
            "  score   = 0-1，越高越可疑。这是本文件内的排序，不是概率：综合每个标段在本文件中\n"
            "            各价格筛查指标、3-4 家报价子集筛查指标和缺失报价筛查指标上的百分位\n"
            "            （给出 --bidder 时另含投标人的未中标率和在其他标段的共同投标；给出\n"
            "            --reserve 时另含报价水平）。方向从文件本身学得：与核心陪标筛查指标\n"
            "            （RD、skew）方向相反的指标会被反转，并标为 (reversed)。只有报价时：\n"
            "            取这些百分位的简单平均（0.5 = 本文件的典型标段），不拟合权重；给出\n"
            "            --bidder/--reserve 时：使用在 Tsuchiura 拍卖数据上拟合的权重（>= 0）\n"
            "  drivers = 对评分抬升最多的筛查指标：名称、百分位、贡献\n"
            "  仅凭文件本身看不出其中的串标方式时，评分偏弱：陪标报价紧贴中标价之上\n"
            "            （此时改按 rd 升序排序），或一人包办所有报价、报价全都很接近、\n"
            "            中标价不突出（此时改按 cv 升序排序）；投标人在串标与正常标段中是\n"
            "            同一批企业时，投标人指标只会稀释报价信号（此时用 --score-model prices）\n"
            "{tsuchiura}"
            "阈值：      WITNESS_CONFIG TOML 中的 [PRICE-*]、[BID-LOSER]、[REJ-*]、\n"
            "            [PROC-SHORT]、[REL-RING]\n\n"
            "示例（Tsuchiura 拍卖数据）：\n"
            "  witness screen tsuchiura_data.csv --tender pid --bidder bidder_id --price bid \\\n"
            "      --winner winner --reserve reserveprice --out tenders.csv --groups groups.csv \\\n"
            "      --label auction_cartelized",
            "output columns: tender, n_bids, cv, spd, diffp, rd, kurt, skew, ks, flags, score, drivers\n"
            "  flags   = rule ids joined by ';': PRICE-40-4 (regular or identical prices),\n"
            "            PRICE-SCREEN, PRICE-CLOSE (R024), PRICE-DISCOUNT (R058), BID-LOSER (R025),\n"
            "            REJ-ALL (R035), REJ-LOW (R036), REJ-RATE (R038), PROC-SHORT (R003), REL-RING;\n"
            "            gap and rate flags use fences from this file's own distribution\n"
            "  score   = 0-1, HIGHER = MORE SUSPICIOUS. A ranking within this file, not a\n"
            "            probability, over each tender's percentile in this file on the price\n"
            "            screens, the subset screens of 3-4 bids and the missing-bids screen\n"
            "            (with --bidder: bidders' loss rate and co-bidding elsewhere; with\n"
            "            --reserve: the price level). Directions are learned from the file: a\n"
            "            screen running against the core cover-bid screens (RD, skew) is turned\n"
            "            round and marked (reversed). Prices only: the plain mean of those\n"
            "            percentiles (0.5 = the file's typical tender), no fitted weights; with\n"
            "            --bidder/--reserve: weights >= 0 fitted on the Tsuchiura auctions\n"
            "  drivers = the screens that lifted the score most: name, percentile, contribution\n"
            "  where the file alone cannot say how its cartel bids, the score is weak: a cover\n"
            "            bid just above the winner (sort by rd ascending instead), one hand\n"
            "            writing every bid, all tight, no winner apart (sort by cv ascending),\n"
            "            the same firms bidding in rigged and honest tenders, where the bidder\n"
            "            screens only dilute the prices (use --score-model prices)\n"
            "{tsuchiura}"
            "thresholds: [PRICE-*], [BID-LOSER], [REJ-*], [PROC-SHORT], [REL-RING]\n"
            "            in the WITNESS_CONFIG TOML\n\n"
            "example (Tsuchiura auctions):\n"
            "  witness screen tsuchiura_data.csv --tender pid --bidder bidder_id --price bid \\\n"
            "      --winner winner --reserve reserveprice --out tenders.csv --groups groups.csv \\\n"
            "      --label auction_cartelized",
        ),
        "epilog.screen.tsuchiura": (
            "  Tsuchiura 拍卖（标签 auction_cartelized；AUC，按中标人分组 5 折交叉验证，\n"
            "            拟合模型取折外结果）：仅报价 {prices}\n"
            "            （此前按固定方向拟合为 {before}；最佳价格筛查指标 {best_price} "
            "{best_price_auc}），\n"
            "            --reserve {reserve}，--bidder {bidders}，两者都给 {both}；\n"
            "            最佳单项筛查指标 {best} {best_auc}\n"
            "            （该标签标记的是所有投标人都参加过其中至少 30 场的拍卖：\n"
            "            把这些数字当作检出率之前，请先阅读 README）\n",
            "  Tsuchiura auctions (label auction_cartelized; AUC, 5 folds grouped by winner,\n"
            "            fitted models out-of-fold): prices only {prices} (fitted with\n"
            "            fixed directions before: {before}; best price screen {best_price} "
            "{best_price_auc}),\n"
            "            --reserve {reserve}, --bidder {bidders}, both {both}; best single "
            "screen {best} {best_auc}\n"
            "            (that label marks auctions whose bidders all bid in >= 30 of them: see\n"
            "            the README before reading these as detection rates)\n",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=t("help.screen.file"))
    p.add_argument("--tender", required=True, metavar="COL", help=t("help.screen.tender"))
    p.add_argument("--price", required=True, metavar="COL", help=t("help.screen.price"))
    p.add_argument("--bidder", metavar="COL", help=t("help.screen.bidder"))
    p.add_argument("--winner", metavar="COL", help=t("help.screen.winner"))
    p.add_argument("--reserve", metavar="COL", help=t("help.screen.reserve"))
    p.add_argument("--rejected", metavar="COL", help=t("help.screen.rejected"))
    p.add_argument("--agent", metavar="COL", help=t("help.screen.agent"))
    p.add_argument("--published", metavar="COL", help=t("help.screen.published"))
    p.add_argument("--deadline", metavar="COL", help=t("help.screen.deadline"))
    p.add_argument("--out", required=True, metavar="FILE", help=t("help.screen.out"))
    p.add_argument("--groups", metavar="FILE", help=t("help.screen.groups"))
    p.add_argument("--label", metavar="COL", help=t("help.screen.label"))
    p.add_argument("--warn-share", type=share, metavar="X", help=t("help.screen.warn_share"))
    from detectors.screening.score import MODEL_NAMES

    p.add_argument(
        "--score-model",
        choices=MODEL_NAMES,
        metavar="MODEL",
        help=t("help.screen.score_model") + f" ({', '.join(MODEL_NAMES)})",
    )
    p.add_argument("--no-progress", action="store_true", help=t("help.screen.no_progress"))
    p.epilog = t("epilog.screen", tsuchiura=_tsuchiura_figures())


def _tsuchiura_figures() -> str:
    """The shipped model's cross-validated AUCs, as the --help states them."""
    from detectors.screening.features import FEATURES
    from detectors.screening.fitted import BASELINE, REPORT, SINGLE

    best = max((v[2], k) for k, v in SINGLE.items() if v is not None)
    best_price = max(
        (v[2], k) for k, v in SINGLE.items() if v is not None and FEATURES[k].needs == "prices"
    )
    cv = {k: f"{v['cv_auc']:.3f}" for k, v in REPORT.items()}
    return t(
        "epilog.screen.tsuchiura",
        prices=cv["prices"],
        before=f"{BASELINE['cv_auc']:.3f}",
        best_price=best_price[1],
        best_price_auc=f"{best_price[0]:.3f}",
        reserve=cv["prices+reserve"],
        bidders=cv["prices+bidders"],
        both=cv["prices+bidders+reserve"],
        best=best[1],
        best_auc=f"{best[0]:.3f}",
    )


def _examples(rows: Sequence[tuple[int, str, str]]) -> str:
    """'line 5 '1,23,4' (digits not grouped in threes); line 9 ...': where to look."""
    sep = "；" if t("screen.example", line=0).startswith("第") else "; "
    return sep.join(
        t("screen.example_why", line=line, cell=repr(cell), why=why)
        if why
        else t("screen.example_cell", line=line, cell=repr(cell))
        if cell
        else t("screen.example", line=line)
        for line, cell, why in rows
    )


def run(args: argparse.Namespace) -> int:
    from detectors.screening.batch import GROUP_COLUMNS, TENDER_COLUMNS, screen
    from detectors.screening.table import NOTE_REASONS, SKIP_REASONS, Columns
    from witness.commands.common import load_settings

    path = Path(args.file)
    if not path.is_file():
        raise InputFileError.missing(args.file)  # one line and exit 2, at the front door
    for out in filter(None, (args.out, args.groups)):
        check_out(out)  # before minutes of work, not after
    settings = load_settings()
    progress = not args.no_progress and path.stat().st_size > PROGRESS_BYTES
    columns = Columns(**{attr: getattr(args, attr) for attr in COLUMN_OPTIONS})
    needs = {"bidders": ("--bidder", columns.bidder), "reserve": ("--reserve", columns.reserve)}
    missing = [needs[p][0] for p in (args.score_model or "").split("+")[1:] if not needs[p][1]]
    if missing:
        say("screen.model_needs", model=args.score_model, missing=", ".join(missing))
        return 2
    try:
        table = read_table(path, columns, progress=progress)
    except ColumnError as exc:
        say(
            "screen.missing_column",
            column=exc.column,
            option=exc.option,
            file=exc.file,
            columns=exc.columns,
        )
        return 2
    say("screen.read", rows=table.rows, tenders=len(table.tenders))
    for kind, counts, reasons in (
        ("skip", table.skipped, SKIP_REASONS),
        ("note", table.noted, NOTE_REASONS),
    ):
        for reason in reasons:
            if counts[reason]:
                say(f"screen.{kind}.{reason}", n=counts[reason])
                say("screen.examples", items=_examples(table.examples.get(reason, [])))
    if columns.bidder is None:
        say("screen.no_bidder_column")
    empty = sum(1 for tender in table.tenders.values() if not tender.bids)
    if empty:
        say("screen.no_bids", n=empty)

    def bar(items, stage, total):  # a stage the detector names ("groups"), in the locale
        return progress_bar(
            items,
            desc=t(f"screen.progress.{stage}"),
            total=total,
            unit=t("screen.progress.tenders"),
            enabled=progress,
        )

    result = screen(
        table,
        settings.thresholds,
        warn_share=args.warn_share,
        progress=bar,
        model=args.score_model,
    )
    write_csv(args.out, TENDER_COLUMNS, result.tenders)
    flagged = sum(1 for r in result.tenders if r["flags"])
    say(
        "screen.done",
        tenders=len(result.tenders),
        out=args.out,
        flagged=flagged,
        model=result.model,
    )
    if result.reversed:
        say("screen.reversed", names=", ".join(result.reversed))
    rings = sum(1 for g in result.groups if g["flags"])
    if args.groups:
        write_csv(args.groups, GROUP_COLUMNS, result.groups)
        say("screen.groups", groups=len(result.groups), out=args.groups, rings=rings)
    elif columns.bidder is not None:
        say("screen.groups_hint", rings=rings)
    _print_shares(result, args.warn_share)
    if args.label:
        _print_aucs(result, args.label)
    return 0


def _print_shares(result, warn_share: float | None) -> None:
    from detectors.screening.batch import WARN_SHARE

    limit = warn_share if warn_share is not None else WARN_SHARE
    say("screen.shares")
    for s in result.shares:
        c = result.cuts.get(s.rule)
        cut = (
            t("screen.cut", source=t(f"screen.cut.{c.source}"), value=f"{c.value:.4g}")
            if c is not None
            else ""
        )
        say("screen.share_line", rule=s.rule, n=s.tenders, share=s.share, cut=cut)
        if s.rule == "PRICE-40-4" and result.identical_tenders:
            say("screen.identical", n=result.identical_tenders)
    for s in result.shares:
        if s.warn:
            say("screen.warn_share", rule=s.rule, share=s.share, limit=limit)


def _print_aucs(result, label: str) -> None:
    from detectors.screening.batch import FLAG_RULES, SCREEN_COLUMNS
    from detectors.screening.features import FEATURES
    from detectors.screening.metrics import auc

    labels = [r["_label"] for r in result.tenders]
    # the README's and fitted.py's single-screen AUCs are in the literature direction, so a
    # user comparing "cv 0.03" printed raw with the README's 0.55 is not misled
    sign = {c: FEATURES[c].direction for c in SCREEN_COLUMNS} | {"score": 1}
    lower = ", ".join(c for c in SCREEN_COLUMNS if sign[c] < 0)
    say("screen.auc", label=label, lower=lower)
    values = {
        c: auc([None if r[c] is None else sign[c] * r[c] for r in result.tenders], labels)
        for c in sign
    }
    for rule_id in FLAG_RULES:
        values[rule_id] = auc(
            [float(rule_id in r["flags"].split(";")) for r in result.tenders], labels
        )
    for name, value in values.items():
        shown = "-" if value is None else f"{value[0]:.3f} (n={value[1]})"
        print(f"  {name:15} {shown}", file=sys.stderr)
