"""Witness records (见证记录) and referral letters (移交函/督办单), PDF or HTML.

- `sources`   read a project from the store, a bundle or an events file;
- `gather`    decide what the record says (and seal it before the opening);
- `milestones`, `coverage`  the lifecycle steps and the camera coverage;
- `compose`, `referral`    order of a record or letter, as blocks (`wording` has the words);
- `pdf`, `html`           draw blocks; `fonts` picks the Chinese font.

Made from the store, a document's SHA-256 is appended to the project's chain
(`witness/store/generated.py`); `witness archive verify --record FILE` checks a file
against it. The CLI (`witness record`), the wall and the recorder call the functions here.
"""

from __future__ import annotations

from sqlalchemy import select

from witness.i18n import t
from witness.record.gather import RecordInput, build
from witness.record.model import RecordData
from witness.record.sources import (
    RecordError,
    decision_row,
    from_bundle,
    from_events,
    from_store,
)

__all__ = [
    "RecordData",
    "RecordError",
    "RecordInput",
    "build",
    "from_bundle",
    "from_events",
    "from_store",
    "make_record",
    "make_referral",
    "render",
    "render_record",
]


def render(doc, fmt: str) -> bytes:
    """Blocks -> bytes in `fmt` (pdf or html)."""
    if fmt == "pdf":
        from witness.record.pdf import render_pdf

        return render_pdf(doc)
    if fmt == "html":
        from witness.record.html import render_html

        return render_html(doc)
    raise RecordError(t("record.unknown_format", fmt=fmt))


def render_record(inp: RecordInput, *, fmt: str = "pdf", locale: str = "zh-CN") -> bytes:
    from witness.record.compose import record_document

    return render(record_document(build(inp, locale)), fmt)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def make_record(
    store,
    project_id: str,
    *,
    fmt: str = "pdf",
    locale: str = "zh-CN",
    made_by: str = "witness",
    gap_seconds: float = 60,
):
    """Make the project's record from the store and chain its hash; (row, newly made)."""
    from witness.store import generated as documents

    inp = from_store(store, project_id, gap_seconds=gap_seconds)
    content = render_record(inp, fmt=fmt, locale=locale)
    cov = documents.Covers(inp.chain.covers_seq, inp.chain.covers_hash, inp.chain.as_of)
    name = f"{_safe(project_id)}.record.{cov.seq}.{locale}.{fmt}"
    return documents.save(
        store,
        project_id,
        content,
        doc="record",
        fmt=fmt,
        locale=locale,
        filename=name,
        cov=cov,
        made_by=made_by,
    )


def make_referral(
    store,
    alert_id: str,
    *,
    to: str = "supervisor",
    fmt: str = "pdf",
    locale: str = "zh-CN",
    made_by: str = "witness",
):
    """The referral letter of a referred alert, chained like a record; (row, newly made)."""
    from witness.record.referral import RECIPIENTS, referral_document
    from witness.store import generated as documents
    from witness.store.models import AlertRow, LedgerEntry
    from witness.store.store import row_to_alert

    if to not in RECIPIENTS:
        raise RecordError(t("record.unknown_recipient", to=to, known=" / ".join(RECIPIENTS)))
    with store.session() as s:
        row = s.get(AlertRow, alert_id)
        if row is None:
            raise RecordError(t("record.no_alert", alert=alert_id))
        alert = row_to_alert(row)
    rows = store.decisions(alert_id)
    refer = [d for d in rows if d.action == "refer"]
    decisions = [decision_row(d) for d in rows]
    seq = 0
    if refer:
        with store.session() as s:
            seq = (
                s.execute(
                    select(LedgerEntry.seq).where(
                        LedgerEntry.chain == alert.project_id,
                        LedgerEntry.ref == f"decision:{refer[-1].id}",
                    )
                ).scalar_one_or_none()
                or 0
            )
    events = store.events(alert.project_id)
    doc = referral_document(alert, decisions, events, to=to, locale=locale, chain_seq=seq)
    content = render(doc, fmt)
    cov = documents.covers(store, alert.project_id)
    name = f"{_safe(alert.project_id)}.referral.{alert_id[:12]}.{to}.{locale}.{fmt}"
    return documents.save(
        store,
        alert.project_id,
        content,
        doc="referral",
        fmt=fmt,
        locale=locale,
        filename=name,
        cov=cov,
        made_by=made_by,
        alert_id=alert_id,
    )
