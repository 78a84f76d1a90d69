"""Simulated time: whole seconds since the run's base day, shown as +08:00 timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

TZ = timezone(timedelta(hours=8))
BASE = datetime(2026, 9, 1, tzinfo=TZ)  # a Tuesday
DAY = 86_400

_DAYS: dict[int, str] = {}


def iso(t: int) -> str:
    """ISO-8601 with +08:00 for a simulated second (fast: one date format per day)."""
    day, sec = divmod(t, DAY)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (BASE + timedelta(days=day)).date().isoformat()
    h, rem = divmod(sec, 3600)
    return f"{date}T{h:02d}:{rem // 60:02d}:{rem % 60:02d}+08:00"


def weekday(day: int) -> int:
    """Monday 0 .. Sunday 6 of a simulated day."""
    return (BASE.weekday() + day) % 7
