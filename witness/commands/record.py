"""`witness record`: the project's witness record (见证记录) or an alert's referral letter."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from hashlib import sha256
from pathlib import Path

from witness.i18n import register, t

HELP = (
    "见证记录：生成项目的见证记录（PDF 或 HTML），其哈希写入项目哈希链；也可离线依据事件文件或归档包生成，或为已移交的告警生成移交函/督办单",
    "the project's witness record (PDF or HTML), its hash appended to the project's chain; "
    "also offline from an events file or an archive bundle, or a referral letter for a referred alert",
)

register(
    {
        "record.made": (
            "已生成见证记录 {out}（{size} 字节，SHA-256 {sha}），已写入项目 {project} 哈希链第 {seq} 条。",
            "made the witness record {out} ({size} bytes, SHA-256 {sha}); appended to project {project}'s chain as record {seq}.",
        ),
        "record.same": (
            "已写出 {out}：与链上第 {seq} 条记录相同（自那以后链无变化），未重复写入。SHA-256 {sha}",
            "wrote {out}: the same document as chain record {seq} (the chain has not changed since), not appended again. SHA-256 {sha}",
        ),
        "record.referral": (
            "已生成{what} {out}（SHA-256 {sha}），已写入项目 {project} 哈希链第 {seq} 条。",
            "made the {what} {out} (SHA-256 {sha}); appended to project {project}'s chain as record {seq}.",
        ),
        "record.offline": (
            "已离线生成见证记录 {out}（SHA-256 {sha}）；离线记录不写入任何哈希链。",
            "made the witness record {out} offline (SHA-256 {sha}); offline records are not in any hash chain.",
        ),
        "record.bundle_bad": (
            "注意：归档包未通过校验（{problem}）；记录中已注明。",
            "note: the bundle did not verify ({problem}); the record says so.",
        ),
        "record.bad_line": (
            "第 {line} 行无效，已列入记录的死信部分：{reason}",
            "line {line} is bad, listed under dead letters: {reason}",
        ),
        "record.replayed": (
            "重放 {events} 个事件，得到 {alerts} 条告警",
            "replayed {events} events, {alerts} alerts",
        ),
        "record.wrong_project": (
            "告警 {alert} 属于项目 {other}，不是 {project}",
            "alert {alert} is of project {other}, not {project}",
        ),
        "record.list_head": (
            "项目 {project} 的已生成文件：",
            "documents made for project {project}:",
        ),
        "record.list_none": (
            "项目 {project} 尚无已生成文件。",
            "no documents made for project {project} yet.",
        ),
        "record.error": ("无法生成：{reason}", "cannot make it: {reason}"),
        "record.kind.record": ("见证记录", "witness record"),
        "record.kind.supervisor": ("移交函", "referral letter"),
        "record.kind.committee": ("督办单", "request to the committee"),
    }
)


register(
    {
        "help.record.project": ("项目编号，例如 JY-2026-0012", "project id, e.g. JY-2026-0012"),
        "help.record.out": (
            "输出文件（默认按项目、链位置和格式命名，写在当前目录）",
            "output file (default: named by project, chain position and format, in this folder)",
        ),
        "help.record.format": (
            "pdf | html（默认按 --out 的扩展名，.html/.htm 为 html，否则 pdf）",
            "pdf | html (default: from --out's extension, .html/.htm is html, else pdf)",
        ),
        "help.record.events": (
            "离线：依据事件文件生成（像 witness replay 一样重新运行检测器；不写入哈希链）",
            "offline: from an events file (detectors re-run like witness replay; not chained)",
        ),
        "help.record.bundle": (
            "离线：依据归档包生成（先校验归档包；不写入哈希链）",
            "offline: from an archive bundle (verified first; not chained)",
        ),
        "help.record.referral": (
            "为已移交的告警生成移交函（--to supervisor）或督办单（--to committee）",
            "a referral letter for a referred alert: to the supervisor (default) or the committee",
        ),
        "help.record.list": (
            "列出项目已生成的记录与函件",
            "list the documents made for the project",
        ),
        "help.record.to": (
            "与 --referral 一起用：supervisor 生成移交函（默认），committee 生成督办单",
            "with --referral: supervisor for a referral letter (default), "
            "committee for a request to the committee",
        ),
        "epilog.record": (
            "示例：\n"
            "  witness record JY-2026-0012                          # 依据存储库生成 PDF，哈希写入链\n"
            "  witness record JY-2026-0012 --format html --out r.html\n"
            "  witness record JY-2026-0012 --events events.jsonl    # 离线生成，重新运行检测器\n"
            "  witness record JY-2026-0012 --bundle JY-2026-0012.witness.zip\n"
            "  witness record JY-2026-0012 --referral ALERT_ID --to committee\n"
            "  witness archive verify JY-2026-0012.witness.zip --record JY-2026-0012.record.57.zh-CN.pdf\n"
            "\n"
            "WITNESS_LOCALE=en 切换为英文；WITNESS_RECORD_FONT 指定中文 TrueType 字体\n"
            "（默认：已安装 WenQuanYi Zen Hei 时用它，否则用内置的 STSong-Light）。",
            "examples:\n"
            "  witness record JY-2026-0012                          # PDF from the store, hash chained\n"
            "  witness record JY-2026-0012 --format html --out r.html\n"
            "  witness record JY-2026-0012 --events events.jsonl    # offline, detectors re-run\n"
            "  witness record JY-2026-0012 --bundle JY-2026-0012.witness.zip\n"
            "  witness record JY-2026-0012 --referral ALERT_ID --to committee\n"
            "  witness archive verify JY-2026-0012.witness.zip --record JY-2026-0012.record.57.zh-CN.pdf\n"
            "\n"
            "WITNESS_LOCALE=en for English; WITNESS_RECORD_FONT selects the Chinese TrueType font\n"
            "(default: WenQuanYi Zen Hei if installed, else the built-in STSong-Light).",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", metavar="PROJECT", help=t("help.record.project"))
    p.add_argument("--out", help=t("help.record.out"))
    p.add_argument("--format", choices=("pdf", "html"), help=t("help.record.format"))
    src = p.add_mutually_exclusive_group()
    src.add_argument("--events", metavar="FILE.jsonl", help=t("help.record.events"))
    src.add_argument("--bundle", metavar="FILE.zip", help=t("help.record.bundle"))
    src.add_argument("--referral", metavar="ALERT_ID", help=t("help.record.referral"))
    src.add_argument("--list", action="store_true", help=t("help.record.list"))
    p.add_argument(
        "--to", choices=("supervisor", "committee"), default="supervisor", help=t("help.record.to")
    )
    p.epilog = t("epilog.record")


def _write(out: str, content: bytes) -> None:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _offline_from_events(args, settings, gap: float) -> tuple[bytes, str]:
    """Read the file (bad lines of this project kept as its dead letters), replay, render."""
    from detectors.offline import replay
    from witness.events import ContractError, parse_event
    from witness.jsonl import opened, read_lines
    from witness.record import from_events, render_record

    digest = sha256()
    events, bad = [], []
    with opened(args.events) as src:
        for number, line in read_lines(src):
            digest.update(line + b"\n")
            try:
                events.append(parse_event(line, line=number))
            except ContractError as exc:
                if _mentions(line, args.project):
                    bad.append((number, exc.describe()))
                    print(
                        t("record.bad_line", line=number, reason=exc.describe(line=False)),
                        file=sys.stderr,
                    )
    alerts = replay(events, thresholds=settings.thresholds, locale=settings.locale)
    print(t("record.replayed", events=len(events), alerts=len(alerts)), file=sys.stderr)
    inp = from_events(
        args.project,
        events,
        alerts,
        file_name=Path(args.events).name,
        file_sha256=_file_sha256(args.events) or digest.hexdigest(),
        bad_lines=bad,
        gap_seconds=gap,
    )
    return render_record(inp, fmt=args.format, locale=settings.locale), ""


def _file_sha256(path: str) -> str | None:
    """The file's SHA-256 (None for standard input: its lines are hashed instead)."""
    if path == "-":
        return None
    h = sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _mentions(line, project: str) -> bool:
    """A bad line belongs to the project if it names it, or if nothing can be read of it."""
    try:
        obj = json.loads(line)
    except (ValueError, TypeError):
        return True
    return not isinstance(obj, dict) or obj.get("project_id") in (project, None)


def format_of(out: str | None) -> str:
    """html for an .html/.htm output file, else pdf (the default of a record)."""
    return "html" if out and out.lower().endswith((".html", ".htm")) else "pdf"


def run(args: argparse.Namespace) -> int:
    from detectors.video import offline_seconds
    from witness.commands.common import existing_store, load_settings
    from witness.errors import WitnessError
    from witness.record import RecordError, from_bundle, make_record, make_referral, render_record

    settings = load_settings()
    locale = settings.locale
    gap = offline_seconds(settings.thresholds)
    # `--out r.html` wrote PDF bytes into r.html: without --format, the name decides.
    args.format = args.format or format_of(args.out)
    try:
        if args.events or args.bundle:
            if args.events:
                content, _ = _offline_from_events(args, settings, gap)
            else:
                inp = from_bundle(args.bundle, gap_seconds=gap)
                if inp.project_id != args.project:
                    raise RecordError(
                        t(
                            "record.other_bundle",
                            bundle=args.bundle,
                            other=inp.project_id,
                            project=args.project,
                        )
                    )
                if inp.chain.verified is False:
                    print(t("record.bundle_bad", problem=inp.chain.fault), file=sys.stderr)
                content = render_record(inp, fmt=args.format, locale=locale)
            out = args.out or f"{args.project}.record.offline.{locale}.{args.format}"
            _write(out, content)
            print(t("record.offline", out=out, sha=sha256(content).hexdigest()))
            return 0

        store = existing_store(settings.database_url)
        made_by = f"cli:{getpass.getuser()}"
        if args.list:
            return _list(store, args.project)
        if args.referral:
            from witness.store.models import AlertRow

            with store.session() as s:
                row = s.get(AlertRow, args.referral)
            if row is not None and row.project_id != args.project:
                raise RecordError(
                    t(
                        "record.wrong_project",
                        alert=args.referral,
                        other=row.project_id,
                        project=args.project,
                    )
                )
            doc, _ = make_referral(
                store, args.referral, to=args.to, fmt=args.format, locale=locale, made_by=made_by
            )
            out = args.out or doc.filename
            _write(out, doc.content)
            what = t(f"record.kind.{args.to}")
            print(
                t(
                    "record.referral",
                    what=what,
                    out=out,
                    sha=doc.sha256,
                    project=args.project,
                    seq=doc.chain_seq,
                )
            )
            return 0
        doc, new = make_record(
            store, args.project, fmt=args.format, locale=locale, made_by=made_by, gap_seconds=gap
        )
        out = args.out or doc.filename
        _write(out, doc.content)
        key = "record.made" if new else "record.same"
        print(
            t(key, out=out, size=doc.size, sha=doc.sha256, project=args.project, seq=doc.chain_seq)
        )
        return 0
    except (WitnessError, OSError) as exc:
        print(t("record.error", reason=exc), file=sys.stderr)
        return 1


def _list(store, project: str) -> int:
    from witness.store.generated import listing

    rows = listing(store, project)
    if not rows:
        print(t("record.list_none", project=project))
        return 0
    print(t("record.list_head", project=project))
    for r in rows:
        print(
            f"  {r.created_at:%Y-%m-%d %H:%M:%S}  {r.doc:8} {r.format:4} {r.locale:5} "
            f"chain #{r.chain_seq:<5} {r.sha256[:16]}  {r.filename}  ({r.made_by})"
        )
    return 0
