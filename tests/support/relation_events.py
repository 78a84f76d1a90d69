"""Builders for REL/PRICE tests: bid events, registry facts, an engine with one detector."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from witness.events import Event, make_event

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


def ts(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def bid(
    project: str,
    bidder: str,
    *,
    n: int = 0,
    price: float = 1_000_000.0,
    name: str | None = None,
    legal_rep: dict | None = None,
    directors: list[dict] | None = None,
    shareholders: list[dict] | None = None,
    submission: dict | None = None,
    contact: dict | None = None,
    pm: dict | None = None,
    account: str | None = None,
    event_id: str | None = None,
) -> Event:
    payload: dict[str, Any] = {
        "bidder": {
            "id": bidder,
            "name": name or f"{bidder} 建设有限公司",
            "legal_rep": legal_rep,
            "directors": directors or [],
            "shareholders": shareholders or [],
        },
        "price": price,
    }
    if submission is not None:
        payload["submission"] = submission
    if contact is not None:
        payload["contact"] = contact
    if pm is not None:
        payload["project_manager"] = pm
    if account is not None:
        payload["bond"] = {"payer_account": account, "payer_name": bidder}
    return make_event(
        "bid.submitted",
        project,
        ts(n),
        payload,
        event_id=event_id or f"{project}-bid-{bidder}-{n}",
    )


def relation(a: str, b: str, kind: str, share: float | None = None, **kw: Any) -> Event:
    payload = {"a": a, "b": b, "kind": kind, "share": share, "source": "SAMR", **kw}
    return make_event("registry.relation", "*", ts(-60), payload, event_id=f"rel-{a}-{b}-{kind}")


def by_rule(alerts, rule_id: str):
    return [a for a in alerts if a.rule == rule_id]
