"""Auditors: archived projects, step-by-step replay of the timeline, hash-chain check."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import formatting, queries, session
from dashboards.records import documents_panel
from witness.i18n import t
from witness.sealing import alert_view, event_views

acc = session.require("archive")
store = session.store()

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
st.markdown(f"### {pid} {project.name or ''}")
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
        fault_text = fault.describe() if opened else t("wall.archive.fault_sealed")
        st.error(t("wall.archive.chain_bad", chain=chain, fault=fault_text))

documents_panel(pid, acc, "archive")

events = event_views(store.events(pid), opened_ids)
if not events:
    st.info(t("wall.archive.no_events"))
    st.stop()
total = len(events)
step = st.slider(t("wall.archive.step"), 1, total, total, key="archive_step") if total > 1 else 1
current = events[step - 1]
st.markdown(
    t(
        "wall.archive.at",
        step=step,
        total=total,
        type=current.type,
        ts=formatting.fmt_ts(current.ts),
    )
)
st.dataframe(
    pd.DataFrame(
        [
            {
                t("wall.col.time"): formatting.fmt_ts(e.ts),
                t("wall.col.what"): e.type,
                "event_id": e.event_id,
            }
            for e in events[:step]
        ]
    ),
    hide_index=True,
)
if current.payload is None:
    st.info(t("wall.sealed_note"))
else:
    st.json(current.payload, expanded=False)
st.subheader(t("wall.archive.alerts_so_far"))
for row in queries.project_alerts(store, pid):
    if row.first_seen <= current.ts:
        v = alert_view(row, opened_ids, session.locale())
        with st.expander(formatting.alert_label(v)):
            st.caption(t("wall.alert.rule", rule=v.rule, basis=v.legal_basis))
            formatting.show_evidence(v)
