"""`witness archive`: export, verify and re-import tamper-evident project bundles."""

from __future__ import annotations

import argparse
import sys

from witness.errors import InputFileError
from witness.i18n import register, t

HELP = (
    "结构化归档：导出项目防篡改归档包、校验归档包或在线哈希链、导入归档包",
    "tamper-evident project bundles: export, verify (bundle or live chain), import",
)

register(
    {
        "archive.exported": (
            "已导出项目 {project} 到 {out}：{records} 条链上记录（事件 {events}，告警版本 {versions}，处理 {decisions}），当前告警 {alerts}，缩略图 {thumbs}；链头第 {head_seq} 条 {head}；保存至 {until}",
            "exported project {project} to {out}: {records} chained records (events {events}, alert versions {versions}, decisions {decisions}), {alerts} current alerts, {thumbs} thumbnails; chain head {head_seq} {head}; keep until {until}",
        ),
        "archive.ok": (
            "校验通过：{what} 共 {records} 条记录，哈希链完整，各文件哈希与清单一致，告警与处理记录和链一致。",
            "verified: {what} holds {records} records; the hash chain is intact, every part matches the manifest, alerts and decisions agree with the chain.",
        ),
        "archive.ok_live": (
            "校验通过：在线库中项目 {project} 的 {records} 条记录哈希链完整，告警与处理记录和链一致。",
            "verified: the live chain of project {project} ({records} records) is intact; alerts and decisions agree with it.",
        ),
        "archive.failed": (
            "校验失败：{what} 发现 {n} 处问题。",
            "verification FAILED: {what}: {n} problem(s).",
        ),
        "archive.first": (
            "首个出问题的记录：第 {seq} 条（类型 {kind}，编号 {ref}）",
            "first bad record: {seq} (kind {kind}, ref {ref})",
        ),
        "archive.hint": (
            "处理建议：不要使用此归档包作为证据；从原始库重新导出，或将此包与在线库（witness archive verify --live 项目编号）比对。",
            "what to do: do not rely on this bundle as evidence; export it again from the source store, or compare with the live chain (witness archive verify --live PROJECT).",
        ),
        "archive.ok_against_live": (
            "校验通过：{what} 完整，且每条记录的哈希与在线库项目 {project} 一致。",
            "verified: {what} is intact and every record's hash matches the live store's project {project}.",
        ),
        "archive.need_target": (
            "请给出归档包文件，或使用 --live 项目编号 校验在线库",
            "give a bundle file, or --live PROJECT to verify the live store",
        ),
        "archive.imported": (
            "已导入项目 {project}：{records} 条链上记录，{events} 个事件，{alerts} 条告警，{decisions} 条处理记录，{frames} 个画面，"
            "另有房间与登记信息链记录 {context} 条（重放所需）。可运行 witness replay --project {project} 重放。",
            "imported project {project}: {records} chained records, {events} events, {alerts} alerts, {decisions} decisions, {frames} frames, "
            "and {context} records of room and registry chains (what a replay needs). Replay with: witness replay --project {project}",
        ),
        "archive.context_skipped": (
            "注意：本库有记录器运行记录，是在线库：归档包中的房间画面与登记信息链片段未导入（以免与在线链混合），"
            "在此库中重放 {project} 将缺少它们；请用 witness archive replay 归档包 从包内重放。",
            "note: a recorder has reported in this store, so it is a live one: the bundle's "
            "stretches of room and registry chains were not imported (they would mix with the "
            "live chains), and a replay of {project} here lacks them; replay from the bundle "
            "with witness archive replay BUNDLE.",
        ),
        "archive.renumbered": (
            "注意：{n} 条处理记录的编号在目标库已被占用，已重新编号（链上记录保持原样）。",
            "note: {n} decision id(s) were taken in the target store and were renumbered (the chained records are unchanged).",
        ),
        "archive.replayed": (
            "归档包重放（项目 {project}，{events} 个事件，含房间画面与登记关系）：相同 {same}，变化 {changed}，新增 {new}，消失 {gone}",
            "bundle replay (project {project}, {events} events incl. room frames and registry facts): same {same}, changed {changed}, new {new}, gone {gone}",
        ),
        "archive.error": ("无法完成：{reason}", "cannot do this: {reason}"),
        "archive.ok_live_sealed": (
            "校验通过：在线库中项目 {project} 的哈希链完整，告警与处理记录和链一致（尚未开标：不显示记录数）。",
            "verified: the live chain of project {project} is intact; alerts and decisions agree "
            "with it (its bids are sealed: the number of records is not shown).",
        ),
        "archive.failed_sealed": (
            "校验失败：项目 {project} 的链上有记录被改动、删除或断开；尚未开标，开标后显示位置与内容。",
            "FAILED: a record of project {project}'s chain was altered, removed or unlinked; its "
            "bids are sealed, so where and what are shown after the opening.",
        ),
        "archive.record_ok_sealed": (
            "文件 {file} 是项目 {project} 哈希链上的{doc}，生成者 {by}（尚未开标：不显示在链上的位置）。",
            "{file} is a {doc} in project {project}'s chain, made by {by} (its bids are sealed: "
            "where in the chain is not shown).",
        ),
        "archive.record_ok": (
            "文件 {file} 与项目 {project} 哈希链第 {seq} 条记录相符：{doc}，依据链第 {covers} 条（{hash}…）生成，生成者 {by}。",
            "{file} matches record {seq} of project {project}'s chain: a {doc} made from chain record {covers} ({hash}…) by {by}.",
        ),
        "archive.record_bad": (
            "核验失败：文件 {file} 的 SHA-256 不在项目 {project} 的哈希链中——它在生成后被改动过，或不是该项目的记录。",
            "verification FAILED: the SHA-256 of {file} is not in project {project}'s chain: it was altered after it was made, or it is not this project's.",
        ),
        "archive.doc.record": ("见证记录", "witness record"),
        "archive.doc.referral": ("移交函/督办单", "referral letter"),
        "archive.retention": (
            "保存期限：至 {until}（{years} 年，可用 WITNESS_RETENTION_YEARS 设置；依据 政府采购法 第四十二条）。期限届满前不得删除。",
            "retention: until {until} ({years} years, set with WITNESS_RETENTION_YEARS; 政府采购法 第四十二条). Nothing may be deleted before then.",
        ),
    }
)


register(
    {
        "help.archive.export": (
            "把一个项目导出为自描述的归档包（zip）",
            "export one project as a self-describing bundle (zip)",
        ),
        "help.archive.project": ("项目编号，例如 JY-2026-0012", "project id, e.g. JY-2026-0012"),
        "help.archive.export.out": (
            "归档包文件（默认 PROJECT.witness.zip）",
            "bundle file (default PROJECT.witness.zip)",
        ),
        "help.archive.verify": (
            "校验归档包（或用 --live 校验在线库）；发现问题时退出码为 1",
            "check a bundle (or the live store with --live); exit code 1 on any fault",
        ),
        "help.archive.verify.bundle": ("要校验的归档包（zip）", "bundle zip to check"),
        "help.archive.verify.live": (
            "校验在线库中该项目的哈希链；同时给出 BUNDLE 时，逐条比对归档包与在线库",
            "verify the live store's chain; with BUNDLE, also hold the bundle against it",
        ),
        "help.archive.verify.record": (
            "同时核验一份见证记录或移交函：其 SHA-256 必须在（已校验的）项目哈希链中",
            "also check a witness record or referral letter: its SHA-256 must be in the (verified) chain",
        ),
        "help.archive.import": (
            "把校验通过的归档包原样导入当前配置的数据库",
            "re-import a verified bundle verbatim into the configured store",
        ),
        "help.archive.import.bundle": ("要导入的归档包（zip）", "bundle zip to import"),
        "help.archive.replay": (
            "校验归档包，用当前检测器重放其事件（含房间画面与登记关系），与包内告警对照；无需数据库",
            "verify a bundle, replay its events (with room frames and registry facts) "
            "through today's detectors and compare with its alerts; no database needed",
        ),
        "help.archive.replay.bundle": ("要重放的归档包（zip）", "bundle zip to replay"),
        "help.archive.replay.out": (
            "把重放得到的告警写为 JSON 行",
            "write the replayed alerts as JSON lines",
        ),
        "epilog.archive": (
            "示例：\n"
            "  witness archive export JY-2026-0012 --out JY-2026-0012.zip\n"
            "  witness archive verify JY-2026-0012.zip        # 退出码 0 = 完整，1 = 被改动\n"
            "  witness archive verify --live JY-2026-0012     # 校验在线库的哈希链\n"
            "  witness archive verify B.zip --live JY-2026-0012  # 把归档包与在线库的链逐条比对\n"
            "  witness archive verify B.zip --record R.pdf       # R.pdf 是否为 B 链上的记录？\n"
            "  WITNESS_DATABASE_URL=sqlite:///audit.db witness archive import JY-2026-0012.zip\n"
            "  witness replay --project JY-2026-0012          # 然后从导入的库重放\n"
            "  witness archive replay JY-2026-0012.zip        # 或直接重放归档包本身\n"
            "\n"
            "verify 的退出码：0 完整，1 被改动，2 找不到文件或参数有误（不是被改动）。\n"
            "WITNESS_DATABASE_URL 选择存储库；WITNESS_RETENTION_YEARS 设置保存年限（默认 15）。",
            "examples:\n"
            "  witness archive export JY-2026-0012 --out JY-2026-0012.zip\n"
            "  witness archive verify JY-2026-0012.zip        # exit 0 = intact, 1 = altered\n"
            "  witness archive verify --live JY-2026-0012     # the live database's chain\n"
            "  witness archive verify B.zip --live JY-2026-0012  # the bundle against the live chain\n"
            "  witness archive verify B.zip --record R.pdf       # is R.pdf a record chained in B?\n"
            "  WITNESS_DATABASE_URL=sqlite:///audit.db witness archive import JY-2026-0012.zip\n"
            "  witness replay --project JY-2026-0012          # then replay from the imported store\n"
            "  witness archive replay JY-2026-0012.zip        # or replay the bundle itself\n"
            "\n"
            "verify exits 0 intact, 1 altered, 2 no such file or bad arguments (not altered).\n"
            "WITNESS_DATABASE_URL selects the store; WITNESS_RETENTION_YEARS the retention (default 15).",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt = {"formatter_class": p.formatter_class}
    e = sub.add_parser("export", help=t("help.archive.export"), **fmt)
    e.add_argument("project", metavar="PROJECT", help=t("help.archive.project"))
    e.add_argument("--out", help=t("help.archive.export.out"))
    v = sub.add_parser("verify", help=t("help.archive.verify"), **fmt)
    v.add_argument("bundle", nargs="?", metavar="BUNDLE", help=t("help.archive.verify.bundle"))
    v.add_argument("--live", metavar="PROJECT", help=t("help.archive.verify.live"))
    v.add_argument("--record", metavar="FILE", help=t("help.archive.verify.record"))
    i = sub.add_parser("import", help=t("help.archive.import"), **fmt)
    i.add_argument("bundle", metavar="BUNDLE", help=t("help.archive.import.bundle"))
    r = sub.add_parser("replay", help=t("help.archive.replay"), **fmt)
    r.add_argument("bundle", metavar="BUNDLE", help=t("help.archive.replay.bundle"))
    r.add_argument("--out", help=t("help.archive.replay.out"))
    p.epilog = t("epilog.archive")


def _print_report(report, what: str) -> int:
    if report.ok:
        return 0
    print(t("archive.failed", what=what, n=len(report.problems)))
    first = report.first_record_fault
    if first is not None:
        print(t("archive.first", seq=first.seq, kind=first.kind, ref=first.ref))
    for prob in report.problems:
        print(f"  - {prob.message()}")
    print(t("archive.hint"))
    return 1


def _bundle_links(path: str) -> list:
    from witness import archive

    parts, _ = archive.read_parts(path)
    records, _ = archive.parse_records(parts.get("ledger.jsonl", b""))
    return records


def _check_record(
    args: argparse.Namespace, links: list, project: str, *, sealed: bool = False
) -> int:
    """With --record: is the file one of the documents chained in this (verified) chain?
    While the project is `sealed`, where it sits is not said (a seq counts records)."""
    if not args.record:
        return 0
    from pathlib import Path

    from witness.archive.generated_parts import find

    data = Path(args.record).read_bytes()
    hit = find(links, data)
    if hit is None:
        print(t("archive.record_bad", file=args.record, project=project))
        return 1
    if sealed:
        doc = t(f"archive.doc.{hit.doc}")
        by = hit.made_by
        print(t("archive.record_ok_sealed", file=args.record, project=project, doc=doc, by=by))
        return 0
    print(
        t(
            "archive.record_ok",
            file=args.record,
            project=project,
            seq=hit.seq,
            doc=t(f"archive.doc.{hit.doc}"),
            covers=hit.covers_seq,
            hash=hit.covers_hash[:16],
            by=hit.made_by,
        )
    )
    return 0


def _replay(args: argparse.Namespace, settings) -> int:
    """Replay a bundle offline and show recorded vs replayed alerts side by side."""
    from detectors.offline import compare, replay
    from witness import archive
    from witness.commands.replay import print_comparison

    report = archive.verify_bundle(args.bundle)
    if not report.ok:
        return _print_report(report, args.bundle)
    parts, _ = archive.read_parts(args.bundle)
    project = report.manifest["project_id"]
    events = archive.bundle_events(parts)
    live = archive.bundle_alerts(parts)
    now = replay(events, thresholds=settings.thresholds, locale=settings.locale)
    mine = [a for a in now if a.project_id == project]
    cmp = compare(live, mine)
    print(
        t(
            "archive.replayed",
            project=project,
            events=len(events),
            same=len(cmp.same),
            changed=len(cmp.changed),
            new=len(cmp.new),
            gone=len(cmp.gone),
        )
    )
    print_comparison(cmp, file=sys.stdout)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for a in mine:
                f.write(a.to_json() + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    from witness import archive
    from witness.commands.common import existing_store, load_settings
    from witness.store import Store

    settings = load_settings()
    try:
        if args.action == "export":
            years = archive.retention_years()
            store = existing_store(settings.database_url)
            out = args.out or f"{args.project}.witness.zip"
            m = archive.export_bundle(store.engine, args.project, out, years=years)
            c = m["counts"]
            print(
                t(
                    "archive.exported",
                    project=args.project,
                    out=out,
                    records=c["records"],
                    events=c["events"],
                    versions=c["alert_versions"],
                    decisions=c["decisions"],
                    alerts=c["alerts"],
                    thumbs=c["thumbnails"],
                    head_seq=m["chain"]["head_seq"],
                    head=m["chain"]["head_hash"][:16],
                    until=m["retention_until"],
                )
            )
            print(t("archive.retention", until=m["retention_until"], years=years))
            return 0
        if args.action == "verify":
            if args.live and args.bundle:
                store = existing_store(settings.database_url, migrate=False)
                report = archive.verify_bundle(args.bundle)
                if report.ok:
                    parts, _ = archive.read_parts(args.bundle)
                    report.problems += archive.compare_with_live(store.engine, parts, args.live)
                if report.ok:
                    print(t("archive.ok_against_live", what=args.bundle, project=args.live))
                    return _check_record(args, _bundle_links(args.bundle), args.live)
                return _print_report(report, args.bundle)
            if args.live:
                store = existing_store(settings.database_url, migrate=False)
                if not store.knows(args.live):  # a wrong id, not an altered chain: exit 2
                    no_records = t("archive.no_records", project=args.live)
                    print(t("archive.error", reason=no_records), file=sys.stderr)
                    return 2
                report = archive.verify_live(store.engine, args.live)
                # Before the opening nothing may count bids (DESIGN §5): no record counts,
                # no positions, no record refs, as on the wall's archive page.
                sealed = args.live not in store.opened_projects()
                if report.ok:
                    key = "archive.ok_live_sealed" if sealed else "archive.ok_live"
                    print(t(key, project=args.live, records=report.records))
                    links = store.ledger(args.live)
                    return _check_record(args, links, args.live, sealed=sealed)
                if sealed:
                    print(t("archive.failed_sealed", project=args.live))
                    print(t("archive.hint"))
                    return 1
                return _print_report(report, args.live)
            if not args.bundle:
                print(t("archive.need_target"), file=sys.stderr)
                return 2
            report = archive.verify_bundle(args.bundle)
            if report.ok:
                print(t("archive.ok", what=args.bundle, records=report.records))
                until = report.manifest.get("retention_until")
                years = report.manifest.get("retention", {}).get("years")
                if until:
                    print(t("archive.retention", until=until, years=years))
                return _check_record(
                    args, _bundle_links(args.bundle), report.manifest["project_id"]
                )
            return _print_report(report, args.bundle)
        if args.action == "replay":
            return _replay(args, settings)
        if args.action == "import":
            store = Store(settings.database_url)
            res = archive.import_bundle(store.engine, args.bundle)
            print(
                t(
                    "archive.imported",
                    project=res.project_id,
                    records=res.records,
                    events=res.events,
                    alerts=res.alerts,
                    decisions=res.decisions,
                    frames=res.frames,
                    context=res.context,
                )
            )
            if res.context_skipped:
                print(t("archive.context_skipped", project=res.project_id))
            if res.renumbered_decisions:
                print(t("archive.renumbered", n=res.renumbered_decisions))
            return 0
    except InputFileError as exc:  # a wrong path: exit 2, never 1 ("altered")
        print(t("archive.error", reason=exc), file=sys.stderr)
        return 2
    except (archive.ArchiveError, ValueError, OSError) as exc:
        print(t("archive.error", reason=exc), file=sys.stderr)
        return 1
    return 2
