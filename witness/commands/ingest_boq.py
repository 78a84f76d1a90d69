"""`witness ingest-boq FILE --project P --bidder B`: a priced bill of quantities as an event.

Reads the bill (witness/boq_read.py), marks the items the tender fixes by name
(thresholds [BOQ] fixed_names), and builds a `boq.submitted` event; appends it to
`--out` as one JSON line, or publishes it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from witness.commands.common import add_event_arguments, load_settings, write_or_publish
from witness.events import ContractError, Event, derived_id, make_event
from witness.i18n import register, t

HELP = (
    "读取已标价工程量清单（XLSX、CSV），生成 boq.submitted 事件并发布或写入文件（清标）",
    "read a priced bill of quantities (XLSX, CSV) into a boq.submitted event; "
    "publish it or append it to a file",
)

register(
    {
        "ingest_boq.unreadable": ("无法读取 {file}：{reason}", "cannot read {file}: {reason}"),
        "ingest_boq.invalid": ("事件不合规：{reason}", "event breaks the contract: {reason}"),
        "ingest_boq.summary": (
            "读取 {items} 个清单项（{sheets}），其中招标人固定项 {fixed} 个，计价软件 {software}",
            "read {items} items ({sheets}), {fixed} fixed by the tender, pricing software {software}",
        ),
        "ingest_boq.written": ("已写入 {out}：清单 {doc_id}", "appended to {out}: bill {doc_id}"),
        "ingest_boq.published": ("已发布清单 {doc_id}", "published bill {doc_id}"),
    }
)


register(
    {
        "help.ingest_boq.file": (
            "XLSX 或 CSV 文件（按内容识别类型）",
            "XLSX or CSV file (the type is read from the content)",
        ),
        "help.ingest_boq.project": ("项目编号，例如 JY-2026-0012", "project id, e.g. JY-2026-0012"),
        "help.ingest_boq.bidder": (
            "清单所属方：投标人编号（统一社会信用代码），或 'tender' 表示招标控制价清单",
            "owner: the bidder's id (统一社会信用代码), or 'tender' for the control bill (招标控制价)",
        ),
        "help.ingest_boq.columns": (
            "按指定列读取，不自动识别表头：FIELD=COLUMN,...，FIELD 取 "
            "code、name、unit、quantity、unit_price、total、labour、material、machine、"
            "management、profit 之一，COLUMN 为列字母（F）、列号（6）或表头文字（综合单价）",
            "column layout instead of header detection: FIELD=COLUMN,... with FIELD one of "
            "code, name, unit, quantity, unit_price, total, labour, material, machine, management, "
            "profit and COLUMN a letter (F), a number (6) or the header text (综合单价)",
        ),
        "help.ingest_boq.doc_id": (
            "清单编号（默认：PROJECT:BIDDER:boq:sha256 前 12 位）",
            "bill id (default: PROJECT:BIDDER:boq:first 12 of sha256)",
        ),
        "help.ingest_boq.software": (
            "计价软件名称（默认：从文件读取）",
            "pricing software name (default: read from the file)",
        ),
        "help.ingest_boq.software_version": ("计价软件版本", "its version"),
        "help.ingest_boq.lock_id": (
            "计价软件的加密锁号（默认：从文件读取）",
            "加密锁号 of the pricing software (default: from the file)",
        ),
        "help.ingest_boq.machine_code": (
            "为清单计价的计算机的机器码",
            "机器码 of the computer that priced the bill",
        ),
        "epilog.ingest_boq": (
            "示例：\n"
            "  witness ingest-boq 招标控制价.xlsx --project JY-2026-0012 --bidder tender --out ev.jsonl\n"
            "  witness ingest-boq 投标报价.xlsx --project JY-2026-0012 --bidder 91310000MA1K000000\n"
            "  witness ingest-boq bill.csv --project P --bidder B \\\n"
            "      --columns code=A,name=B,unit=C,quantity=D,unit_price=E,total=F\n"
            "自动识别的表头：项目编码 项目名称 计量单位 工程量 综合单价 合价\n"
            "（表中有的话还有 人工费 材料费 机械费 管理费 利润），在每个工作表的前 40 行中查找，\n"
            "支持两行表头。没有项目编码的行（分部标题、本页小计、合计）跳过。CSV：UTF-8 或 GBK。\n"
            "标为 加密锁号 / 机器码 / 计价软件 的单元格读作计价软件指纹。项目开标\n"
            "（opening.started）后 BOQ 规则评判已有的清单，此后到达的每份清单也都评判。\n"
            "退出码：0 完成，2 文件无法读取、单元格有误（逐个给出工作表、行和列）或参数错误",
            "examples:\n"
            "  witness ingest-boq 招标控制价.xlsx --project JY-2026-0012 --bidder tender --out ev.jsonl\n"
            "  witness ingest-boq 投标报价.xlsx --project JY-2026-0012 --bidder 91310000MA1K000000\n"
            "  witness ingest-boq bill.csv --project P --bidder B \\\n"
            "      --columns code=A,name=B,unit=C,quantity=D,unit_price=E,total=F\n"
            "headers found by themselves: 项目编码 项目名称 计量单位 工程量 综合单价 合价\n"
            "(and 人工费 材料费 机械费 管理费 利润 where the table has them), on every sheet,\n"
            "in the first 40 rows, two-row headers included. Rows without a code (sections,\n"
            "本页小计, 合计) are skipped. CSV: UTF-8 or GBK. Cells labelled 加密锁号 / 机器码 /\n"
            "计价软件 are read as the software fingerprint. BOQ rules judge the bills once\n"
            "the project's bids are opened (opening.started), and every bill after that.\n"
            "exit code: 0 done, 2 unreadable file, bad cells (each named by sheet, row and\n"
            "column) or bad arguments",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=t("help.ingest_boq.file"))
    p.add_argument("--project", required=True, help=t("help.ingest_boq.project"))
    p.add_argument("--bidder", required=True, help=t("help.ingest_boq.bidder"))
    p.add_argument("--columns", help=t("help.ingest_boq.columns"))
    p.add_argument("--doc-id", help=t("help.ingest_boq.doc_id"))
    p.add_argument("--software", help=t("help.ingest_boq.software"))
    p.add_argument("--software-version", help=t("help.ingest_boq.software_version"))
    p.add_argument("--lock-id", help=t("help.ingest_boq.lock_id"))
    p.add_argument("--machine-code", help=t("help.ingest_boq.machine_code"))
    add_event_arguments(p)
    p.epilog = t("epilog.ingest_boq")


def build_event(args: argparse.Namespace, bill, fixed_names: tuple[str, ...]) -> Event:
    doc_id = args.doc_id or f"{args.project}:{args.bidder}:boq:{bill.sha256[:12]}"
    software = dict(bill.software)
    for key, value in (
        ("name", args.software),
        ("version", args.software_version),
        ("lock_id", args.lock_id),
        ("machine_code", args.machine_code),
    ):
        if value:
            software[key] = value
    items = []
    for item in bill.items:
        name = item.get("name") or ""
        items.append({**item, "fixed": any(f in name for f in fixed_names if f)})
    payload = {
        "bidder_id": args.bidder,
        "doc_id": doc_id,
        "software": software or None,
        "items": items,
        "sha256": bill.sha256,
        "file_type": bill.kind,
    }
    return make_event(
        "boq.submitted",
        args.project,
        args.ts or datetime.now(UTC).isoformat(),
        payload,
        event_id=derived_id("boq.submitted", args.project, doc_id, bill.sha256[:16]),
        source="witness ingest-boq",
    )


def run(args: argparse.Namespace) -> int:
    from witness.boq_read import BoqReadError, parse_columns, read_file

    settings = load_settings()
    try:
        columns = parse_columns(args.columns) if args.columns else None
        bill = read_file(args.file, columns)
    except BoqReadError as exc:
        lines = str(exc).split("\n")
        if len(lines) == 1:  # one reason: on the line that names the file
            print(t("ingest_boq.unreadable", file=args.file, reason=lines[0]), file=sys.stderr)
        else:  # cells: each on a line of its own under the file
            head = t("ingest_boq.unreadable", file=args.file, reason="").rstrip()
            print(head, *lines, sep="\n", file=sys.stderr)
        return 2
    from detectors.boq.params import BoqSharedThresholds

    fixed_names = settings.thresholds.typed(BoqSharedThresholds).fixed_names
    try:
        event = build_event(args, bill, fixed_names)
    except ContractError as exc:
        print(t("ingest_boq.invalid", reason=exc.describe()), file=sys.stderr)
        return 2
    sw = event.payload.software
    print(
        t(
            "ingest_boq.summary",
            items=len(event.payload.items),
            sheets=", ".join(f"{k} {v}" for k, v in bill.sheets.items()),
            fixed=sum(1 for i in event.payload.items if i.fixed),
            software=" ".join(
                x for x in (sw.name, sw.version, sw.lock_id and f"锁 {sw.lock_id}") if x
            )
            if sw
            else "-",
        ),
        file=sys.stderr,
    )
    if write_or_publish(args, event, settings):
        print(t("ingest_boq.written", out=args.out, doc_id=event.payload.doc_id), file=sys.stderr)
    else:
        print(t("ingest_boq.published", doc_id=event.payload.doc_id), file=sys.stderr)
    return 0
