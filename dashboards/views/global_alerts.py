"""Alerts of no single project (`*`): bidder rings across tenders, rooms with no session.

These are stored under project `*` and so belong to no project page. Auditors and
admins see all of them; an officer sees those touching a project assigned to them (a
ring that bid in one of their tenders, a room one of their projects uses).
"""

from __future__ import annotations

import streamlit as st

from dashboards import queries, session
from dashboards.feed import alert_card, flash, status_filter, touches
from witness.i18n import t

acc = session.require("global")
store = session.store()
flash()

st.markdown(f"#### {t('wall.global.title')}")
st.caption(t("wall.global.intro"))
statuses = status_filter("global_statuses")
rows = queries.global_alerts(store, statuses or None)
if not acc.sees_all_projects:
    rows = [r for r in rows if touches(r, acc.projects)]
if not rows:
    st.info(t("wall.global.none"))
    st.stop()
decisions = queries.decisions_for(store, [r.alert_id for r in rows])
opened = store.opened_projects()  # a ring's alert stays sealed while any tender it names is
for row in rows:
    alert_card(row, opened=opened, acc=acc, decisions=decisions.get(row.alert_id, []), key="glob")
