"""The officer's wall: up to 4 projects × 9 tiles and a live alert feed.

Tiles whose room has open alerts rerun every FAST_S seconds, idle tiles every SLOW_S;
the feed reruns fast and triggers a full redraw when stages, badges or hot rooms change.
"""

from __future__ import annotations

import base64
import binascii

import streamlit as st

from dashboards import formatting, layout, queries, session
from dashboards.feed import alert_card, compact_list, flash
from witness.i18n import t

acc = session.require("wall")
store = session.store()


def tile(room_id: str, camera_id: str | None, open_alerts: int) -> None:
    """One camera tile; re-reads its latest frame on its own (timer) reruns."""
    preloaded = st.session_state.get("_wall_frames", {})
    if (room_id, camera_id) in preloaded:  # a full run already read every frame at once
        frame = preloaded.pop((room_id, camera_id))
    else:
        frame = queries.tile_frame(store, room_id, camera_id)
    with st.container(border=True):
        picture = None
        if frame is not None and frame.thumbnail:
            try:
                base64.b64decode(frame.thumbnail, validate=True)  # only well-formed base64 ...
                picture = f"data:image/jpeg;base64,{frame.thumbnail}"  # ... goes out as a data URL
            except (binascii.Error, ValueError):
                picture = None
        if picture:
            # A data URL is passed through as is: no PIL decode or media-file copy per tile.
            st.image(picture, width="stretch")
        else:
            st.caption(t("wall.no_picture"))
        status = frame.status if frame is not None else "offline"
        st.caption(
            t(
                "wall.tile.caption",
                room=room_id,
                camera=camera_id or "-",
                status=t(f"wall.cam.{status}") if status in ("online", "offline") else status,
                age=formatting.age(frame.ts if frame is not None else None),
            )
        )
        if open_alerts:
            st.badge(t("wall.tile.alerts", n=open_alerts), color="red")


def feed(project_ids: list[str], statuses: list[str]) -> None:
    """The live alert feed; redraws the whole wall when its summary changed."""
    session.still_signed_in(acc)  # disabled, or projects changed: redraw (or sign in) now
    fresh = st.session_state.pop("_wall_full_run", False)  # signature was just computed
    if not fresh and queries.current_signature(store, project_ids) != st.session_state.get(
        "wall_sig"
    ):
        st.rerun()
    opened = store.opened_projects()
    rows = queries.feed(store, project_ids, statuses=statuses or ["open"], limit=layout.FEED_SIZE)
    decisions = queries.decisions_for(store, [r.alert_id for r in rows[: layout.FEED_CARDS]])
    st.subheader(t("wall.feed"))
    if not rows:
        st.caption(t("wall.feed.empty"))
    for row in rows[: layout.FEED_CARDS]:
        alert_card(
            row,
            opened=opened,
            acc=acc,
            decisions=decisions.get(row.alert_id, []),
        )
    compact_list(rows[layout.FEED_CARDS :], opened)


flash()
ids = session.visible_project_ids(acc)
if not ids:
    st.info(t("wall.no_projects"))
    st.stop()
stages = {p.project_id: p.stage for p in queries.projects(store, ids)}
default = [p for p in ids if stages.get(p) != "archived"][: layout.MAX_PROJECTS] or ids[:1]
chosen = st.multiselect(
    t("wall.choose_projects", n=layout.MAX_PROJECTS),
    ids,
    default=default,
    max_selections=layout.MAX_PROJECTS,
    key="wall_projects",
)
statuses = st.multiselect(
    t("wall.feed.show"),
    ["open", "acknowledged", "referred", "dismissed"],
    default=["open", "acknowledged"],
    format_func=lambda s: t(f"status.{s}"),
    key="wall_statuses",
)
data = queries.wall_data(store, chosen, max_tiles=layout.MAX_TILES, feed_limit=1)
st.session_state["wall_sig"] = data.signature()
st.session_state["_wall_full_run"] = True
st.session_state["_wall_frames"] = {
    (tl.room_id, tl.camera_id): tl.frame for panel in data.panels for tl in panel.tiles
}

left, right = st.columns([3, 1])
with left:
    for panel in data.panels:
        p = panel.project
        badges = " ".join(
            f"{formatting.SEVERITY_ICON[s]}{panel.counts[s]}"
            for s in ("red", "orange", "yellow")
            if panel.counts.get(s)
        )
        sealed = "" if p.opened else f" · 🔒 {t('wall.sealed_project')}"
        st.markdown(f"#### {p.project_id} {p.name or ''}")
        st.caption(f"{t('wall.stage', stage=formatting.stage(p.stage))}{sealed}  {badges}")
        if not panel.tiles:
            st.caption(t("wall.no_rooms"))
            continue
        cols = st.columns(3)
        for i, tl in enumerate(panel.tiles):
            interval = layout.FAST_S if tl.hot else layout.SLOW_S
            with cols[i % 3].container():  # own delta path -> own fragment id
                st.fragment(tile, run_every=interval)(tl.room_id, tl.camera_id, tl.open_alerts)
with right:
    st.fragment(feed, run_every=layout.FAST_S)(chosen, statuses)
