"""`witness ingest-doc FILE --project P --bidder B`: a bid or tender document as an event.

Extracts text and metadata (witness/documents_extract.py) and builds a
`document.submitted` event; appends it to `--out` as one JSON line, or publishes it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from witness.commands.common import add_event_arguments, write_or_publish
from witness.events import ContractError, Event, derived_id, make_event
from witness.i18n import register, t

HELP = (
    "抽取投标/招标文件（PDF、DOCX）的文本与元数据，生成 document.submitted 事件并发布或写入文件",
    "extract text and metadata from a bid or tender document (PDF, DOCX) into a "
    "document.submitted event; publish it or append it to a file",
)

register(
    {
        "ingest_doc.unreadable": ("无法读取 {file}：{reason}", "cannot read {file}: {reason}"),
        "ingest_doc.warning": ("注意 {file}：{warning}", "note on {file}: {warning}"),
        "ingest_doc.invalid": ("事件不合规：{reason}", "event breaks the contract: {reason}"),
        "ingest_doc.written": (
            "已写入 {out}：文件 {doc_id}（{kind}，{chars} 字，作者 {author}）",
            "appended to {out}: document {doc_id} ({kind}, {chars} characters, author {author})",
        ),
        "ingest_doc.published": (
            "已发布文件 {doc_id}（{kind}，{chars} 字）",
            "published document {doc_id} ({kind}, {chars} characters)",
        ),
        "ingest_doc.empty": (
            "警告：{file} 未抽取到文本（扫描件？），仅元数据可比对",
            "warning: no text found in {file} (a scan?); only its metadata can be compared",
        ),
    }
)


register(
    {
        "help.ingest_doc.file": (
            "PDF 或 DOCX 文件（按内容识别类型）",
            "PDF or DOCX file (the type is read from the content)",
        ),
        "help.ingest_doc.project": ("项目编号，例如 JY-2026-0012", "project id, e.g. JY-2026-0012"),
        "help.ingest_doc.bidder": (
            "文件所属方：投标人编号（统一社会信用代码），或 'tender' 表示招标文件",
            "owner: the bidder's id (统一社会信用代码), or 'tender' for the tender document",
        ),
        "help.ingest_doc.kind": (
            "文件类别（默认：--bidder tender 时为 tender，否则为 technical）",
            "document kind (default: tender for --bidder tender, else technical)",
        ),
        "help.ingest_doc.doc_id": (
            "文件编号（默认：PROJECT:BIDDER:sha256 前 12 位）",
            "document id (default: PROJECT:BIDDER:first 12 of sha256)",
        ),
        "epilog.ingest_doc": (
            "示例：\n"
            "  witness ingest-doc 招标文件.pdf --project JY-2026-0012 --bidder tender --out ev.jsonl\n"
            "  witness ingest-doc 技术标.docx --project JY-2026-0012 --bidder 91310000MA1K000000\n"
            "读取的元数据：author、last_modified_by、created、modified、creator/producer、\n"
            "DOCX 的 w:rsidRoot（word/settings.xml）、PDF XMP 的 xmpMM:DocumentID，以及文件的 sha256。\n"
            "退出码：0 完成，2 文件无法读取、已加密、格式不支持，或参数错误",
            "examples:\n"
            "  witness ingest-doc 招标文件.pdf --project JY-2026-0012 --bidder tender --out ev.jsonl\n"
            "  witness ingest-doc 技术标.docx --project JY-2026-0012 --bidder 91310000MA1K000000\n"
            "metadata read: author, last_modified_by, created, modified, creator/producer,\n"
            "DOCX w:rsidRoot (word/settings.xml), PDF XMP xmpMM:DocumentID; plus the file's sha256.\n"
            "exit code: 0 done, 2 unreadable/encrypted/unsupported file or bad arguments",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=t("help.ingest_doc.file"))
    p.add_argument("--project", required=True, help=t("help.ingest_doc.project"))
    p.add_argument("--bidder", required=True, help=t("help.ingest_doc.bidder"))
    p.add_argument(
        "--kind", choices=("technical", "commercial", "tender"), help=t("help.ingest_doc.kind")
    )
    p.add_argument("--doc-id", help=t("help.ingest_doc.doc_id"))
    add_event_arguments(p)
    p.epilog = t("epilog.ingest_doc")


def build_event(args: argparse.Namespace, extracted) -> Event:
    kind = args.kind or ("tender" if args.bidder == "tender" else "technical")
    doc_id = args.doc_id or f"{args.project}:{args.bidder}:{extracted.sha256[:12]}"
    ts = args.ts or datetime.now(UTC).isoformat()
    payload = {
        "doc_id": doc_id,
        "owner": args.bidder,
        "kind": kind,
        "text": extracted.text,
        "metadata": extracted.metadata,
        "sha256": extracted.sha256,
        "file_type": extracted.kind,
    }
    return make_event(
        "document.submitted",
        args.project,
        ts,
        payload,
        event_id=derived_id("document.submitted", args.project, doc_id, extracted.sha256[:16]),
        source="witness ingest-doc",
    )


def run(args: argparse.Namespace) -> int:
    from witness.documents_extract import ExtractError, extract_file

    try:
        extracted = extract_file(args.file)
    except ExtractError as exc:
        print(t("ingest_doc.unreadable", file=args.file, reason=exc.message), file=sys.stderr)
        return 2
    for warning in extracted.warnings:
        print(t("ingest_doc.warning", file=args.file, warning=warning), file=sys.stderr)
    if not extracted.text.strip():
        print(t("ingest_doc.empty", file=args.file), file=sys.stderr)
    try:
        event = build_event(args, extracted)
    except ContractError as exc:
        print(t("ingest_doc.invalid", reason=exc.describe()), file=sys.stderr)
        return 2
    info = {
        "doc_id": event.payload.doc_id,
        "kind": extracted.kind,
        "chars": len(extracted.text),
        "author": extracted.metadata.get("author") or "-",
    }
    if write_or_publish(args, event):
        print(t("ingest_doc.written", out=args.out, **info), file=sys.stderr)
    else:
        print(
            t("ingest_doc.published", **{k: info[k] for k in ("doc_id", "kind", "chars")}),
            file=sys.stderr,
        )
    return 0
