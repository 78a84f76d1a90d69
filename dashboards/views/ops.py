"""Ops: consumer lag per partition, event rate, service health, dead letters, camera health."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import formatting, queries, session
from witness.i18n import t
from witness.sealing import dead_letter_view

acc = session.require("ops")
store = session.store()

st.subheader(t("wall.ops.lag"))
lag = queries.lag(store)
if not lag:
    st.caption(t("wall.ops.lag_empty"))
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("wall.col.group"): r.group_id,
                    t("wall.col.topic"): r.topic,
                    t("wall.col.partition"): r.partition,
                    t("wall.col.position"): r.position,
                    t("wall.col.end"): r.end_offset,
                    t("wall.col.lag"): r.lag,
                    t("wall.col.rate"): round(r.events_per_s, 1),
                    t("wall.col.updated"): formatting.fmt_ts(r.updated_at),
                }
                for r in lag
            ]
        ),
        hide_index=True,
    )
st.caption(t("wall.ops.lag_note"))

st.subheader(t("wall.ops.rate"))
st.metric(t("wall.ops.rate"), t("wall.ops.rate_value", rate=sum(r.events_per_s for r in lag)))

st.subheader(t("wall.ops.services"))
services = queries.services(store)
if not services:
    st.caption(t("wall.ops.services_empty"))
else:
    from witness.store.health import is_stale

    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("wall.col.service"): r.service,
                    t("wall.col.instance"): r.instance,
                    t("wall.col.status"): t("wall.ops.service_stale") if is_stale(r) else r.status,
                    t("wall.col.since"): formatting.fmt_ts(r.since),
                    t("wall.col.updated"): formatting.fmt_ts(r.updated_at),
                    t("wall.col.detail"): r.detail or "",
                }
                for r in services
            ]
        ),
        hide_index=True,
    )

st.subheader(t("wall.ops.dead"))
dead = queries.dead_letters(store)
if not dead:
    st.caption(t("wall.ops.dead_empty"))
else:
    # What of a dead record shows is witness/sealing.py's: its bytes and reason only when
    # they belong to an opened project (before an opening they could name a bidder).
    opened_ids = store.opened_projects()
    views = [
        dead_letter_view(
            at=d.at,
            topic=d.topic,
            partition=d.partition,
            offset=d.offset,
            key=d.key,
            error=d.error,
            raw=d.raw_preview,
            size=d.raw_size,
            opened=opened_ids,
            stage=d.stage,
        )
        for d in dead
    ]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("wall.col.time"): formatting.fmt_ts(v.at),
                    t("wall.col.topic"): v.topic,
                    t("wall.col.partition"): v.partition,
                    t("wall.col.offset"): v.offset,
                    t("wall.col.project"): v.project_id or "-",
                    t("wall.col.stage"): v.stage,
                    t("wall.col.error"): v.error or t("wall.ops.dead_sealed"),
                    t("wall.col.size"): v.size,
                }
                for v in views
            ]
        ),
        hide_index=True,
    )

st.subheader(t("wall.ops.cameras"))
cams = queries.camera_health(store)
if not cams:
    st.caption(t("wall.ops.cameras_empty"))
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("wall.col.room"): f.room_id,
                    t("wall.col.camera"): f.camera_id,
                    t("wall.col.project"): pid or "-",
                    t("wall.col.status"): f.status,
                    t("wall.col.age"): formatting.age(f.ts),
                    t("wall.col.metrics"): ", ".join(
                        f"{k}={f.metrics[k]}"
                        for k in ("brightness", "sharpness", "persons", "frozen")
                        if k in f.metrics
                    ),
                }
                for f, pid in cams
            ]
        ),
        hide_index=True,
    )
