"""Bills of quantities for the simulated 工程 projects: honest bills everywhere, BOQ plants.

Every 工程 project with three bidders or more gets the tender's control bill and one
priced bill per bidder (bill_pricing.py prices them). Most bills are honest, traps
included (default rates kept, the control bill scaled by a round coefficient, front-
loaded early items, slips). A default run guarantees every BOQ rule once (BUNDLES, on
projects with enough bidders, busy ones first so most projects stay clean); further
plants come at realistic rates. Plants use disjoint bidders, and a plant's truth lists
every rule its file implies: a copied or scaled file keeps its build-up (BOQ-MIX too,
when the bills carry components).

Planning decides recipes only; the item lines are rendered when the bid phase is
streamed, from the project's own seeded generator (same bytes for the same seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from witness.simulator import bill_pricing as bp
from witness.simulator.plan import Event, Project, case

#: plant -> the rules its file implies (MIX only where the bills carry components).
IMPLIES: dict[str, tuple[str, ...]] = {
    "same": ("BOQ-SAME", "BOQ-MIX"),
    "ratio": ("BOQ-RATIO", "BOQ-MIX"),
    "mix": ("BOQ-MIX",),
    "error": ("BOQ-ERROR",),
    "lock": ("BOQ-LOCK",),
    "unbal": ("BOQ-UNBAL",),
}
BUNDLES: list[list[str]] = [["same", "lock"], ["ratio", "error"], ["mix"], ["unbal"]]
RATES = {"same": 0.03, "ratio": 0.015, "mix": 0.015, "error": 0.015, "lock": 0.02, "unbal": 0.01}
NOTES = {
    "same": "planted: one pricing file, a few items re-priced by hand",
    "ratio": "planted: one pricing file scaled by a coefficient",
    "mix": "planted: one pricing file, every item's price moved on its own, build-up kept",
    "error": "planted: two bills from one edited skeleton (quantities, dropped items, units)",
    "lock": "planted: two bills priced under one software licence",
    "unbal": "planted: bidders raising and lowering the same items by the same factors",
}


@dataclass
class BillPlan:
    seed: str
    items: int
    components: bool
    recipes: dict[str, tuple] = field(default_factory=dict)  # bidder -> recipe
    shared_field: str = "lock_id"  # BOQ-LOCK: which fingerprint the pair shares


def _need(kinds: list[str]) -> int:
    """Bidders a set of plants needs: its members plus honest bidders around them."""
    return 2 * len(kinds) + (3 if "unbal" in kinds else 1)


def plan_bills(projects: list[Project], seed: int) -> list[dict[str, Any]]:
    """Decide every project's bills and plants; the BOQ truth (also on each project)."""
    rng = random.Random(f"witness-sim:{seed}:boq")
    cases: list[dict[str, Any]] = []
    eligible = [p for p in projects if p.category == "工程" and len(p.bids) >= 3]
    order = sorted(eligible, key=lambda p: (not p.spec.dirty(), rng.random()))
    for bundle in BUNDLES:
        for p in order:
            if not p.spec.boq and len(p.bids) >= _need(bundle):
                p.spec.boq = list(bundle)
                break
    for p in eligible:
        prng = random.Random(f"witness-sim:{seed}:boq:{p.idx}")
        if not p.spec.boq:
            for kind, rate in RATES.items():
                if prng.random() < rate and len(p.bids) >= _need([*p.spec.boq, kind]):
                    p.spec.boq.append(kind)
        before = len(p.truth)
        p.bills = _plan(p, prng, seed)
        cases.extend(p.truth[before:])
    return cases


def _plan(p: Project, rng: random.Random, seed: int) -> BillPlan:
    kinds = p.spec.boq
    components = bool({"same", "ratio", "mix"} & set(kinds)) or rng.random() < 0.6
    size = 200 if "unbal" in kinds else rng.randint(40, 150)
    plan = BillPlan(f"witness-sim:{seed}:bills:{p.idx}", size, components)
    free = [b.company.id for b in p.bids]
    rng.shuffle(free)
    for kind in kinds:
        members = [free.pop(), free.pop()]
        if kind in ("same", "ratio", "mix"):
            plan.recipes[members[0]] = ("master",)
            copy = {
                "same": ("copy", members[0], round(rng.uniform(0.0, 0.12), 3)),
                "ratio": ("scaled", members[0], _coefficient(rng)),
                "mix": ("remix", members[0]),
            }[kind]
            plan.recipes[members[1]] = copy
        elif kind == "error":
            plan.recipes.update({m: ("skeleton",) for m in members})
        elif kind == "unbal":
            plan.recipes.update({m: ("unbal",) for m in members})
        else:
            plan.recipes.update({m: ("honest",) for m in members})
            plan.shared_field = rng.choice(("lock_id", "machine_code"))
            plan.recipes[members[1]] = ("honest", "licence", members[0])
        rules = [r for r in IMPLIES[kind] if r != "BOQ-MIX" or components]
        for rule in rules:
            p.truth.append(case(rule, p.pid, members, NOTES[kind]))
    for bidder in free:  # honest, or pricing on their own where a cartel unbalances
        plan.recipes[bidder] = ("own",) if "unbal" in kinds else ("honest",)
    return plan


def _coefficient(rng: random.Random) -> float:
    k = rng.uniform(0.9, 0.97)
    return round(k if rng.random() < 0.5 else 2 - k, 4)


def bill_events(p: Project) -> list[Event]:
    """The control bill after registration, each bidder's bill just after its bid."""
    plan: BillPlan | None = p.bills
    if plan is None:
        return []
    rng = random.Random(plan.seed)
    w = bp.make_works(rng, plan.items)
    tender = bp.control_bill(w, with_components=plan.components)
    lines: dict[str, list[dict[str, Any]]] = {}
    software: dict[str, dict[str, str]] = {}
    skeleton = bp.skeleton_slips(random.Random(plan.seed + ":skeleton"), w, 2)
    moves = bp.unbalance_plan(random.Random(plan.seed + ":unbalance"), w, 7)
    own = lambda works: bp.bill(works, bp.own_pricing(rng), with_components=plan.components)  # noqa: E731
    order = sorted(plan.recipes, key=lambda b: (plan.recipes[b][0] not in ("master",), b))
    for bidder in order:
        recipe = plan.recipes[bidder]
        software[bidder] = bp.software(rng)
        match recipe[0]:
            case "master" | "own":
                lines[bidder] = own(w)
            case "copy":
                lines[bidder] = bp.copied(rng, lines[recipe[1]], recipe[2])
            case "scaled":
                lines[bidder] = bp.scaled(lines[recipe[1]], recipe[2])
            case "remix":
                lines[bidder] = bp.remixed(rng, lines[recipe[1]])
            case "skeleton":
                edited, _, units = skeleton
                lines[bidder] = bp.apply_units(own(edited), units)
            case "unbal":
                lines[bidder] = own(w)
                bp.unbalanced(rng, lines[bidder], moves)
            case _:
                lines[bidder] = bp.honest_bill(
                    rng, w, with_components=plan.components, control=tender
                )
    for bidder, recipe in plan.recipes.items():
        if recipe[1:2] == ("licence",):
            software[bidder][plan.shared_field] = software[recipe[2]][plan.shared_field]
    out: list[Event] = [(p.registered + 1800, "boq.submitted", _payload(p, "tender", tender, None))]
    for b in p.bids:
        bidder = b.company.id
        out.append(
            (b.at + 5, "boq.submitted", _payload(p, bidder, lines[bidder], software[bidder]))
        )
    return out


def _payload(
    p: Project, owner: str, lines: list[dict[str, Any]], software: dict[str, str] | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "bidder_id": owner,
        "doc_id": f"{p.pid}:{owner if owner == 'tender' else owner[-6:]}:boq",
        "items": lines,
    }
    if software is not None:
        payload["software"] = software
    return payload
