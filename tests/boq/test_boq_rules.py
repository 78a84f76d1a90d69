"""BOQ-SAME / RATIO / ERROR / MIX / LOCK / UNBAL on bills priced the way bidders price them."""

from __future__ import annotations

import random

import pytest

from detectors import Context
from detectors.boq import BoqDetector
from detectors.offline import run_detectors
from tests.boq.conftest import (
    SHARE_KEYS,
    by_rule,
    honest_field,
    independent,
    opening,
    project_events,
)
from tests.boq.conftest import boq_event as bev
from witness.config import Thresholds
from witness.simulator import bill_pricing as sb


@pytest.fixture(scope="module")
def field():
    """A 400-item works, its control bill, six honest bills and an independent master file."""
    w, tender, bills = honest_field(seed=5, n_items=400, n_bidders=6)
    return w, tender, bills, independent(99, w)


def _pairs(alerts, rule):
    return sorted(a.subjects for a in by_rule(alerts, rule))


def test_honest_field_is_quiet(field) -> None:
    _, tender, bills, _ = field
    assert run_detectors(project_events(bills, tender), [BoqDetector()]) == []


def test_copied_file_fires_same_with_the_items_side_by_side(field) -> None:
    _, tender, bills, master = field
    bills = {**bills, "C1": master, "C2": sb.copied(random.Random(1), master, 0.1)}
    alerts = run_detectors(project_events(bills, tender), [BoqDetector()])
    assert _pairs(alerts, "BOQ-SAME") == [["C1", "C2"]]
    (a,) = by_rule(alerts, "BOQ-SAME")
    assert a.severity == "red" and a.legal_basis.endswith("第四十条（四）")
    ev = a.evidence
    assert 0.8 <= ev["share"] < 1.0 and ev["identical"] == round(ev["share"] * ev["compared"])
    assert ev["removed"]["fixed"] == len(sb.FIXED_ITEMS)  # copied by everyone: not counted
    rows = ev["items"]
    assert 1 <= len(rows) <= 30 and all(r["match"] and r["a"] == r["b"] for r in rows)
    assert all(r["control"] is not None and r["code"] and r["name"] for r in rows)
    assert set(ev["documents"]) == {"C1", "C2"} and len(a.event_ids) == 3  # two bills + tender


def test_same_fires_at_the_share_threshold_and_not_below(field) -> None:
    w, tender, _, master = field
    rng = random.Random(3)
    priced = [i for i, ln in enumerate(master) if not ln.get("fixed")]
    for share, fires in ((0.83, True), (0.77, False)):
        copy = sb.copy_lines(master)
        for i in rng.sample(priced, round(len(priced) * (1 - share))):
            sb.reweight(copy[i], 1.07)
        alerts = run_detectors(
            project_events({"A": master, "B": copy, "H": independent(7, w)}, tender),
            [BoqDetector()],
        )
        assert bool(by_rule(alerts, "BOQ-SAME")) is fires, share


def _keeping_the_control(master, tender, share: float, rng: random.Random):
    """The master with `share` of its priced items at the control bill's line (kept)."""
    control = {ln["code"]: ln for ln in tender}
    out = sb.copy_lines(master)
    priced = [i for i, ln in enumerate(out) if not ln.get("fixed") and ln["code"] in control]
    kept = set(rng.sample(priced, round(share * len(priced))))
    for i in kept:
        out[i] = sb.copy_lines([control[out[i]["code"]]])[0]
    return out, [i for i in priced if i not in kept]


def test_a_copy_re_priced_on_a_quarter_of_the_masters_own_items_is_still_same(field) -> None:
    """A master that keeps the control on three items in four and prices the rest itself;
    the copy re-prices a quarter of those own items by hand. Its own identical prices are
    75 % of its own items, yet 94 % of the items both priced are identical: a copy (found
    by hypothesis as a 32-item bill, 5 of its 24 own items re-priced)."""
    w, tender, _, master = field
    rng = random.Random(8)
    master, own = _keeping_the_control(master, tender, 0.75, rng)
    copy = sb.copy_lines(master)
    for i in rng.sample(own, round(0.25 * len(own))):
        sb.reweight(copy[i], 1.09)
    alerts = run_detectors(
        project_events({"A": master, "B": copy, "H": independent(7, w)}, tender), [BoqDetector()]
    )
    (a,) = by_rule(alerts, "BOQ-SAME")
    ev = a.evidence
    assert a.subjects == ["A", "B"] and ev["share"] < 0.8 <= ev["share_with_control"]
    assert ev["identical"] >= 10 and ev["control_identical"] > ev["compared"]
    from dashboards.explain import explain  # the wall says why, both measures

    said = explain(a).summary
    assert f"另有 {ev['control_identical']} 项" in said and f"{ev['identical']} 项" in said


def test_two_bills_keeping_the_control_alike_need_their_own_identical_prices(field) -> None:
    """Bills at the control on most items agree there by the control, not by a copy: with
    fewer own identical prices than min_items, however many they keep alike, quiet."""
    w, tender, _, master = field
    rng = random.Random(9)
    a, own = _keeping_the_control(master, tender, 0.97, rng)
    b = sb.copy_lines(a)
    for i in own[9:]:
        sb.reweight(b[i], 1.09)  # 9 own prices left alike
    assert ev_of(run_detectors(project_events({"A": a, "B": b}, tender), [BoqDetector()])) == []
    b = sb.copy_lines(a)
    for i in own[10:]:
        sb.reweight(b[i], 1.09)  # 10 alike: a copy of what it priced itself
    assert ev_of(run_detectors(project_events({"A": a, "B": b}, tender), [BoqDetector()])) == [
        ["A", "B"]
    ]


def ev_of(alerts) -> list[list[str]]:
    return _pairs(alerts, "BOQ-SAME")


def test_same_share_is_configurable(field) -> None:
    _, tender, _, master = field
    bills = {"C1": master, "C2": sb.copied(random.Random(1), master, 0.1)}
    strict = Thresholds.defaults().with_overrides("BOQ-SAME", share=0.95)
    assert by_rule(run_detectors(project_events(bills, tender), [BoqDetector()]), "BOQ-SAME")
    assert not by_rule(
        run_detectors(project_events(bills, tender), [BoqDetector()], Context(thresholds=strict)),
        "BOQ-SAME",
    )


def test_two_bidders_scaling_the_control_bill_alike_stay_quiet(field) -> None:
    w, tender, _, _ = field
    same_k = sb.bill(w, sb.Pricing(scale=0.95))
    bills = {"A": same_k, "B": sb.copy_lines(same_k), "C": sb.bill(w, sb.Pricing(scale=0.9))}
    assert run_detectors(project_events(bills, tender), [BoqDetector()]) == []
    # The trap is real: without the control bill the same three bills do fire.
    blind = run_detectors(project_events(bills, None), [BoqDetector()])
    assert {"BOQ-SAME", "BOQ-RATIO"} <= {a.rule for a in blind}


def test_scaled_copy_fires_ratio_with_the_factor(field) -> None:
    _, tender, bills, master = field
    bills = {**bills, "C1": master, "C2": sb.scaled(master, 0.937)}
    alerts = run_detectors(project_events(bills, tender), [BoqDetector()])
    assert _pairs(alerts, "BOQ-RATIO") == [["C1", "C2"]]
    ev = by_rule(alerts, "BOQ-RATIO")[0].evidence
    assert ev["kind"] == "ratio" and ev["ratio"] == pytest.approx(0.937, abs=1e-3)
    assert ev["share"] >= 0.8 and all(
        abs(r["b"] - r["expected_b"]) <= 0.03 + 0.001 * r["b"] for r in ev["items"] if r["match"]
    )
    assert not by_rule(alerts, "BOQ-SAME")
    assert _pairs(alerts, "BOQ-MIX") == [["C1", "C2"]]  # a scaled file keeps its build-up


def test_two_honest_bills_a_hair_apart_are_not_a_scaled_copy(field) -> None:
    """Two bidders keep the quota and 信息价 and pick profit rates of 13.4 % and 13.5 %:
    their bills are nearly a constant ratio of each other (about 1.0002), within the
    fit's tolerance on most items. That is "nearly the same prices", reached honestly;
    a fit that close to b = a is no copy (`min_departure`), and their items' shares
    differ from the control's only by the fee rates, which is no build-up of their own."""
    w, tender, _, _ = field
    near = {
        "P1": sb.bill(w, sb.Pricing(materials={"涂料": 0.901}, profit=0.134)),
        "P2": sb.bill(w, sb.Pricing(materials={"防水卷材": 1.04}, profit=0.135)),
        "S": sb.requantify(sb.scaled(tender, 0.85), w),
    }
    # nor the same build-up: where both kept the quota and 信息价, only fee rates differ
    assert run_detectors(project_events(near, tender), [BoqDetector()]) == []
    blind = Thresholds.defaults().with_overrides("BOQ-RATIO", min_departure=0)
    found = run_detectors(project_events(near, tender), [BoqDetector()], Context(thresholds=blind))
    [hit] = by_rule(found, "BOQ-RATIO")
    assert hit.subjects == ["P1", "P2"] and hit.evidence["ratio"] == pytest.approx(1, abs=0.002)


def test_constant_difference_fires_ratio(field) -> None:
    _, tender, _, master = field
    shifted = sb.copy_lines(master)
    for ln in shifted:
        if not ln.get("fixed"):
            ln["unit_price"] = round(ln["unit_price"] + 3.5, 2)
            ln.pop("components")
    alerts = run_detectors(project_events({"A": master, "B": shifted}, tender), [BoqDetector()])
    (a,) = by_rule(alerts, "BOQ-RATIO")
    assert a.evidence["kind"] == "difference" and a.evidence["difference"] == pytest.approx(3.5)


def test_same_build_up_fires_mix_only(field) -> None:
    _, tender, bills, master = field
    bills = {**bills, "C1": master, "C2": sb.remixed(random.Random(2), master)}
    alerts = run_detectors(project_events(bills, tender), [BoqDetector()])
    assert [a.rule for a in alerts] == ["BOQ-MIX"] and alerts[0].subjects == ["C1", "C2"]
    rows = alerts[0].evidence["items"]
    assert rows and all(r["match"] and r["a"] != r["b"] for r in rows)
    for r in rows:
        assert all(abs(r["a_shares"][k] - r["b_shares"][k]) <= 0.005 for k in SHARE_KEYS)


def test_mix_needs_components(field) -> None:
    w, _, _, _ = field
    master = independent(99, w, with_components=False)
    tender = sb.control_bill(w, with_components=False)
    bills = {"C1": master, "C2": sb.remixed(random.Random(2), master)}
    assert run_detectors(project_events(bills, tender), [BoqDetector()]) == []


def test_shared_slips_fire_error_but_a_shared_addendum_does_not(field) -> None:
    w, tender, _, _ = field
    rng = random.Random(4)
    edited, dropped, units = sb.skeleton_slips(rng, w, 2)
    a = sb.apply_units(independent(11, edited), units)
    b = sb.apply_units(independent(12, edited), units)
    bills = {"A": a, "B": b, "H1": independent(13, w), "H2": independent(14, w)}
    alerts = run_detectors(project_events(bills, tender), [BoqDetector()])
    assert [x.rule for x in alerts] == ["BOQ-ERROR"] and alerts[0].subjects == ["A", "B"]
    ev = alerts[0].evidence
    assert ev["kinds"] == {"quantity": 2, "missing": 2, "unit": 2}
    assert {r["code"] for r in ev["items"] if r["kind"] == "missing"} == set(dropped)
    assert all(r["a"] == r["b"] != r["tender"] for r in ev["items"] if r["kind"] == "unit")
    # Every bidder priced the addendum's quantities: common, not a secret.
    amended = sb.addendum(random.Random(5), w, n=4)
    bills = {f"H{i}": independent(20 + i, amended) for i in range(4)}
    assert run_detectors(project_events(bills, tender), [BoqDetector()]) == []


def test_an_addendum_stays_common_when_one_bidders_own_slip_hides_it(field) -> None:
    """Three bidders price a 补遗's quantities; one of them also left two of those items
    out. The other two then share the addendum's figures on items only two of three
    priced alike, yet every bill deviates from the tender bill there: the tender bill is
    off, not a secret shared. A slip of theirs on other items is still judged."""
    w, tender, _, _ = field
    amended = sb.addendum(random.Random(6), w, n=3)
    changed = [i for i, (a, b) in enumerate(zip(w.items, amended.items, strict=True)) if a != b]
    bills = {f"H{i}": independent(40 + i, amended) for i in range(3)}
    codes = {w.items[i].code for i in changed[:2]}
    bills["H0"] = [ln for ln in bills["H0"] if ln["code"] not in codes]  # left out
    assert run_detectors(project_events(bills, tender), [BoqDetector()]) == []
    # two real shared slips of H1 and H2 elsewhere are found, the addendum not counted
    slipped = {w.items[i].code for i in range(len(w.items)) if i not in changed}
    slipped = set(sorted(slipped)[:2])
    for owner in ("H1", "H2"):
        for ln in bills[owner]:
            if ln["code"] in slipped:
                ln["unit"] = "个"
    (x,) = by_rule(run_detectors(project_events(bills, tender), [BoqDetector()]), "BOQ-ERROR")
    assert x.subjects == ["H1", "H2"] and x.evidence["kinds"] == {"unit": 2}


def test_two_bills_sharing_slips_on_addendum_items_are_found(field) -> None:
    """Every bidder prices a 补遗; two bills on one edited skeleton left out one changed
    item and wrote another in the wrong unit. Every bill deviates on both items, but the
    public figure there is the addendum's quantity the others give, not a dropped item or
    a unit two bills alone share (found by hypothesis)."""
    w, tender, _, _ = field
    amended = sb.addendum(random.Random(10), w, n=4)
    changed = [i for i, (x, y) in enumerate(zip(w.items, amended.items, strict=True)) if x != y]
    bills = {f"H{i}": independent(60 + i, amended) for i in range(3)}
    dropped, wrong = w.items[changed[0]].code, w.items[changed[1]].code
    for owner, seed in (("A", 70), ("B", 71)):
        lines = [ln for ln in independent(seed, amended) if ln["code"] != dropped]
        bills[owner] = sb.apply_units(lines, {wrong: "个"})
    (x,) = by_rule(run_detectors(project_events(bills, tender), [BoqDetector()]), "BOQ-ERROR")
    assert x.subjects == ["A", "B"] and x.evidence["kinds"] == {"missing": 1, "unit": 1}


def test_shared_arithmetic_error_is_a_deviation(field) -> None:
    w, tender, _, _ = field
    a, b = independent(31, w), independent(32, w)
    for lines in (a, b):
        for i in (10, 20):
            lines[i]["total"] = 123456.78
    alerts = run_detectors(
        project_events({"A": a, "B": b, "C": independent(33, w)}, tender), [BoqDetector()]
    )
    (x,) = by_rule(alerts, "BOQ-ERROR")
    assert x.evidence["kinds"] == {"arithmetic": 2}


def test_same_lock_fires_red_but_placeholders_do_not(field) -> None:
    w, tender, _, _ = field
    bills = {"A": independent(1, w), "B": independent(2, w), "C": independent(3, w)}
    rng = random.Random(0)
    sw = {k: sb.software(rng) for k in bills}
    sw["B"] = {**sw["B"], "lock_id": " " + sw["A"]["lock_id"].lower() + " "}
    sw["C"] = {**sw["C"], "machine_code": "00000000"}
    sw["A"] = {**sw["A"], "machine_code": "00000000"}
    alerts = run_detectors(project_events(bills, tender, software=sw), [BoqDetector()])
    (a,) = by_rule(alerts, "BOQ-LOCK")
    assert a.subjects == ["A", "B"] and a.severity == "red"
    assert [s["field"] for s in a.evidence["shared"]] == ["lock_id"]
    assert a.legal_basis.endswith("第四十条（一）")


def test_group_unbalancing_fires_one_alert_for_the_group(field) -> None:
    w, tender, bills, _ = field
    rng = random.Random(8)
    plan = sb.unbalance_plan(rng, w, 6)
    cartel = {f"K{i}": independent(40 + i, w) for i in range(3)}
    for lines in cartel.values():
        sb.unbalanced(rng, lines, plan)
    alerts = run_detectors(project_events({**bills, **cartel}, tender), [BoqDetector()])
    assert [(a.rule, a.subjects) for a in alerts] == [("BOQ-UNBAL", ["K0", "K1", "K2"])]
    ev = alerts[0].evidence
    assert len(ev["pairs"]) == 3 and ev["reference"] == "control"
    moved = {r["code"] for r in ev["items"]}
    assert moved <= set(plan) and len(moved) >= 6


def test_unbalancing_against_a_wrong_control_price_is_common(field) -> None:
    """Every bidder prices one material far below an inflated control price: not a cartel."""
    w, _, _, _ = field
    wrong = sb.control_bill(w)
    inflated = sb.bill(w, sb.Pricing(materials={"钢筋": 1.6, "块料": 1.6}))
    for ln, bad in zip(wrong, inflated, strict=True):
        ln.update(unit_price=bad["unit_price"], total=bad["total"])
    bills = {f"H{i}": independent(50 + i, w) for i in range(5)}
    assert run_detectors(project_events(bills, wrong), [BoqDetector()]) == []


def test_nothing_before_opening_then_late_and_replaced_bills_rejudge(field) -> None:
    _, tender, _, master = field
    events = project_events({"C1": master, "C2": sb.copy_lines(master)}, tender)
    assert run_detectors(events[:-1], [BoqDetector()]) == []  # bids still sealed: nothing judged
    alerts = run_detectors(events, [BoqDetector()])
    assert _pairs(alerts, "BOQ-SAME") == [["C1", "C2"]]
    assert not alerts[0].sealed
    # A bill arriving after the opening is judged on arrival.
    late = bev("C3", sb.copy_lines(master), n=200)
    assert ["C1", "C3"] in _pairs(run_detectors([*events, late], [BoqDetector()]), "BOQ-SAME")
    # C2's later bill replaces its first: judged on the new one only.
    honest = bev("C2", independent(77, field[0]), n=300)
    alerts = run_detectors([*events, honest], [BoqDetector()])
    assert len(by_rule(alerts, "BOQ-SAME")) == 1  # the earlier alert stays on record ...
    assert alerts[-1].last_seen == alerts[0].first_seen  # ... and is not refreshed


def test_alert_ids_are_stable_across_replay_and_redelivery(field) -> None:
    _, tender, _, master = field
    events = project_events({"C1": master, "C2": sb.scaled(master, 1.08)}, tender)
    first = run_detectors(events, [BoqDetector()])
    again = run_detectors(
        events + events, [BoqDetector()]
    )  # re-delivered: the engine drops seen event ids
    assert [a.alert_id for a in first] == [a.alert_id for a in again]
    assert [a.to_json() for a in first] == [a.to_json() for a in again]


def test_odd_but_legal_bills_do_not_break_the_rules() -> None:
    """Repeated codes, unpriced and zero items, no tender, tiny and empty bills."""
    items = [
        {"code": "010101001001", "name": "平整场地", "unit": "m2", "quantity": 10, "unit_price": 5},
        {"code": "010101001001", "name": "平整场地", "unit": "m2", "quantity": 3, "unit_price": 7},
        {"code": "01B001", "name": "补充项目", "unit": "项", "quantity": 1, "unit_price": 0},
        {"code": "010101002001", "name": None, "unit": None, "quantity": None, "unit_price": None},
    ]
    events = [
        bev("A", items, n=1),
        bev("B", items, n=2),
        bev("E", [], n=3),
        bev("tender", items, n=4),
        opening(),
    ]
    assert run_detectors(events, [BoqDetector()]) == []  # two priced items: too few to compare
    many = [
        {"code": f"0101010010{i:02d}", "unit": "m2", "quantity": 1, "unit_price": 10 + i}
        for i in range(12)
    ] * 2  # every code twice: matched occurrence by occurrence
    alerts = run_detectors([bev("A", many, n=1), bev("B", many, n=2), opening()], [BoqDetector()])
    (a,) = by_rule(alerts, "BOQ-SAME")
    assert a.evidence["compared"] == 24 and a.evidence["share"] == 1.0
    assert any(r.get("occurrence") == 2 for r in a.evidence["items"])


@pytest.mark.xfail(
    strict=True,
    reason="known limit: two honest bills alone keeping the quota defaults where the control "
    "price is off price those items alike, as a copy would (found by hypothesis at 20x)",
)
def test_two_default_keepers_alone_correcting_an_off_control_price_stay_quiet() -> None:
    """The control bill prices 商品混凝土 60 % high; two bidders keep every default rate and
    the 信息价 of concrete, each buys a few other materials at its own prices. On the
    concrete items they agree to the fen, by the public price, not by a copy; no third
    bill gives that figure (the others scale the control as published, or buy concrete
    themselves), so nothing marks it public."""
    rng = random.Random(12)
    w = sb.make_works(rng, 60)
    tender = sb.control_bill(w)
    off = sb.bill(w, sb.Pricing(materials={"商品混凝土": 1.6}))
    for ln, bad in zip(tender, off, strict=True):
        ln.update(bad)
    bills = {
        "D1": sb.bill(w, sb.Pricing(materials={"钢筋": 0.93, "标准砖": 0.9})),
        "D2": sb.bill(w, sb.Pricing(materials={"水泥砂浆": 0.91, "块料": 0.87})),
        "S1": sb.scaled(tender, 0.85),
        "S2": sb.scaled(tender, 0.9),
        "O1": independent(81, w),
    }
    concrete = sum(it.material == "商品混凝土" for it in w.items)
    assert concrete >= 10, concrete  # enough concrete items for the rule to judge
    assert _pairs(run_detectors(project_events(bills, tender), [BoqDetector()]), "BOQ-SAME") == []
