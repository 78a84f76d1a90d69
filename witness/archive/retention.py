"""How long a bundle must be kept (政府采购法 第四十二条: at least fifteen years)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

from witness.store.models import to_utc

DEFAULT_RETENTION_YEARS = 15
RETENTION_BASIS = "政府采购法 第四十二条：采购文件从采购结束之日起至少保存十五年"


def retention_years(env: dict[str, str] | None = None) -> int:
    """WITNESS_RETENTION_YEARS, at least 15 by default (政府采购法 第四十二条)."""
    env = os.environ if env is None else env
    raw = env.get("WITNESS_RETENTION_YEARS") or str(DEFAULT_RETENTION_YEARS)
    years = int(raw)
    if years < 1:
        raise ValueError(f"WITNESS_RETENTION_YEARS={raw!r}: must be a positive number of years")
    return years


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def retention_until(last_activity: datetime, years: int) -> date:
    """Keep until `years` after the project's last recorded activity (its end)."""
    return add_years(to_utc(last_activity).date(), years)


def may_delete(manifest: dict[str, Any], today: date | None = None) -> bool:
    """True only once the retention date has passed; nothing is deleted before it."""
    until = date.fromisoformat(manifest["retention_until"])
    return (today or datetime.now(UTC).date()) > until
