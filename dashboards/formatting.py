"""How the wall writes times, ages, stages and alerts for a person."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import streamlit as st

import dashboards.texts  # noqa: F401  (registers the wall's strings)
from witness.i18n import t
from witness.sealing import AlertView

SEVERITY_ICON = {"red": "🔴", "orange": "🟠", "yellow": "🟡"}


def fmt_ts(ts: datetime | None) -> str:
    if ts is None:
        return "-"
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def age(ts: datetime | None, now: datetime | None = None) -> str:
    if ts is None:
        return t("wall.age.none")
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    secs = int(((now or datetime.now(UTC)) - ts).total_seconds())
    if secs < 120:
        return t("wall.age.s", n=max(secs, 0))
    if secs < 7200:
        return t("wall.age.m", n=secs // 60)
    return t("wall.age.h", n=secs // 3600)


def stage(name: str) -> str:
    return t(f"wall.stage.{name}")


def alert_label(v: AlertView) -> str:
    mark = f" 🔒{t('wall.sealed')}" if v.sealed else ""
    return f"{SEVERITY_ICON.get(v.severity, '⚪')} [{v.project_id}] {v.title}{mark} · {t(f'status.{v.status}')}"


def show_evidence(v: AlertView) -> None:
    """Evidence as data; unknown shapes are shown as JSON rather than dropped."""
    if v.sealed:
        st.info(t("wall.sealed_note"))
        return
    if v.subjects:
        st.caption(t("wall.alert.subjects", subjects=", ".join(v.subjects)))
    st.json(json.loads(json.dumps(v.evidence, default=str)), expanded=False)
