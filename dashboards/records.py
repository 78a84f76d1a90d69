"""Witness records and referral letters on the wall: make one, download any made before.

Making a document chains its SHA-256 (witness/record); the same chain state gives the
same bytes, so pressing the button twice adds nothing. Downloads load a file only when
clicked (deferred `data`), so listing many documents costs no PDF reads.
"""

from __future__ import annotations

import streamlit as st

from dashboards import formatting, session
from witness.i18n import register, t
from witness.store.accounts import Account
from witness.store.generated import get, listing

register(
    {
        "wall.rec.title": ("见证记录与函件", "Witness records and letters"),
        "wall.rec.make": ("生成见证记录（PDF）", "Make the witness record (PDF)"),
        "wall.rec.made": (
            "已生成见证记录，SHA-256 已写入项目哈希链第 {seq} 条",
            "witness record made; its SHA-256 is record {seq} of the project's chain",
        ),
        "wall.rec.same": (
            "链自上次生成后无变化：与链上第 {seq} 条的记录相同",
            "the chain has not changed: the same record as chain record {seq}",
        ),
        "wall.rec.none": ("尚未生成见证记录或函件", "no record or letter made yet"),
        "wall.rec.row": (
            "{doc} · {fmt} · 链第 {seq} 条 · {at} · {by}",
            "{doc} · {fmt} · chain record {seq} · {at} · {by}",
        ),
        "wall.rec.download": ("下载", "Download"),
        "wall.rec.failed": ("无法生成：{error}", "could not make it: {error}"),
        "wall.rec.doc.record": ("见证记录", "witness record"),
        "wall.rec.doc.referral": ("移交函/督办单", "referral letter"),
        "wall.rec.letter.supervisor": ("生成移交函（行政监督部门）", "Letter to the supervisor"),
        "wall.rec.letter.committee": ("生成督办单（评标委员会）", "Request to the committee"),
        "wall.rec.letter_made": (
            "函件已生成，SHA-256 已写入项目哈希链第 {seq} 条",
            "letter made; its SHA-256 is record {seq} of the project's chain",
        ),
    }
)

#: Roles that may make documents (officers for their projects; auditors anywhere).
MAKERS = ("officer", "auditor", "admin")


def _download(store, row, key: str) -> None:
    st.download_button(
        t("wall.rec.download"),
        data=lambda sha=row.sha256: get(store, sha).content,
        file_name=row.filename,
        mime="application/pdf" if row.format == "pdf" else "text/html",
        key=f"{key}_dl_{row.sha256[:16]}",
        on_click="ignore",
    )


def documents_panel(project_id: str, acc: Account, key: str) -> None:
    """The project's documents, newest first, and (for makers) the make-record button."""
    from witness.record import RecordError, make_record

    store = session.store()
    st.markdown(f"**{t('wall.rec.title')}**")
    if acc.role in MAKERS and st.button(t("wall.rec.make"), key=f"rec_{key}_make_{project_id}"):
        try:
            doc, new = make_record(
                store, project_id, locale=session.locale(), made_by=f"wall:{acc.username}"
            )
            st.success(t("wall.rec.made" if new else "wall.rec.same", seq=doc.chain_seq))
        except (RecordError, OSError) as exc:
            st.error(t("wall.rec.failed", error=exc))
    rows = listing(store, project_id)
    if not rows:
        st.caption(t("wall.rec.none"))
    for row in rows:
        left, right = st.columns([5, 1])
        left.caption(
            t(
                "wall.rec.row",
                doc=t(f"wall.rec.doc.{row.doc}"),
                fmt=row.format.upper(),
                seq=row.chain_seq,
                at=formatting.fmt_ts(row.created_at),
                by=row.made_by,
            )
            + f" · {row.filename}"
        )
        with right:
            _download(store, row, f"rec_{key}")


def referral_letters(alert_id: str, project_id: str, acc: Account, key: str) -> None:
    """On a referred alert: make the letter for the supervisor or the committee, download."""
    from witness.record import RecordError, make_referral

    if not acc.may_decide:
        return
    store = session.store()
    buttons = st.container(horizontal=True)
    for to in ("supervisor", "committee"):
        if buttons.button(t(f"wall.rec.letter.{to}"), key=f"rec_{key}_{to}_{alert_id}"):
            try:
                doc, _ = make_referral(
                    store, alert_id, to=to, locale=session.locale(), made_by=f"wall:{acc.username}"
                )
                st.success(t("wall.rec.letter_made", seq=doc.chain_seq))
            except (RecordError, OSError) as exc:
                st.error(t("wall.rec.failed", error=exc))
    for row in listing(store, project_id, doc="referral"):
        if row.alert_id == alert_id:
            st.caption(row.filename)
            _download(store, row, f"rec_{key}")
