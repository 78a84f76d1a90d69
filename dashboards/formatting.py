"""How the wall writes times, ages, stages and alerts for a person."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape

import streamlit as st

import dashboards.texts  # noqa: F401  (registers the wall's strings)
from dashboards.explain import Names, explain
from witness import timebase
from witness.i18n import t
from witness.sealing import AlertView

SEVERITY_ICON = {"red": "🔴", "orange": "🟠", "yellow": "🟡"}

#: What Streamlit's Markdown reads as syntax in a value: CommonMark's ASCII punctuation,
#: `$` (LaTeX), `:` (emoji shortcodes, `:red[...]`, and `https:` autolinks) and `&`
#: (entities). Each is written with a backslash, which Markdown shows as the character.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^%@/])")

#: Line breaks would end a table row or start a block; NUL and the rest show as nothing.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
#: Where Streamlit starts a link of its own: a scheme or `www` before `:`/`.`, an `@`.
_AUTOLINK = re.compile(r"(?i)(?:https?|ftp|mailto|www)(?=\\[:.])|\\@")


def md_text(value: object) -> str:
    """A value shown as itself in Streamlit Markdown (markdown, captions, expander labels).

    Bidders control their company names and their documents' author fields: written as
    `![x](https://...)` one made the officer's browser fetch an outside image, as
    `[通知](https://...)` it was a link on the witness wall, as `$x$` a formula."""
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", str(value))
    # Streamlit links bare URLs and e-mail addresses whatever their escapes: an invisible
    # word joiner after the scheme, 'www' or '@' keeps them text.
    escaped = _AUTOLINK.sub(lambda m: m.group(0) + "\u2060", escaped)
    return _CONTROL.sub(" ", escaped)


def fmt_ts(ts: datetime | None) -> str:
    if ts is None:
        return "-"
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def aware(ts: datetime) -> datetime:
    """Naive times (read back from SQLite) are UTC; comparable with aware ones."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def parse_ts(value: object) -> datetime | None:
    """An ISO timestamp from a record's JSON (None when it is not one)."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def age(ts: datetime | None, now: datetime | None = None) -> str:
    if ts is None:
        return t("wall.age.none")
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    secs = int(((now or timebase.now()) - ts).total_seconds())
    if secs < 120:
        return t("wall.age.s", n=max(secs, 0))
    if secs < 7200:
        return t("wall.age.m", n=secs // 60)
    return t("wall.age.h", n=secs // 3600)


def camera_label(room_id: str, camera_id: str | None) -> str:
    """A camera id without its room's prefix ("PB-201-C1" in PB-201 -> "C1")."""
    if not camera_id:
        return "-"
    prefix = f"{room_id}-"
    return camera_id[len(prefix) :] if camera_id.startswith(prefix) else camera_id


def stage(name: str) -> str:
    return t(f"wall.stage.{name}")


def alert_label(v: AlertView) -> str:
    mark = f" 🔒{t('wall.sealed')}" if v.sealed else ""
    icon, status = SEVERITY_ICON.get(v.severity, "⚪"), t(f"status.{v.status}")
    return f"{icon} \\[{md_text(v.project_id)}\\] {md_text(v.title)}{mark} · {status}"


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Rows as a Markdown table (cheap to render in every feed card, no index column)."""
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows for k in r))

    lines = ["| " + " | ".join(md_text(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(md_text(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _raw(evidence: dict) -> dict:
    """The evidence as JSON for the raw view; pictures replaced by a note."""
    out = json.loads(json.dumps(evidence, default=str))
    thumb = out.get("thumbnail")
    if isinstance(thumb, dict) and thumb.get("jpeg_base64"):
        thumb["jpeg_base64"] = t("wall.alert.picture_above")
    return out


def show_evidence(v: AlertView, names: Names | None = None) -> None:
    """Evidence for people: a sentence, tables, the camera's picture; raw JSON one click away."""
    if v.sealed:
        st.info(t("wall.sealed_note"))
        return
    ex = explain(v, names.copy() if names is not None else None)
    st.markdown(md_text(ex.summary))  # the explainers' sentences carry no Markdown of their own
    thumb = v.evidence.get("thumbnail") if isinstance(v.evidence, dict) else None
    picture = thumb.get("jpeg_base64") if isinstance(thumb, dict) else None
    # Only base64 inside the attribute: a quote in it opened the tag to an outside image.
    if isinstance(picture, str) and _BASE64.fullmatch(picture):
        st.html(
            f'<img class="wt-evidence-pic" src="data:image/jpeg;base64,{thumb["jpeg_base64"]}" '
            f'alt="{escape(str(thumb.get("camera_id", "")))}">'
            f'<div class="wt-cap">{escape(str(thumb.get("camera_id", "")))} · '
            f"{escape(str(thumb.get('ts', '')))}</div>"
        )
    for table in ex.tables:
        if table.rows:
            st.markdown(f"**{md_text(table.title)}**\n\n{markdown_table(table.rows)}")
    with st.popover(t("wall.alert.raw"), icon="🧾"):
        if v.subjects:
            st.caption(t("wall.alert.subjects", subjects=md_text(", ".join(v.subjects))))
        st.json(_raw(v.evidence), expanded=True)
