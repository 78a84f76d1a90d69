"""Event builders for the EXP-* and PROC-* tests: one honest project, piece by piece."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from detectors.base import Context
from detectors.experts import (
    AvoidanceDetector,
    BehaviourDetector,
    CommitteeDetector,
    ScoringDetector,
)
from detectors.procedure import ProcedureDetector
from witness.alerts import Alert
from witness.events import Event, make_event

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
PID = "JY-2026-0100"

_ids = itertools.count()


def ev(type_: str, payload: dict[str, Any], at: datetime | float = 0, pid: str = PID) -> Event:
    """An event `at` minutes after T0 (or at a datetime) with a fresh unique id."""
    ts = at if isinstance(at, datetime) else T0 + timedelta(minutes=at)
    return make_event(type_, pid, ts, payload, event_id=f"t{next(_ids)}")


def expert(
    eid: str, role: str = "expert", at: float = -600, room: str = "R2", **fields: Any
) -> Event:
    body = {"id": eid, "name": f"专家{eid}", "role": role, **fields}
    return ev("expert.assigned", {"expert": body, "room_id": room}, at)


def party(bid: str, legal_rep_id: str | None = None, **fields: Any) -> dict[str, Any]:
    rep = {"name": f"法人{bid}", "id_no": legal_rep_id or f"ID-{bid}"}
    return {"id": bid, "name": f"公司{bid}", "legal_rep": rep, **fields}


def bid(bidder: str, at: float = -1440, price: float = 1_000_000, **party_fields: Any) -> Event:
    return ev("bid.submitted", {"bidder": party(bidder, **party_fields), "price": price}, at)


def score(
    e: str,
    b: str,
    item: str,
    value: float,
    kind: str = "subjective",
    mx: float = 20,
    at: float = 30,
) -> Event:
    payload = {
        "expert_id": e,
        "bidder_id": b,
        "item_id": item,
        "kind": kind,
        "score": value,
        "max_score": mx,
    }
    return ev("score.submitted", payload, at)


def relation(a: str, b: str, kind: str, **fields: Any) -> Event:
    return ev("registry.relation", {"a": a, "b": b, "kind": kind, **fields}, -5000, pid="*")


def evaluation_started(at: float = 0, planned: float | None = 120) -> Event:
    return ev("evaluation.started", {"room_id": "R2", "planned_minutes": planned}, at)


def fold(detector: Any, events: list[Event], ctx: Context | None = None) -> dict[str, Alert]:
    """Run one detector directly; return the last version of every alert by id."""
    ctx = ctx or Context()
    states: dict[str, Any] = {}
    out: dict[str, Alert] = {}
    for e in events:
        k = detector.key(e)
        if k is None:
            continue
        state, alerts = detector.step(states.get(k) or detector.initial(), e, ctx)
        states[k] = state
        for a in alerts:
            out[a.alert_id] = a
    return out


def expert_detectors() -> list:
    """Fresh EXP/PROC detectors, to run through the real engine (registry folding, dedup,
    sealing) with `run_detectors`."""
    return [
        CommitteeDetector(),
        AvoidanceDetector(),
        ScoringDetector(),
        BehaviourDetector(),
        ProcedureDetector(),
    ]


def by_rule(alerts: dict[str, Alert] | list[Alert], rule: str) -> list[Alert]:
    values = alerts.values() if isinstance(alerts, dict) else alerts
    return [a for a in values if a.rule == rule]


#: Tier scales (档次分) of four subjective items: a 15-point item and three 10-point ones.
TIERS = {"t1": [15, 12, 9, 6], "t2": [10, 8, 6, 4], "t3": [10, 8, 6, 4], "t4": [10, 8, 6, 4]}


def tiered_committee(rng: random.Random, experts: int, bidders: int, off: float) -> dict:
    """Honest tiered sheets: each cell's true tier, each expert one tier off with `off`."""
    table: dict[str, dict[tuple[str, str], float]] = {f"E{k}": {} for k in range(experts)}
    for b in range(bidders):
        for item, tiers in TIERS.items():
            true = rng.choices(range(len(tiers)), weights=[3, 4, 2, 1])[0]
            for e in table:
                t = true
                if rng.random() < off:
                    t = min(len(tiers) - 1, max(0, t + rng.choice([-1, 1])))
                table[e][(f"B{b}", item)] = float(tiers[t])
    return table
