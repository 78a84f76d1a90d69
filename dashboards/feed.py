"""One alert on the wall: what may be shown (sealed or not), its decisions, and actions."""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st
from sqlalchemy.exc import OperationalError

from dashboards import formatting, queries, session
from dashboards.records import referral_letters
from witness.i18n import register, t
from witness.sealing import alert_view
from witness.store import DecisionError
from witness.store.accounts import Account
from witness.store.models import AlertRow, Decision

register(
    {
        "wall.action.busy": (
            "数据库繁忙，决定未记录，请再试一次",
            "the database is busy: the decision was not logged; please try again",
        ),
        "wall.action.not_allowed": (
            "无权处理该告警（账号或项目分配已变更）",
            "you may no longer decide this alert (the account or its projects changed)",
        ),
        "wall.message.close": ("知道了", "Dismiss"),
    }
)


def _fail(message: str) -> None:
    """A refusal stays on screen until the officer dismisses it (refreshes do not wipe it)."""
    st.session_state.setdefault("wall_errors", []).append(message)
    st.rerun()


def decider(alert_id: str) -> Account | None:
    """Who may decide this alert now: the account as the store has it at this moment (not
    when the page was drawn), if it still decides and still sees the alert's project."""
    now = session.account()
    row = queries.alert(session.store(), alert_id)
    if now is None or not now.may_decide or row is None or not now.may_see_project(row.project_id):
        return None
    return now


def _decide(alert_id: str, action: str, acc: Account, reason: str) -> None:
    if action == "dismiss" and not reason.strip():
        _fail(t("wall.action.need_reason"))
    now = decider(alert_id)
    if now is None:
        _fail(t("wall.action.not_allowed"))
    try:
        session.store().decide(alert_id, action, now.username, reason.strip() or None)
    except DecisionError as exc:
        _fail(t("wall.action.failed", error=exc.describe()))
    except OperationalError:
        _fail(t("wall.action.busy"))
    st.session_state["flash"] = t(
        "wall.action.done",
        action=t(f"wall.action.{action}"),
        alert=alert_id[:8],
        actor=now.display_name,
    )
    st.rerun()


def alert_card(
    row: AlertRow,
    *,
    opened: Collection[str],
    acc: Account,
    decisions: list[Decision] = (),  # type: ignore[assignment]
    key: str = "feed",
) -> None:
    """An expander per alert; officers and admins get the decision buttons.

    `opened`: the projects whose bids are open (witness/sealing.py decides what shows)."""
    v = alert_view(row, opened, session.locale())
    with st.expander(formatting.alert_label(v)):
        st.caption(t("wall.alert.rule", rule=v.rule, basis=v.legal_basis))
        st.caption(
            t(
                "wall.alert.seen",
                first=formatting.fmt_ts(v.first_seen),
                last=formatting.fmt_ts(v.last_seen),
                status=t(f"status.{v.status}"),
            )
        )
        formatting.show_evidence(v)
        for d in decisions:
            st.caption(
                t(
                    "wall.decision_log",
                    at=formatting.fmt_ts(d.at),
                    actor=d.actor,
                    action=t(f"status.{d.status_after}"),
                    reason=f" — {d.reason}" if d.reason else "",
                )
            )
        if not acc.may_decide:
            st.caption(t("wall.read_only"))
            return
        if v.status == "referred":
            referral_letters(v.alert_id, v.project_id, acc, key)
        if v.status not in ("open", "acknowledged"):
            return
        aid = v.alert_id
        reason = st.text_input(t("wall.action.reason"), key=f"{key}_reason_{aid}")
        row_of_buttons = st.container(horizontal=True)
        if v.status == "open" and row_of_buttons.button(
            t("wall.action.acknowledge"), key=f"{key}_ack_{aid}"
        ):
            _decide(aid, "acknowledge", acc, reason)
        if row_of_buttons.button(t("wall.action.refer"), key=f"{key}_refer_{aid}"):
            _decide(aid, "refer", acc, reason)
        if row_of_buttons.button(t("wall.action.dismiss"), key=f"{key}_dismiss_{aid}"):
            _decide(aid, "dismiss", acc, reason)


def compact_list(rows: list[AlertRow], opened: Collection[str]) -> None:
    """Further alerts as one block of lines (cheap to render); open them on the project page."""
    if not rows:
        return
    loc = session.locale()
    lines = ["- " + formatting.alert_label(alert_view(r, opened, loc)) for r in rows]
    st.markdown("\n".join(lines))


def flash() -> None:
    """The confirmation of the last decision (once), and refusals until dismissed."""
    msg = st.session_state.pop("flash", None)
    if msg:
        st.success(msg)
    errors = st.session_state.get("wall_errors", [])
    for i, err in enumerate(errors):
        box = st.container(horizontal=True)
        box.error(err)
        if box.button(t("wall.message.close"), key=f"wall_error_close_{i}"):
            errors.pop(i)
            st.rerun()
