"""Procedure and camera rules in words (PROC-*, VID-*)."""

from __future__ import annotations

from typing import Any

from dashboards.explain.core import Explanation, Names, Table, col, label, num, when
from witness.i18n import t


def order(v: Any, ev: dict, names: Names) -> Explanation:
    if ev.get("check") == "opening_before_bid_deadline":
        summary = t(
            "ex.order_early",
            opened=when(ev.get("opened_at")),
            deadline=when(ev.get("bid_deadline")),
            minutes=num(ev.get("early_by_minutes"), 1),
        )
        rows = [
            {
                col("opened_at"): when(ev.get("opened_at")),
                col("deadline"): when(ev.get("bid_deadline")),
                col("early"): num(ev.get("early_by_minutes"), 1),
            }
        ]
        return Explanation(summary, [Table(t("ex.t.times"), rows)])
    allowed = "、".join(label("stage", p) for p in ev.get("allowed_phases") or [])
    summary = t(
        "ex.order",
        step=label("event", ev.get("step", "")),
        phase=label("stage", ev.get("phase", "")),
        allowed=allowed or "—",
        n=ev.get("occurrences", 1),
    )
    rows = [
        {
            col("step"): label("event", ev.get("step", "")),
            col("phase"): label("stage", ev.get("phase", "")),
            col("first"): when(ev.get("first_at")),
            col("last"): when(ev.get("last_at")),
            col("occurrences"): str(ev.get("occurrences", 1)),
        }
    ]
    return Explanation(summary, [Table(t("ex.t.steps"), rows)])


def late(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.late",
        bidder=names.bidder(ev.get("bidder_id")),
        minutes=num(ev.get("late_by_minutes"), 1),
        deadline=when(ev.get("bid_deadline")),
    )
    rows = [
        {
            col("deadline"): when(ev.get("bid_deadline")),
            col("submitted_at"): when(ev.get("submitted_at")),
            col("received_at"): when(ev.get("event_ts")),
            col("source"): str(ev.get("submitted_at_source", "")),
        }
    ]
    return Explanation(summary, [Table(t("ex.t.times"), rows)])


def few(v: Any, ev: dict, names: Names) -> Explanation:
    ids = ev.get("bidder_ids") or []
    least = (ev.get("threshold") or {}).get("min_bidders", 3)
    summary = t("ex.few", n=ev.get("bidders", len(ids)), min=least)
    rows = [{col("bidder"): names.bidder_name(b), col("credit_code"): str(b)} for b in ids]
    return Explanation(summary, [Table(t("ex.t.bidders"), rows)])


def candidates(v: Any, ev: dict, names: Names) -> Explanation:
    summary = t(
        "ex.cand",
        n=ev.get("candidates", "?"),
        max=(ev.get("threshold") or {}).get("max_candidates", 3),
    )
    rows = [
        {
            col("rank"): str(r.get("rank", "")),
            col("bidder"): names.bidder_name(r.get("bidder_id")),
            col("total"): num(r.get("total")),
        }
        for r in ev.get("ranking") or []
        if isinstance(r, dict)
    ]
    return Explanation(summary, [Table(t("ex.t.ranking"), rows)])


def _window(ev: dict) -> tuple[str, str, str]:
    w = ev.get("window") or {}
    return when(w.get("start")), when(w.get("end")), num(w.get("seconds"), 0)


def _episodes(ev: dict) -> Table:
    rows = [
        {
            col("from"): when(e.get("start")),
            col("to"): when(e.get("end")),
            col("seconds"): num(e.get("seconds"), 0),
            col("ongoing"): t("ex.yes") if e.get("ongoing") else t("ex.no"),
        }
        for e in ev.get("episodes") or []
        if isinstance(e, dict)
    ]
    return Table(t("ex.t.episodes"), rows)


def _where(ev: dict) -> str:
    room = ev.get("room_id") or "?"
    cam = ev.get("camera_id")
    return f"{room} {cam}" if cam else str(room)


def offline(v: Any, ev: dict, names: Names) -> Explanation:
    _, _, secs = _window(ev)
    m = ev.get("measurements") or {}
    summary = t(
        "ex.offline",
        where=_where(ev),
        secs=num(m.get("silent_seconds", secs), 0),
        last=when(m.get("last_heard")),
        session=label("session", (ev.get("session") or {}).get("kind", "")),
    )
    return Explanation(summary, [_episodes(ev)])


def tamper(v: Any, ev: dict, names: Names) -> Explanation:
    start, _, secs = _window(ev)
    m = ev.get("measurements") or {}
    reasons = "、".join(label("tamper", r) for r in m.get("reasons") or [])
    summary = t("ex.tamper", where=_where(ev), what=reasons or "—", secs=secs, start=start)
    rows = [
        {col("measure"): label("measure", k), col("value"): num(m[k])}
        for k in ("min_brightness", "min_sharpness", "max_scene_change", "frozen_frames", "frames")
        if k in m
    ]
    return Explanation(summary, [Table(t("ex.t.measurements"), rows), _episodes(ev)])


def people(v: Any, ev: dict, names: Names) -> Explanation:
    start, _, _ = _window(ev)
    m = ev.get("measurements") or {}
    seconds = (ev.get("window") or {}).get("seconds") or 0
    key = "ex.absent" if v.rule == "VID-ABSENT" else "ex.intruder"
    summary = t(
        key,
        where=_where(ev),
        roster=m.get("roster_size", "?"),
        count=_range(m.get("min_persons"), m.get("max_persons")),
        minutes=num(float(seconds) / 60, 1),
        start=start,
    )
    roster = [{col("expert"): names.expert(x)} for x in m.get("roster") or []]
    return Explanation(summary, [Table(t("ex.t.roster"), roster), _episodes(ev)])


def _range(low: Any, high: Any) -> str:
    if low is None and high is None:
        return "?"
    return str(low if low == high or high is None else f"{low}–{high}")


def afterhours(v: Any, ev: dict, names: Names) -> Explanation:
    start, _, secs = _window(ev)
    m = ev.get("measurements") or {}
    summary = t(
        "ex.afterhours",
        where=_where(ev),
        secs=secs,
        start=start,
        motion=num(m.get("max_motion"), 3),
    )
    rows = [
        {col("measure"): label("measure", k), col("value"): num(m[k], 3)}
        for k in ("motion_frames", "max_motion")
        if k in m
    ]
    return Explanation(summary, [Table(t("ex.t.measurements"), rows), _episodes(ev)])
