"""The officer's wall: four projects side by side (2 × 2), up to 9 tiles each, the live
alert feed beside them, all on one 1920 × 1080 screen without scrolling.

Which projects: `layout.choose_projects` (a project with an open red alert stays until
it is decided). Tiles are ordered by activity and styled by it, Frigate-style: tiles of
rooms with open alerts refresh every FAST_S seconds and are outlined, tiles of a
session under way every LIVE_S, idle ones every SLOW_S, dimmed. The feed reruns fast
and redraws the whole wall when stages, badges, live rooms or the chosen projects change.
"""

from __future__ import annotations

import base64
import binascii
from html import escape

import streamlit as st

from dashboards import formatting, layout, queries, session, style
from dashboards.feed import alert_card, compact_list, flash, names_for, status_filter
from witness import timebase
from witness.i18n import t

acc = session.require("wall")
store = session.store()
style.wall()


def _choice(ids: list[str]) -> layout.WallChoice:
    summaries = queries.project_summaries(store, ids)
    return layout.choose_projects(summaries, st.session_state.get("wall_manual"))


def _picture(frame) -> str | None:
    if frame is None or not frame.thumbnail:
        return None
    try:
        base64.b64decode(frame.thumbnail, validate=True)  # only well-formed base64 ...
    except (binascii.Error, ValueError):
        return None
    return f"data:image/jpeg;base64,{frame.thumbnail}"  # ... goes out as a data URL


def tile(
    pid: str,
    room_id: str,
    camera_id: str | None,
    open_alerts: int,
    session_under_way: bool,
    held_by: str | None,
) -> None:
    """One camera tile; re-reads its latest frame on its own (timer) reruns."""
    preloaded = st.session_state.get("_wall_frames", {})
    if held_by:
        frame = None
    elif (pid, room_id, camera_id) in preloaded:  # a full run already read every frame at once
        frame = preloaded.pop((pid, room_id, camera_id))
    else:
        frame = queries.tile_frame(store, room_id, camera_id)
    state = layout.TileState(
        room_id,
        camera_id,
        open_alerts,
        session_under_way,
        frame.ts if frame is not None else None,
        frame.status if frame is not None else None,
    )
    kind = layout.activity(state, timebase.now())
    picture = _picture(frame)
    if picture:
        # A data URL is passed through as is: no PIL decode or media-file copy per tile.
        body = f'<img src="{picture}" alt="{escape(room_id)} {escape(camera_id or "")}">'
    else:
        note = t("wall.tile.held", project=held_by) if held_by else t("wall.no_picture")
        body = f'<div class="wt-nopic">{escape(note)}</div>'
    if frame is None:  # never heard from: no session has used the camera yet
        caption = t(
            "wall.tile.caption_none",
            room=room_id,
            camera=formatting.camera_label(room_id, camera_id),
        )
    else:
        caption = t(
            "wall.tile.caption",
            room=room_id,
            camera=formatting.camera_label(room_id, camera_id),
            status=t(f"wall.cam.{frame.status}")
            if frame.status in ("online", "offline")
            else frame.status,
            age=formatting.age(frame.ts),
        )
    badge = (
        f'<span class="wt-n" title="{escape(t("wall.tile.alerts", n=open_alerts))}">'
        f"🔴{open_alerts}</span> · "
        if open_alerts
        else ""
    )
    st.html(
        f'<div class="wt-tile wt-{kind}" data-tile="{escape(pid)}/{escape(room_id)}/'
        f'{escape(camera_id or "")}">{body}<div class="wt-cap">{badge}{escape(caption)}</div></div>'
    )


def feed(ids: list[str], project_ids: list[str], statuses: list[str]) -> None:
    """The live alert feed; redraws the whole wall when its summary changed."""
    session.still_signed_in(acc)  # disabled, or projects changed: redraw (or sign in) now
    fresh = st.session_state.pop("_wall_full_run", False)  # signature was just computed
    if not fresh and (
        set(_choice(ids).shown) != set(project_ids)
        or queries.current_signature(store, project_ids) != st.session_state.get("wall_sig")
    ):
        st.rerun()
    opened = store.opened_projects()
    rows = queries.feed(store, project_ids, statuses=statuses or ["open"], limit=layout.FEED_SIZE)
    decisions = queries.decisions_for(store, [r.alert_id for r in rows[: layout.FEED_CARDS]])
    names = names_for([r.project_id for r in rows[: layout.FEED_CARDS]], opened)
    with st.container(key="wall_feed"):
        st.subheader(t("wall.feed"))
        if not rows:
            st.caption(t("wall.feed.empty"))
        for row in rows[: layout.FEED_CARDS]:
            alert_card(
                row,
                opened=opened,
                acc=acc,
                decisions=decisions.get(row.alert_id, []),
                names=names.get(row.project_id),
            )
        compact_list(rows[layout.FEED_CARDS :], opened)


def _picked() -> None:
    st.session_state["wall_manual"] = list(st.session_state.get("wall_pick") or [])


def _automatic() -> None:
    st.session_state.pop("wall_manual", None)


def controls(ids: list[str], choice: layout.WallChoice) -> list[str]:
    """The header line: what is pinned and why, and a popover to pick projects."""
    if "wall_manual" not in st.session_state:
        st.session_state["wall_pick"] = list(choice.shown)
    notes = st.container(key="wall_controls")
    with notes.popover(t("wall.choose"), icon="⚙️"):
        st.multiselect(
            t("wall.choose_projects", n=layout.MAX_PROJECTS),
            ids,
            max_selections=layout.MAX_PROJECTS,
            key="wall_pick",
            on_change=_picked,
            placeholder=t("wall.choose_placeholder"),
        )
        st.button(t("wall.choose_auto"), key="wall_auto", on_click=_automatic)
        statuses = status_filter("wall_statuses")
    lines = [t("wall.mode.manual") if "wall_manual" in st.session_state else t("wall.mode.auto")]
    if choice.pinned:
        lines.append(t("wall.pinned", projects="、".join(choice.pinned[: layout.MAX_PROJECTS])))
    if choice.crowded_out:
        lines.append(t("wall.crowded_out", projects="、".join(choice.crowded_out)))
    notes.caption("  \n".join(lines))
    if choice.pinned_overflow:
        st.warning(t("wall.pinned_overflow", projects="、".join(choice.pinned_overflow)))
    return statuses


def panel(p: queries.ProjectPanel) -> None:
    pr = p.project
    badges = " ".join(
        f'<span class="wt-sev wt-{s}">{formatting.SEVERITY_ICON[s]}{p.counts[s]}</span>'
        for s in ("red", "orange", "yellow")
        if p.counts.get(s)
    )
    sealed = (
        f' · <span class="wt-sealed">🔒 {t("wall.sealed_project")}</span>' if not pr.opened else ""
    )
    with st.container(border=True, key=style.css_key("panel", pr.project_id)):
        st.html(
            f'<div class="wt-head" data-project="{escape(pr.project_id)}">'
            f"<b>{escape(pr.project_id)}</b> {escape(pr.name or '')}"
            f' <span class="wt-stage">{escape(formatting.stage(pr.stage))}{sealed}</span>'
            f" {badges}</div>"
        )
        if not p.tiles:
            st.caption(t("wall.no_rooms"))
            return
        for start in range(0, layout.MAX_TILES, layout.TILE_COLUMNS):
            row = p.tiles[start : start + layout.TILE_COLUMNS]
            if not row:
                break
            cols = st.columns(layout.TILE_COLUMNS, gap="small")
            for col, tl in zip(cols, row, strict=False):
                kind = tl.activity(timebase.now())
                with col.container():  # own delta path -> own fragment id
                    st.fragment(tile, run_every=layout.refresh_every(kind))(
                        pr.project_id,
                        tl.room_id,
                        tl.camera_id,
                        tl.open_alerts,
                        tl.session_state == "under_way",
                        tl.held_by,
                    )


ids = session.visible_project_ids(acc)
if not ids:
    st.info(t("wall.no_projects"))
    st.stop()
choice = _choice(ids)
chosen = layout.keep_places(st.session_state.get("_wall_places", []), choice.shown)
st.session_state["_wall_places"] = chosen
data = queries.wall_data(store, chosen, max_tiles=layout.MAX_TILES, feed_limit=1)
st.session_state["wall_sig"] = data.signature()
st.session_state["_wall_full_run"] = True
st.session_state["_wall_frames"] = {
    (panel_.project.project_id, tl.room_id, tl.camera_id): tl.frame
    for panel_ in data.panels
    for tl in panel_.tiles
}

grid, right = st.columns([3.3, 1], gap="small")
with grid, st.container(key="wall_grid"):
    panels = data.panels
    for start in range(0, layout.MAX_PROJECTS, layout.PANEL_COLUMNS):
        pair = panels[start : start + layout.PANEL_COLUMNS]
        if not pair:
            break
        cols = st.columns(layout.PANEL_COLUMNS, gap="small")
        for col, p in zip(cols, pair, strict=False):
            with col:
                panel(p)
with right, st.container(key="wall_side"):
    session.account_bar(acc)
    flash()
    statuses = controls(ids, choice)
    st.fragment(feed, run_every=layout.FAST_S)(ids, chosen, statuses)
