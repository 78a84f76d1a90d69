"""One alert on the wall: what may be shown (sealed or not), its decisions, and actions.

Messages (a decision logged, a decision refused) stay on the page until the person
dismisses them: the feed reruns every few seconds and must not wipe them.
"""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st
from sqlalchemy.exc import OperationalError

from dashboards import formatting, queries, session
from dashboards.explain import Names
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
    }
)

#: Messages shown at once (older ones wait until newer ones are dismissed).
MAX_MESSAGES = 3


def notify(kind: str, text: str) -> None:
    """A message that stays on the page until the person dismisses it."""
    box = st.session_state.setdefault("messages", [])
    box.append({"id": f"m{len(box)}-{abs(hash(text)) % 10**8}", "kind": kind, "text": text})


def _fail(message: str) -> None:
    """A refusal stays on screen until the officer dismisses it (refreshes do not wipe it)."""
    notify("error", message)
    st.rerun()


def _dismiss(message_id: str) -> None:
    st.session_state["messages"] = [
        m for m in st.session_state.get("messages", []) if m["id"] != message_id
    ]


def messages() -> None:
    """Every message not yet dismissed, newest first, each with its own close button."""
    for m in reversed(st.session_state.get("messages", [])[-MAX_MESSAGES:]):
        row = st.container(
            horizontal=True, vertical_alignment="center", key=f"msg_{m['id']}", gap="small"
        )
        show = {"success": row.success, "error": row.error, "warning": row.warning}[m["kind"]]
        show(m["text"], width="stretch")
        row.button(
            "✕",
            key=f"dismiss_{m['id']}",
            on_click=_dismiss,
            args=(m["id"],),
            help=t("wall.message.dismiss"),
            type="tertiary",
        )


def decider(alert_id: str) -> Account | None:
    """Who may decide this alert now: the account as the store has it at this moment (not
    when the page was drawn), if it still decides and still sees the alert's project."""
    now = session.account()
    row = queries.alert(session.store(), alert_id)
    if now is None or not now.may_decide or row is None:
        return None
    if row.project_id == "*":  # an alert of no single project: the officer's if it touches theirs
        return now if now.sees_all_projects or touches(row, now.projects) else None
    return now if now.may_see_project(row.project_id) else None


def touches(row: AlertRow, project_ids: Collection[str]) -> bool:
    """Whether an alert of no single project concerns any of `project_ids` (a ring that bid
    in one of them, a room one of them uses)."""
    mine = list(project_ids)
    rooms_of = {
        pid: {r["room_id"] for r in rooms}
        for pid, rooms in queries.registered_rooms(session.store(), mine).items()
    }
    return bool(queries.projects_touched(row, rooms_of) & set(mine))


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
    notify(
        "success",
        t(
            "wall.action.done",
            action=t(f"wall.action.{action}"),
            alert=alert_id[:8],
            actor=now.display_name,
        ),
    )
    st.rerun()


def alert_card(
    row: AlertRow,
    *,
    opened: Collection[str],
    acc: Account,
    decisions: list[Decision] = (),  # type: ignore[assignment]
    key: str = "feed",
    names: Names | None = None,
) -> None:
    """An expander per alert; officers and admins get the decision buttons.

    `opened`: the projects whose bids are open (witness/sealing.py decides what shows);
    `names`: the parties' names, for the evidence's explanation."""
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
        formatting.show_evidence(v, names)
        for d in decisions:
            st.caption(
                t(
                    "wall.decision_log",
                    at=formatting.fmt_ts(d.at),
                    actor=formatting.md_text(d.actor),
                    action=t(f"status.{d.status_after}"),
                    reason=f" — {formatting.md_text(d.reason)}" if d.reason else "",
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


@st.cache_data(ttl=30, show_spinner=False)
def _names(url: str, project_ids: tuple[str, ...]) -> dict[str, Names]:
    return queries.party_names(session.store(), list(project_ids))


def names_for(project_ids: list[str], opened: Collection[str]) -> dict[str, Names]:
    """Party names of the opened projects among `project_ids` (sealed ones get none)."""
    from witness.config import Settings

    ids = tuple(sorted({p for p in project_ids if p in opened}))
    return _names(Settings.from_env().database_url, ids) if ids else {}


def compact_list(rows: list[AlertRow], opened: Collection[str]) -> None:
    """Further alerts as one block of lines (cheap to render); open them on the project page."""
    if not rows:
        return
    loc = session.locale()
    lines = ["- " + formatting.alert_label(alert_view(r, opened, loc)) for r in rows]
    st.markdown("\n".join(lines))


def status_filter(key: str) -> list[str]:
    """Which alert statuses a list shows (open and acknowledged unless chosen otherwise)."""
    return st.multiselect(
        t("wall.feed.show"),
        ["open", "acknowledged", "referred", "dismissed"],
        default=["open", "acknowledged"],
        format_func=lambda s: t(f"status.{s}"),
        key=key,
        placeholder=t("wall.choose_placeholder"),
    )


def flash() -> None:
    """The page's messages (decisions logged, refused) until dismissed."""
    messages()
