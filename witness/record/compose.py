"""The witness record's wording and order: RecordData -> blocks (one layout, two formats).

Times are shown in the project's own UTC offset (that of its registration event), so a
record made anywhere reads the same and its bytes do not depend on the machine's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from witness.i18n import t
from witness.record import wording  # noqa: F401  (registers the strings)
from witness.record.blocks import Document, Heading, Para, Signature, Table, Title
from witness.record.model import AlertEntry, Period, RecordData, SessionCoverage

CHINA = timezone(timedelta(hours=8))


class Fmt:
    """Times, money and labels in one locale and one zone."""

    def __init__(self, locale: str, zone: tzinfo = CHINA) -> None:
        self.locale = locale
        self.zone = zone

    def t(self, key: str, **params: object) -> str:
        return t(key, locale=self.locale, **params)

    def ts(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def hm(self, value: datetime) -> str:
        return value.astimezone(self.zone).strftime("%H:%M:%S")

    def money(self, value: float | None, currency: str | None = "CNY") -> str:
        if value is None:
            return "—"
        return f"{value:,.2f} {currency or ''}".strip()

    def period(self, p: Period) -> str:
        return self.t(
            "rec.period", start=self.hm(p.start), end=self.hm(p.end), minutes=f"{p.minutes:.1f}"
        )

    def zone_label(self) -> str:
        off = datetime(2026, 1, 1, tzinfo=self.zone).utcoffset() or timedelta()
        minutes = int(off.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _facts(d: RecordData, f: Fmt) -> Table:
    x = d.facts
    rooms = "；".join(
        f.t(
            "rec.room",
            room=r.room_id,
            kind=f.t(f"rec.kind.{r.kind}"),
            cameras=", ".join(r.cameras) or f.t("rec.none"),
        )
        for r in x.rooms
    )
    rows = [
        ("rec.f.project_id", x.project_id),
        ("rec.f.name", x.name or "—"),
        ("rec.f.category", x.category or "—"),
        ("rec.f.ceiling", f.money(x.ceiling_price, x.currency)),
        ("rec.f.method", x.method or "—"),
        ("rec.f.tenderer", x.tenderer or "—"),
        ("rec.f.published", f.ts(x.tender_published_at)),
        ("rec.f.deadline", f.ts(x.bid_deadline)),
        ("rec.f.opening_at", f.ts(x.opening_at)),
        ("rec.f.rooms", rooms or "—"),
    ]
    return Table(
        (f.t("rec.col.item"), f.t("rec.col.value")),
        tuple((f.t(k), v) for k, v in rows),
        widths=(1, 3),
    )


def _timeline(d: RecordData, f: Fmt) -> Table:
    rows, marks = [], []
    for i, m in enumerate(d.milestones):
        if m.flags:
            state = "、".join(f.t(f"rec.flag.{x}") for x in m.flags)
            if f.locale == "en":
                state = ", ".join(f.t(f"rec.flag.{x}") for x in m.flags)
            marks.append((i, "warn"))
        else:
            state = f.t("rec.flag.ok") if m.at else f.t("rec.flag.not_yet")
        rows.append((f.t(f"rec.step.{m.key}"), f.ts(m.at), f.ts(m.due) if m.due else "—", state))
    return Table(
        (f.t("rec.col.step"), f.t("rec.col.time"), f.t("rec.col.due"), f.t("rec.col.state")),
        tuple(rows),
        widths=(1.2, 1.6, 1.6, 1.2),
        marks=tuple(marks),
    )


def _bidders(d: RecordData, f: Fmt) -> Table | Para:
    if d.sealed:
        return Para(f.t("rec.sealed_section"), "note")
    if not d.bidders:
        return Para(f.t("rec.none"), "note")
    rows = tuple(
        (
            str(i),
            b.name,
            b.bidder_id,
            f.money(b.price, d.facts.currency),
            f.ts(b.submitted_at),
            f.t("rec.late_bid") if b.late else "",
        )
        for i, b in enumerate(d.bidders, start=1)
    )
    marks = tuple((i, "warn") for i, b in enumerate(d.bidders) if b.late)
    header = (
        "rec.col.no",
        "rec.col.bidder",
        "rec.col.credit",
        "rec.col.price",
        "rec.col.submitted",
        "rec.col.note",
    )
    return Table(
        tuple(f.t(h) for h in header), rows, widths=(0.4, 2.2, 1.7, 1.4, 1.5, 0.9), marks=marks
    )


def _committee(d: RecordData, f: Fmt) -> Table | Para:
    if d.sealed:
        return Para(f.t("rec.sealed_section"), "note")
    if not d.committee:
        return Para(f.t("rec.none"), "note")
    rows = tuple(
        (
            x.expert_id,
            x.name or "—",
            f.t(f"rec.role.{x.role}") if x.role else "—",
            x.specialty or "—",
            x.employer or "—",
        )
        for x in d.committee
    )
    header = (
        "rec.col.expert",
        "rec.col.person",
        "rec.col.role",
        "rec.col.specialty",
        "rec.col.employer",
    )
    return Table(tuple(f.t(h) for h in header), rows, widths=(1, 1, 1, 1.2, 1.8))


def decision_line(f: Fmt, at: datetime, actor: str, action: str, reason: str | None) -> str:
    sep = "：" if f.locale != "en" else ": "
    return f.t(
        "rec.decision",
        at=f.ts(at),
        actor=actor,
        action=f.t(f"rec.action.{action}"),
        reason=f"{sep}{reason}" if reason else "",
    )


def alert_table(a: AlertEntry, f: Fmt) -> Table:
    """One alert's details; shared by the record and the referral letter."""
    rows = [
        (f.t("rec.alert.id"), a.alert_id),
        (f.t("rec.alert.basis"), a.legal_basis),
        (
            f.t("rec.alert.seen"),
            f.t("rec.alert.seen_value", first=f.ts(a.first_seen), last=f.ts(a.last_seen)),
        ),
        (f.t("rec.alert.status"), f.t(f"status.{a.status}")),
    ]
    if a.sealed:
        rows.append((f.t("rec.alert.evidence"), f.t("rec.alert.sealed")))
    else:
        rows.append((f.t("rec.alert.subjects"), ", ".join(a.subjects) or "—"))
        rows += [(f"{f.t('rec.alert.evidence')} · {k}", v) for k, v in a.evidence]
    lines = [decision_line(f, x.at, x.actor, x.action, x.reason) for x in a.decisions]
    rows.append((f.t("rec.alert.decisions"), "\n".join(lines) or f.t("rec.decision.none")))
    return Table((f.t("rec.col.item"), f.t("rec.col.value")), tuple(rows), widths=(1.3, 4))


def alert_heading(no: int, a: AlertEntry, f: Fmt) -> Para:
    return Para(
        f.t(
            "rec.alert.head",
            no=no,
            severity=f.t(f"severity.{a.severity}"),
            rule=a.rule,
            title=a.title,
        ),
        "strong",
    )


def _alerts(d: RecordData, f: Fmt) -> list:
    if not d.alerts:
        return [Para(f.t("rec.alerts.none"), "note")]
    n = {s: sum(1 for a in d.alerts if a.severity == s) for s in ("red", "orange", "yellow")}
    out: list = [Para(f.t("rec.alerts.count", n=len(d.alerts), **n))]
    for i, a in enumerate(d.alerts, start=1):
        out += [alert_heading(i, a, f), alert_table(a, f)]
    return out


def _session(s: SessionCoverage, f: Fmt) -> list:
    head = f.t(
        "rec.coverage.session",
        room=s.room_id,
        kind=f.t(f"rec.session.{s.kind}"),
        start=f.ts(s.start),
        end=f.ts(s.end),
        minutes=f"{s.minutes:.0f}",
    )
    rows, marks = [], []
    for i, c in enumerate(s.cameras):
        share = f"{100 * c.online_minutes / s.minutes:.0f}%" if s.minutes > 0 else "—"
        gaps = "\n".join(f.period(p) for p in c.gaps) or f.t("rec.none")
        tamper = "\n".join(f"{p.what} {f.period(p)}" for p in c.tamper) or f.t("rec.none")
        if c.gaps or c.tamper:
            marks.append((i, "warn"))
        rows.append((c.camera_id, f"{c.online_minutes:.1f}", share, gaps, tamper))
    header = ("rec.col.camera", "rec.col.online", "rec.col.share", "rec.col.gaps", "rec.col.tamper")
    return [
        Para(head, "strong"),
        Table(
            tuple(f.t(h) for h in header),
            tuple(rows),
            widths=(1, 0.9, 0.8, 2, 2.2),
            marks=tuple(marks),
        ),
    ]


def _dead(d: RecordData, f: Fmt) -> Table | Para:
    if d.sealed:
        return Para(f.t("rec.sealed_section"), "note")
    if not d.dead_letters_known:
        return Para(f.t("rec.dead.unknown"), "note")
    if not d.dead_letters:
        return Para(f.t("rec.dead.none"), "note")
    rows = tuple((f.ts(x.at), x.where, x.error) for x in d.dead_letters)
    return Table(
        (f.t("rec.col.time"), f.t("rec.col.where"), f.t("rec.col.error")),
        rows,
        widths=(1.3, 1.4, 4),
    )


def _chain(d: RecordData, f: Fmt) -> list:
    c = d.chain
    if c.source == "events":
        return [Para(f.t("rec.chain.offline"), "note")]
    out = [
        Para(f.t("rec.chain.name", chain=c.name)),
        Para(f.t("rec.chain.covers", seq=c.covers_seq)),
        Para(c.covers_hash, "mono"),
    ]
    if c.verified:
        out.append(Para(f.t("rec.chain.ok")))
    elif c.verified is False:
        out.append(Para(f.t("rec.chain.bad", fault=c.fault or "?"), "warn"))
    key = "rec.chain.how" if c.source == "store" else "rec.chain.bundle"
    out.append(Para(f.t(key, chain=c.name, detail=c.detail or ""), "note"))
    return out


def record_document(d: RecordData) -> Document:
    f = Fmt(d.locale, timezone(timedelta(minutes=d.utc_offset_minutes)))
    c = d.chain
    basis = f.t(
        f"rec.basis.{c.source}",
        as_of=f"{f.ts(c.as_of)} ({f.zone_label()})",
        seq=c.covers_seq,
        detail=c.detail or "",
    )
    blocks: list = [
        Title(
            f.t("rec.title"),
            f.t("rec.subtitle", project=d.facts.project_id, name=d.facts.name or ""),
        ),
        Para(basis, "note"),
    ]
    if d.sealed:
        blocks.append(Para(f.t("rec.sealed"), "warn"))
    blocks += [Heading(f.t("rec.h.facts")), _facts(d, f)]
    blocks += [Heading(f.t("rec.h.timeline")), _timeline(d, f)]
    blocks += [Heading(f.t("rec.h.bidders")), _bidders(d, f)]
    blocks += [Heading(f.t("rec.h.committee")), _committee(d, f)]
    blocks += [Heading(f.t("rec.h.alerts")), *_alerts(d, f)]
    blocks.append(Heading(f.t("rec.h.coverage")))
    if d.coverage:
        for s in d.coverage:
            blocks += _session(s, f)
    else:
        blocks.append(Para(f.t("rec.coverage.none"), "note"))
    blocks += [Heading(f.t("rec.h.dead")), _dead(d, f)]
    blocks += [Heading(f.t("rec.h.chain")), *_chain(d, f)]
    blocks.append(Signature((f.t("rec.sign"), f.t("rec.sign2"))))
    footer = f.t(
        "rec.footer", project=d.facts.project_id, seq=c.covers_seq, hash=c.covers_hash[:16]
    )
    return Document(
        title=f"{f.t('rec.title')} {d.facts.project_id}",
        blocks=blocks,
        footer=footer,
        lang=d.locale,
        subject=d.facts.name or d.facts.project_id,
    )
