"""Bills of quantities as events for the BOQ tests (built on witness/simulator/bill_pricing.py)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from witness.alerts import Alert
from witness.events import Event, make_event
from witness.simulator import bill_pricing as sb

P = "JY-2026-0180"
T0 = datetime(2026, 9, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def boq_event(
    owner: str,
    lines: list[dict[str, Any]],
    *,
    n: int,
    software: dict[str, str] | None = None,
    project: str = P,
) -> Event:
    payload: dict[str, Any] = {
        "bidder_id": owner,
        "doc_id": f"{project}:{owner}:boq",
        "items": lines,
    }
    if software is not None:
        payload["software"] = software
    return make_event(
        "boq.submitted",
        project,
        T0 + timedelta(minutes=n),
        payload,
        event_id=f"boq-{project}-{owner}-{n}",
    )


def opening(n: int = 100, project: str = P) -> Event:
    return make_event(
        "opening.started",
        project,
        T0 + timedelta(minutes=n),
        {"room_id": "KB-101"},
        event_id=f"open-{project}-{n}",
    )


def project_events(
    bills: dict[str, list[dict[str, Any]]],
    tender: list[dict[str, Any]] | None,
    *,
    software: dict[str, dict[str, str]] | None = None,
    seed: int = 0,
) -> list[Event]:
    """The tender's bill (if any), every bidder's bill, then the opening."""
    rng = random.Random(seed)
    events = [boq_event("tender", tender, n=0)] if tender is not None else []
    for i, (owner, lines) in enumerate(bills.items()):
        sw = (software or {}).get(owner) or sb.software(rng)
        events.append(boq_event(owner, lines, n=i + 1, software=sw))
    return events + [opening()]


#: The five components of an item's build-up, in the order bills carry them.
SHARE_KEYS = ("labour", "material", "machine", "management", "profit")


def by_rule(alerts: list[Alert], rule: str) -> list[Alert]:
    return [a for a in alerts if a.rule == rule]


def honest_field(
    seed: int, n_items: int, n_bidders: int, *, with_components: bool = True
) -> tuple[sb.Works, list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """A works, its control bill and `n_bidders` honest bills (B01, B02, ...)."""
    rng = random.Random(seed)
    w = sb.make_works(rng, n_items)
    tender = sb.control_bill(w, with_components=with_components)
    bills = {
        f"B{i:02d}": sb.honest_bill(rng, w, with_components=with_components)
        for i in range(1, n_bidders + 1)
    }
    return w, tender, bills


def independent(seed: int, w: sb.Works, *, with_components: bool = True) -> list[dict[str, Any]]:
    """A bill priced with the bidder's own rates (never a scaled control bill)."""
    return sb.bill(w, sb.own_pricing(random.Random(seed)), with_components=with_components)
