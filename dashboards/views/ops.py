"""Ops: progress per consumer group, service health, dead letters (with a way to fix and
re-send a line), camera health. Refreshes itself every few seconds (st.fragment run_every).

The wall never talks to Kafka: a fixed dead letter is checked against the contract
here and handed back as a file for `witness ingest`, which publishes it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import formatting, queries, session
from dashboards.explain.core import num
from dashboards.feed import flash
from witness import timebase
from witness.events import ContractError, parse_event
from witness.i18n import t
from witness.sealing import dead_letter_view

REFRESH_S = 5.0
STALE_S = 30.0

acc = session.require("ops")
store = session.store()
flash()


#: The consumer groups Witness runs; a deployment's topic prefix comes before the name.
KNOWN_GROUPS = ("witness-detectors", "witness-cross-project", "witness-recorder")


def _group_name(gid: str) -> str:
    role = next((g for g in KNOWN_GROUPS if gid.endswith(g)), None)
    return gid if role is None else f"{t(f'wall.ops.group.{role}')}（{gid}）"


def progress() -> None:
    st.subheader(t("wall.ops.groups"))
    rows = queries.lag(store)
    if not rows:
        st.caption(t("wall.ops.lag_empty"))
        return
    groups = queries.group_lag(rows)
    before = st.session_state.get("_ops_positions", {})
    measured = queries.measured_rates(groups, before)
    st.session_state["_ops_positions"] = {g.group_id: (g.position, g.updated_at) for g in groups}
    cols = st.columns(len(groups))
    for col, g in zip(cols, groups, strict=True):
        rate = g.events_per_s if g.events_per_s is not None else measured.get(g.group_id)
        stale = (timebase.now() - formatting.aware(g.updated_at)).total_seconds()
        col.metric(
            _group_name(g.group_id),
            t("wall.ops.rate_value", rate=rate) if rate is not None else t("wall.ops.rate_unknown"),
            delta=t("wall.ops.lag_total", lag=g.lag),
            delta_color="off" if g.lag == 0 else "inverse",
        )
        if stale > STALE_S * timebase.speed():  # reports come every few real seconds
            col.warning(t("wall.ops.stale", age=formatting.age(g.updated_at)))
    with st.expander(t("wall.ops.lag")):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("wall.col.group"): _group_name(r.group_id),
                        t("wall.col.topic"): r.topic,
                        t("wall.col.partition"): r.partition,
                        t("wall.col.position"): r.position,
                        t("wall.col.end"): r.end_offset,
                        t("wall.col.lag"): r.lag,
                        t("wall.col.updated"): formatting.fmt_ts(r.updated_at),
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )
        st.caption(t("wall.ops.lag_note"))


def _metric_text(metrics: dict) -> str:
    parts = []
    for key in ("brightness", "sharpness", "persons", "motion"):
        if key in metrics:
            parts.append(f"{t(f'wall.ops.metric.{key}')} {num(metrics[key])}")
    if metrics.get("frozen"):
        parts.append(t("wall.ops.metric.frozen"))
    return "，".join(parts)


def cameras() -> None:
    st.subheader(t("wall.ops.cameras"))
    cams = queries.camera_health(store)
    if not cams:
        st.caption(t("wall.ops.cameras_empty"))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("wall.col.room"): f.room_id,
                    t("wall.col.camera"): formatting.camera_label(f.room_id, f.camera_id),
                    t("wall.col.project"): pid or "—",
                    t("wall.col.status"): t(f"wall.cam.{f.status}")
                    if f.status in ("online", "offline")
                    else f.status,
                    t("wall.col.age"): formatting.age(f.ts),
                    t("wall.col.metrics"): _metric_text(f.metrics),
                }
                for f, pid in cams
            ]
        ),
        hide_index=True,
    )


def services() -> None:
    st.subheader(t("wall.ops.services"))
    rows = queries.services(store)
    if not rows:
        st.caption(t("wall.ops.services_empty"))
        return
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
                for r in rows
            ]
        ),
        hide_index=True,
    )


def _views(dead) -> list:
    """What of each dead record shows: witness/sealing.py's (bytes and reason only when
    they belong to an opened project or to none)."""
    opened_ids = store.opened_projects()
    return [
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


def page() -> None:
    progress()
    services()
    dead_letters()
    cameras()


def dead_letters() -> None:
    st.subheader(t("wall.ops.dead"))
    dead = queries.dead_letters(store)
    if not dead:
        st.caption(t("wall.ops.dead_empty"))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": d.id,
                    t("wall.col.time"): formatting.fmt_ts(v.at),
                    t("wall.col.topic"): v.topic,
                    t("wall.col.offset"): v.offset,
                    t("wall.col.project"): v.project_id or "-",
                    t("wall.col.stage"): v.stage,
                    t("wall.col.error"): v.error or t("wall.ops.dead_sealed"),
                    t("wall.col.size"): v.size,
                }
                for d, v in zip(dead, _views(dead), strict=True)
            ]
        ),
        hide_index=True,
    )


def repair() -> None:
    """Pick a dead letter, fix its line, check it against the contract, take it to ingest."""
    dead = queries.dead_letters(store)
    if not dead:
        return
    st.markdown(f"**{t('wall.ops.fix')}**")
    views = dict(zip((d.id for d in dead), _views(dead), strict=True))
    by_id = {d.id: d for d in dead}
    chosen = st.selectbox(
        t("wall.ops.fix_pick"),
        list(by_id),
        format_func=lambda i: f"#{i} {(views[i].error or t('wall.ops.dead_sealed'))[:80]}",
        key="ops_fix_pick",
    )
    d, view = by_id[chosen], views[chosen]
    error = formatting.md_text(view.error) if view.error else t("wall.ops.dead_sealed")
    st.caption(t("wall.ops.fix_reason", error=error))
    raw = view.raw
    if raw is None:
        st.info(t("wall.ops.fix_hidden"))
        return
    if d.raw_size > len(d.raw_preview.encode("utf-8")):
        st.warning(t("wall.ops.fix_truncated"))
        return
    fixed = st.text_area(t("wall.ops.fix_line"), raw, key=f"ops_fix_line_{chosen}", height=140)
    try:
        event = parse_event(fixed.strip(), line=1)
    except ContractError as exc:
        st.error(t("wall.ops.fix_invalid", error=formatting.md_text(exc.describe())))
        return
    ids = {"type": formatting.md_text(event.type), "event_id": formatting.md_text(event.event_id)}
    st.success(t("wall.ops.fix_valid", **ids))
    st.download_button(
        t("wall.ops.fix_download"),
        (event.to_json() + "\n").encode("utf-8"),
        file_name=f"fixed-{chosen}.jsonl",
        mime="application/x-ndjson",
        key=f"ops_fix_download_{chosen}",
    )
    st.code(f"witness ingest fixed-{chosen}.jsonl", language="bash")


st.fragment(page, run_every=REFRESH_S)()
repair()
