"""Auditors: archived projects, their hash chains, and a replay of the record.

The replay plays or steps through events, alert versions and officers' decisions in
time order (dashboards/playback.py): play/pause at a chosen speed, jump to the next
alert or decision, and at every moment the alerts as they were then, with the status
the officers had given them by then.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pandas as pd
import streamlit as st

from dashboards import evidence, formatting, queries, session
from dashboards.feed import flash
from dashboards.playback import ALERT, DECISION, EVENT, Replay
from dashboards.records import documents_panel
from witness.i18n import t
from witness.sealing import LISTED_WHILE_SEALED, alert_view

#: Replay speeds: record seconds per real second.
SPEEDS = [1, 10, 60, 600, 3600]
TICK_S = 1.0

acc = session.require("archive")
store = session.store()
flash()

show_all = st.checkbox(t("wall.archive.all"), key="archive_all")
projects = queries.projects(store) if show_all else queries.archived_projects(store)
projects = [p for p in projects if acc.may_see_project(p.project_id)]
if not projects:
    st.info(t("wall.archive.none"))
    st.stop()
by_id = {p.project_id: p for p in projects}
pid = st.selectbox(t("wall.project.choose"), list(by_id), key="archive_project")
project = by_id[pid]
opened_ids = store.opened_projects()
opened = pid in opened_ids
st.markdown(f"### {formatting.md_text(pid)} {formatting.md_text(project.name or '')}")
st.caption(t("wall.stage", stage=formatting.stage(project.stage)))

st.subheader(t("wall.archive.verify"))
for chain in queries.project_chains(store, pid):
    links = store.ledger(chain)
    fault = store.verify_chain(chain)
    if fault is None:
        # Before the opening even the number of records could hint at the number of bids.
        n = len(links) if opened else "—"
        st.success(t("wall.archive.chain_ok", chain=chain, n=n))
    else:
        problem = (
            t(f"wall.chain.{fault.problem}", seq=fault.seq)
            if opened
            else t("wall.archive.fault_sealed")
        )
        st.error(t("wall.archive.chain_bad", chain=chain, fault=problem))

documents_panel(pid, acc, "archive")

# Before the opening only lifecycle steps are listed (witness/sealing.py's allow-list),
# by type and time; payloads, alerts' evidence and decisions' reasons stay sealed.
replay = Replay.from_links(store.ledger(pid), lambda etype: opened or etype in LISTED_WHILE_SEALED)
if not len(replay):
    st.info(t("wall.archive.no_events"))
    st.stop()
if st.session_state.get("_replay_of") != pid:  # a new project starts at its beginning
    st.session_state["_replay_of"] = pid
    st.session_state["replay_pos"] = 0
    st.session_state["replay_playing"] = False

st.subheader(t("wall.archive.replay"))
counts = replay.counts()
st.caption(
    t("wall.archive.counts", events=counts[EVENT], alerts=counts[ALERT], decisions=counts[DECISION])
)


def _toggle() -> None:
    st.session_state["replay_playing"] = not st.session_state.get("replay_playing", False)


playing = bool(st.session_state.get("replay_playing"))
bar = st.container(horizontal=True, vertical_alignment="bottom")
bar.button(
    t("wall.archive.pause") if playing else t("wall.archive.play"),
    key="replay_play",
    icon="⏸️" if playing else "▶️",
    on_click=_toggle,
)
speed = (
    bar.segmented_control(
        t("wall.archive.speed"),
        SPEEDS,
        default=60,
        format_func=lambda s: t("wall.archive.speed_value", n=s),
        key="replay_speed",
    )
    or 60
)


def _jump(kind: str, forward: bool) -> None:
    pos = st.session_state.get("replay_pos", 0)
    j = replay.next_of(pos, kind) if forward else replay.previous_of(pos, kind)
    if j is not None:
        st.session_state["replay_pos"] = j


def _step(delta: int) -> None:
    pos = st.session_state.get("replay_pos", 0) + delta
    st.session_state["replay_pos"] = max(0, min(len(replay) - 1, pos))


def _slid() -> None:
    st.session_state["replay_pos"] = st.session_state["replay_slider"] - 1


def _alert_of(body: dict, status: str):
    """A ledger alert version as the sealing view expects an alert."""
    return SimpleNamespace(
        alert_id=body.get("alert_id", ""),
        rule=body.get("rule", ""),
        severity=body.get("severity", "yellow"),
        project_id=body.get("project_id", pid),
        room_id=body.get("room_id"),
        title=body.get("title", ""),
        legal_basis=body.get("legal_basis", ""),
        subjects=body.get("subjects") or [],
        evidence=body.get("evidence") or {},
        event_ids=body.get("event_ids") or [],
        first_seen=formatting.parse_ts(body.get("first_seen")),
        last_seen=formatting.parse_ts(body.get("last_seen")),
        projects=body.get("projects") or [],
        sealed=False,  # what shows is decided by the projects it names (witness/sealing.py)
        status=status,
    )


def player() -> None:
    """The moment under the cursor; while playing, the cursor moves `speed` record-seconds a tick."""
    pos = min(st.session_state.get("replay_pos", 0), len(replay) - 1)
    if st.session_state.get("replay_playing"):
        target = replay.index_at(replay.steps[pos].at + timedelta(seconds=speed * TICK_S))
        pos = max(pos + 1, target) if pos < len(replay) - 1 else pos
        if pos >= len(replay) - 1:
            st.session_state["replay_playing"] = False
        st.session_state["replay_pos"] = pos
    st.session_state["replay_slider"] = pos + 1
    nav = st.container(horizontal=True)
    nav.button(t("wall.archive.start"), key="replay_start", on_click=_step, args=(-len(replay),))
    nav.button(t("wall.archive.prev"), key="replay_prev", on_click=_step, args=(-1,), icon="⏮️")
    nav.button(t("wall.archive.next"), key="replay_next", on_click=_step, args=(1,), icon="⏭️")
    nav.button(
        t("wall.archive.prev_alert"), key="replay_prev_alert", on_click=_jump, args=(ALERT, False)
    )
    nav.button(
        t("wall.archive.next_alert"), key="replay_next_alert", on_click=_jump, args=(ALERT, True)
    )
    nav.button(
        t("wall.archive.next_decision"),
        key="replay_next_decision",
        on_click=_jump,
        args=(DECISION, True),
    )
    if len(replay) > 1:
        st.slider(t("wall.archive.step"), 1, len(replay), key="replay_slider", on_change=_slid)
    step = replay.steps[pos]
    st.markdown(
        t(
            "wall.archive.at",
            step=pos + 1,
            total=len(replay),
            type=_what(step),
            ts=formatting.fmt_ts(step.at),
        )
    )
    left, right = st.columns([1.2, 1])
    with left:
        rows = [
            {
                t("wall.col.time"): formatting.fmt_ts(s.at),
                t("wall.col.kind"): t(f"wall.kind.{s.kind}"),
                t("wall.col.what"): _what(s),
            }
            for s in replay.steps[max(0, pos - 14) : pos + 1]
        ]
        st.dataframe(pd.DataFrame(rows[::-1]), hide_index=True)
        if step.kind == EVENT and opened:
            st.json(step.body.get("payload", {}), expanded=False)
        elif step.kind == EVENT:
            st.info(t("wall.sealed_note"))
    with right:
        st.markdown(f"**{t('wall.archive.alerts_so_far')}**")
        shown = replay.alerts_at(pos)
        if not shown:
            st.caption(t("wall.archive.no_alerts_yet"))
        for body, status, decided in shown:
            v = alert_view(_alert_of(body, status), opened_ids, session.locale())
            with st.expander(formatting.alert_label(v)):
                st.caption(t("wall.alert.rule", rule=v.rule, basis=v.legal_basis))
                formatting.show_evidence(v)
                for d in decided:
                    st.caption(
                        t(
                            "wall.decision_log",
                            at=formatting.fmt_ts(formatting.parse_ts(d.get("at"))),
                            actor=formatting.md_text(d.get("actor", "")),
                            action=t(f"status.{d.get('status_after', 'open')}"),
                            reason=f" — {formatting.md_text(d['reason'])}"
                            if d.get("reason") and not v.sealed
                            else "",
                        )
                    )


def _what(s) -> str:
    if s.kind == EVENT:
        return evidence.event_kind(s.body.get("type", ""))
    if s.kind == ALERT:
        return (
            f"{formatting.SEVERITY_ICON.get(s.body.get('severity'), '')} {s.body.get('rule', '')}"
        )
    return t(
        "wall.archive.decision",
        actor=s.body.get("actor", ""),
        action=t(f"status.{s.body.get('status_after', 'open')}"),
        alert=str(s.body.get("alert_id", ""))[:8],
    )


st.fragment(player, run_every=TICK_S if playing else None)()
