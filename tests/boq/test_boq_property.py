"""Property tests: honest bills stay quiet, planted files are found, whatever the project.

An honest bidder here prices the same standard quota items as everyone: it keeps or
changes the guide labour rate, buys some materials at its own prices, keeps or changes
the fee rates, or scales the control bill as a whole (often by a round coefficient
another bidder may pick too); some front-load early items, some slip; the project may
have an addendum every bidder prices, or a control price that is plainly off.

A copy is asked to be found when its master has something of its own to copy: ten
items (the rules' `min_items`) priced, or built up, plainly off the control bill. A
master that is the control bill at its own level has nothing a copy could be told by
(found by hypothesis: a 23-item master at the control's build-up on 19 items).
"""

from __future__ import annotations

import random
import statistics
from typing import Any

from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from detectors.boq import BoqDetector
from detectors.offline import run_detectors
from tests.boq.conftest import SHARE_KEYS, by_rule, independent, project_events
from witness.simulator import bill_pricing as sb

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_K = (0.85, 0.88, 0.9, 0.92, 0.95)


@st.composite
def honest_pricing(draw, seed: int) -> sb.Pricing:
    """One bidder's rates; `seed` is its own (bidders do not share price lists)."""
    if draw(st.integers(0, 3)) == 0:
        k = draw(st.one_of(st.sampled_from(ROUND_K), st.floats(0.8, 0.99)))
        return sb.Pricing(scale=round(k, 4))
    rng = random.Random(seed)
    own = rng.sample(sb.MATERIALS, draw(st.integers(3, len(sb.MATERIALS))))
    return sb.Pricing(
        labour=1.0 if draw(st.booleans()) else round(rng.uniform(0.9, 1.3), 3),
        materials={m: round(rng.uniform(0.85, 1.12), 3) for m in own},
        machine=1.0 if draw(st.booleans()) else round(rng.uniform(0.9, 1.15), 3),
        management=None if draw(st.booleans()) else round(rng.uniform(0.12, 0.40), 3),
        profit=None if draw(st.booleans()) else round(rng.uniform(0.04, 0.16), 3),
    )


@st.composite
def honest_project(draw, min_items: int = 20) -> dict[str, Any]:
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    w = sb.make_works(rng, draw(st.integers(min_items, 300)))
    comps = draw(st.booleans())
    tender = sb.control_bill(w, with_components=comps)
    if draw(st.booleans()):  # a control price plainly off on one material
        off = sb.bill(w, sb.Pricing(materials={draw(st.sampled_from(sb.MATERIALS)): 1.6}))
        for ln, bad in zip(tender, off, strict=True):
            ln.update(bad)
    priced_works = sb.addendum(rng, w, n=3) if draw(st.booleans()) else w
    bills, own_pricers = {}, 0
    seeds = draw(st.lists(st.integers(0, 2**32), min_size=3, max_size=10, unique=True))
    for i, own in enumerate(seeds):
        pricing = draw(honest_pricing(own))
        note(f"B{i:02d}: {pricing}")
        if pricing.scale != 1.0:  # 整体下浮 of the control bill as published (slips and all)
            lines = sb.requantify(sb.scaled(tender, pricing.scale), priced_works)
        else:
            lines = sb.bill(priced_works, pricing, with_components=comps)
            own_pricers += 1
        if draw(st.integers(0, 4)) == 0:
            sb.front_load(rng, lines, n=rng.randint(1, 4))
        for _ in range(draw(st.integers(0, 2))):
            lines = sb.slip(rng, lines)
        bills[f"B{i:02d}"] = lines
    return {
        "works": w,
        "tender": tender,
        "bills": bills,
        "seed": seed,
        "components": comps,
        "own_pricers": own_pricers,
    }


@SETTINGS
@given(honest_project())
def test_honest_bills_stay_quiet(p) -> None:
    alerts = run_detectors(project_events(p["bills"], p["tender"], seed=p["seed"]), [BoqDetector()])
    assert [(a.rule, a.subjects) for a in alerts] == [], [
        {k: v for k, v in a.evidence.items() if k != "items"} for a in alerts
    ]


def _own_prices(master: list[dict], tender: list[dict]) -> int:
    """Items the master priced on its own: more than 0.5 % off the control price at the
    master's own level. A copy of a bill that is the control bill (scaled) is an honest
    整体下浮 to any reader; the rules count only items not explained by the control."""
    control = {ln["code"]: ln["unit_price"] for ln in tender if not ln.get("fixed")}
    pairs = [(ln["unit_price"], control[ln["code"]]) for ln in master if ln["code"] in control]
    pairs = [(p, c) for p, c in pairs if c > 0]
    level = statistics.median(p / c for p, c in pairs)
    return sum(abs(p - level * c) > 0.005 * p for p, c in pairs)


def _own_build_up(master: list[dict], tender: list[dict]) -> int:
    """Items whose build-up is the master's own: some share more than 0.01 off the
    control's (labour, material, machine, management, profit)."""

    def shares(ln: dict) -> list[float]:
        comps = ln.get("components") or {}
        total = sum(comps.values())
        return [comps.get(k, 0) / total for k in SHARE_KEYS] if total > 0 else []

    control = {ln["code"]: shares(ln) for ln in tender if not ln.get("fixed")}
    return sum(
        1
        for ln in master
        if control.get(ln["code"])
        and (own := shares(ln))
        and max(abs(a - b) for a, b in zip(own, control[ln["code"]], strict=True)) > 0.01
    )


@SETTINGS
@given(honest_project(), st.floats(0.0, 0.15), st.integers(0, 2**32))
def test_a_copied_file_is_found(p, reprice, seed) -> None:
    master = independent(seed, p["works"], with_components=p["components"])
    # BOQ-SAME's min_items, seen plainly: found at 8x examples, a 23-item master whose own
    # prices were 6 items (the rest at the control price, which no copy can be told by)
    assume(_own_prices(master, p["tender"]) >= 10)
    copy = sb.copied(random.Random(seed), master, reprice)
    bills = {**p["bills"], "X1": master, "X2": copy}
    alerts = run_detectors(project_events(bills, p["tender"], seed=p["seed"]), [BoqDetector()])
    assert ["X1", "X2"] in [a.subjects for a in by_rule(alerts, "BOQ-SAME")]


@SETTINGS
@given(
    honest_project(),
    st.one_of(st.floats(0.8, 0.98), st.floats(1.02, 1.25)),
    st.integers(0, 2**32),
)
def test_a_scaled_file_is_found(p, k, seed) -> None:
    master = independent(seed, p["works"], with_components=p["components"])
    assume(_own_prices(master, p["tender"]) >= 10)  # BOQ-RATIO's min_items, seen plainly
    bills = {**p["bills"], "X1": master, "X2": sb.scaled(master, k)}
    alerts = run_detectors(project_events(bills, p["tender"], seed=p["seed"]), [BoqDetector()])
    found = by_rule(alerts, "BOQ-RATIO")
    assert ["X1", "X2"] in [a.subjects for a in found]
    (hit,) = [a for a in found if a.subjects == ["X1", "X2"]]
    if hit.evidence["kind"] == "ratio":
        assert abs(hit.evidence["ratio"] - k) < 0.01


@SETTINGS
@given(honest_project(), st.integers(0, 2**32))
def test_a_reweighted_file_keeps_its_build_up(p, seed) -> None:
    assume(p["components"])
    master = independent(seed, p["works"])
    assume(_own_build_up(master, p["tender"]) >= 10)  # BOQ-MIX's min_items, seen plainly
    bills = {**p["bills"], "X1": master, "X2": sb.remixed(random.Random(seed), master)}
    alerts = run_detectors(project_events(bills, p["tender"], seed=p["seed"]), [BoqDetector()])
    assert ["X1", "X2"] in [a.subjects for a in by_rule(alerts, "BOQ-MIX")]
    assert ["X1", "X2"] not in [a.subjects for a in by_rule(alerts, "BOQ-SAME")]


@SETTINGS
@given(honest_project(), st.integers(1, 4), st.integers(0, 2**32))
def test_shared_slips_are_found(p, n, seed) -> None:
    rng = random.Random(seed)
    edited, _, units = sb.skeleton_slips(rng, p["works"], n)
    a = sb.apply_units(independent(seed, edited, with_components=p["components"]), units)
    b = sb.apply_units(independent(seed + 1, edited, with_components=p["components"]), units)
    bills = {**p["bills"], "X1": a, "X2": b}
    alerts = run_detectors(project_events(bills, p["tender"], seed=p["seed"]), [BoqDetector()])
    assert ["X1", "X2"] in [a.subjects for a in by_rule(alerts, "BOQ-ERROR")]


@SETTINGS
@given(honest_project(), st.sampled_from(["lock_id", "machine_code"]), st.integers(0, 2**32))
def test_a_shared_licence_is_found(p, field, seed) -> None:
    rng = random.Random(f"licences-{seed}")  # not the stream the honest bidders' come from
    shared = sb.software(rng)
    other = {**sb.software(rng), field: shared[field]}
    bills = {
        **p["bills"],
        "X1": independent(seed, p["works"]),
        "X2": independent(seed + 1, p["works"]),
    }
    alerts = run_detectors(
        project_events(bills, p["tender"], software={"X1": shared, "X2": other}, seed=p["seed"]),
        [BoqDetector()],
    )
    assert [a.subjects for a in by_rule(alerts, "BOQ-LOCK")] == [["X1", "X2"]]


@SETTINGS
@given(honest_project(min_items=200), st.integers(2, 3), st.integers(0, 2**32))
def test_a_cartel_unbalancing_together_is_found(p, size, seed) -> None:
    """Found while the cartel is a minority of the bidders pricing on their own (a
    majority moves the field's median with it: detectors/boq/detector.py)."""
    assume(p["own_pricers"] > size)
    rng = random.Random(seed)
    plan = sb.unbalance_plan(rng, p["works"], 6)
    assume(len(plan) >= 10)
    cartel = {}
    for i in range(size):
        lines = independent(seed + i, p["works"], with_components=p["components"])
        sb.unbalanced(rng, lines, plan)
        cartel[f"X{i}"] = lines
    alerts = run_detectors(
        project_events({**p["bills"], **cartel}, p["tender"], seed=p["seed"]), [BoqDetector()]
    )
    groups = [a.subjects for a in by_rule(alerts, "BOQ-UNBAL")]
    assert any(set(cartel) <= set(g) for g in groups), groups
