"""Referral letters (移交函 to the supervising department, 督办单 to the committee).

One letter per referred alert, made from the feed's "refer" decision: the alert, its
evidence, the legal basis, the officer and the time. Sealed like the record: before the
opening the letter names no bidder and shows no evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta, timezone
from typing import Literal

from witness.alerts import AlertLike
from witness.events import Event
from witness.record.blocks import Document, Para, Signature, Table, Title
from witness.record.compose import Fmt, alert_heading, alert_table
from witness.record.gather import alert_entries, facts, names
from witness.record.model import DecisionRow
from witness.record.sources import RecordError

Recipient = Literal["supervisor", "committee"]
RECIPIENTS: tuple[str, ...] = ("supervisor", "committee")


def letter_number(project_id: str, alert_id: str, to: str) -> str:
    return f"{'YJ' if to == 'supervisor' else 'DB'}-{project_id}-{alert_id[:8]}"


def referral_document(
    alert: AlertLike,
    decisions: Sequence[DecisionRow],
    events: Sequence[Event],
    *,
    to: Recipient,
    locale: str,
    chain_seq: int,
) -> Document:
    """The letter's blocks; refuses an alert that has not been referred."""
    refer = [d for d in decisions if d.alert_id == alert.alert_id and d.action == "refer"]
    if not refer:
        raise RecordError(
            Fmt(locale).t("ref.not_referred", alert=alert.alert_id, status=alert.status)
        )
    decision = refer[-1]
    own = [e for e in events if e.project_id == alert.project_id]
    opened = any(e.type == "opening.started" for e in own)
    offset = own[0].ts.utcoffset() if own else timedelta(hours=8)
    f = Fmt(locale, timezone(offset or timedelta(hours=8)))
    project = facts(alert.project_id, own)
    entry = alert_entries(
        [alert], decisions, opened=opened, locale=locale, named=names(own) if opened else {}
    )[0]
    title = f.t(f"ref.title.{to}")
    number = letter_number(alert.project_id, alert.alert_id, to)
    label = f"{alert.project_id} {project.name or ''}".strip()
    blocks: list = [
        Title(title, f.t("ref.no", no=number)),
        Para(f.t(f"ref.to.{to}", project=label), "strong"),
        Para(f.t("ref.body", basis=alert.legal_basis)),
    ]
    if entry.sealed:
        blocks.append(Para(f.t("ref.sealed"), "warn"))
    blocks += [
        Table(
            (f.t("rec.col.item"), f.t("rec.col.value")),
            (
                (f.t("rec.f.project_id"), alert.project_id),
                (f.t("rec.f.name"), project.name or "—"),
                (f.t("rec.f.method"), project.method or "—"),
            ),
            widths=(1.3, 4),
        ),
        alert_heading(1, entry, f),
        alert_table(entry, f),
        Para(f.t("ref.officer", actor=decision.actor, at=f.ts(decision.at)), "strong"),
    ]
    if decision.reason and not entry.sealed:
        blocks.append(Para(f.t("ref.reason", reason=decision.reason)))
    blocks += [
        Para(f.t("ref.chain", seq=chain_seq, project=alert.project_id), "note"),
        Para(f.t("ref.reply"), "strong"),
        Para("\n\n\n"),
        Signature((f.t("rec.sign"), f.t("rec.sign2"))),
    ]
    return Document(
        title=f"{title} {number}",
        blocks=blocks,
        footer=f.t("ref.footer", project=alert.project_id, title=title, no=number),
        lang=locale,
        subject=entry.title,
    )
