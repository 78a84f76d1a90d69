"""PRICE-40-4 and PRICE-SCREEN: screen formulas, when they fire, and when they must not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.offline import run_detectors
from detectors.price_screens import identical_prices, imhof_flag, rd_chance, regularity, screens
from detectors.prices import PriceDetector
from tests.support.relation_events import bid, by_rule, ts
from witness.events import make_event

P = "JY-2026-0200"


def opened(bidder: str, price: float, n: int) -> object:
    return make_event(
        "bid.opened", P, ts(100 + n), {"bidder_id": bidder, "price": price}, event_id=f"op-{bidder}"
    )


def closed(n: int = 200):
    return make_event("opening.closed", P, ts(n), {"room_id": "R1"}, event_id=f"close-{n}")


def started():
    return make_event("opening.started", P, ts(99), {"room_id": "R1"}, event_id="start")


def project(prices: dict[str, float], *, read_out: dict[str, float] | None = None):
    events = [bid(P, b, n=i, price=p) for i, (b, p) in enumerate(sorted(prices.items()))]
    events.append(started())
    for i, (b, p) in enumerate(sorted((read_out or {}).items())):
        events.append(opened(b, p, i))
    events.append(closed())
    return events


# ---------------------------------------------------------------- formulas


def test_screen_formulas_by_hand():
    b = [100.0, 110.0, 111.0, 112.0, 113.0]
    s = screens(list(reversed(b)))
    arr = np.array(b)
    assert s.n == 5
    assert s.cv == pytest.approx(arr.std(ddof=1) / arr.mean())
    assert s.spd == pytest.approx(0.13)
    assert s.diffp == pytest.approx(0.10)
    assert s.rd == pytest.approx(10 / np.array(b[1:]).std(ddof=1))
    assert s.skew < 0  # one low bid set apart from a cluster of cover bids
    assert s.kurt > 0
    # KS vs uniform on [100, 113]: largest gap right after the lone low bid
    assert s.ks == pytest.approx(10 / 13 - 1 / 5)


def test_screens_undefined_for_small_or_flat_tenders():
    assert screens([5.0]).cv is None
    two = screens([100.0, 101.0])
    assert two.cv is not None and two.rd is None and two.kurt is None
    flat = screens([100.0, 100.0, 100.0, 100.0])
    assert flat.cv == 0 and flat.rd is None and flat.skew is None and flat.ks is None
    with pytest.raises(ValueError):
        screens([0.0, 1.0])


def test_regular_differences_and_ratios():
    assert regularity([100, 110, 120, 130], min_bids=3, diff_cv=0.05, ratio_cv=0.01).reason == (
        "differences"
    )
    geo = [100 * 1.15**i for i in range(5)]  # differences grow: CV ~0.18
    assert regularity(geo, min_bids=3, diff_cv=0.05, ratio_cv=0.01).reason == "ratios"
    assert not regularity([100, 103, 111, 112], min_bids=3, diff_cv=0.05, ratio_cv=0.01).regular
    assert not regularity([100, 110], min_bids=3, diff_cv=0.05, ratio_cv=0.01).regular


def test_tight_random_prices_are_not_regular():
    """The trap in a literal 'CV of ratios': ratios of close prices are all ~1.00."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(300):
        p = 1_000_000 * (1 + rng.uniform(0, 0.02, size=5))
        raw_ratios = np.diff(np.sort(p)) / np.sort(p)[:-1] + 1
        assert raw_ratios.std(ddof=1) / raw_ratios.mean() < 0.01  # literal CV would fire
        hits += regularity(p, min_bids=3, diff_cv=0.05, ratio_cv=0.01).regular
    assert hits < 15  # a few chance ladders among 300 random tenders, not all of them


def test_identical_prices():
    assert identical_prices({"A": 100.0, "B": 100.004, "C": 99.0}) == [(100.0, ["A", "B"])]
    assert identical_prices({"A": 1.0, "B": 2.0}) == []


IMHOF = {"min_bids": 4, "cv_max": 0.06, "rd_min": 1.0, "max_chance": 0.005}


def test_imhof_flag_needs_low_cv_and_an_rd_beyond_chance():
    cover = screens([100.0, 108.0, 108.2, 108.4, 108.6])  # RD 31
    assert imhof_flag(cover, **IMHOF)
    spread = screens([100.0, 130.0, 150.0, 170.0])
    assert not imhof_flag(spread, **IMHOF)
    tight_no_gap = screens([100.0, 100.5, 101.0, 101.5, 102.0])
    assert not imhof_flag(tight_no_gap, **IMHOF)
    assert not imhof_flag(screens([100.0, 104.0, 104.5]), **IMHOF)
    # RD 6.2 passes Imhof's RD > 1, but five independent bids put the lowest that far
    # apart in about 1.5 % of tenders: not cover bidding on its own
    lucky = screens([100.0, 104.0, 104.5, 105.0, 105.5])
    assert lucky.rd > 6 and 0.005 < rd_chance(lucky.rd, 5) < 0.03
    assert not imhof_flag(lucky, **IMHOF)
    assert imhof_flag(lucky, **{**IMHOF, "max_chance": 0.03})


@pytest.mark.parametrize("n", [4, 5, 8, 15])
def test_rd_chance_is_what_independent_bids_do(n):
    """Fresh draws (other seeds than the table's): independent normal bids reach a chance
    of 0.5 % in 0.5 % of tenders, and bids drawn uniformly in a band under a ceiling price
    (an honest market of the simulator's kind) no more often (8,000 tenders: 4 sd = 0.32 %)."""
    rng = np.random.default_rng(99 + n)
    draws = 8000
    sd4 = 4 * (0.005 * 0.995 / draws) ** 0.5

    def share(draw) -> float:
        hits = 0
        for _ in range(draws):
            s = screens(list(draw()))
            hits += s.rd is not None and rd_chance(s.rd, n) <= 0.005
        return hits / draws

    assert abs(share(lambda: rng.normal(1e6, 3e4, n)) - 0.005) <= sd4
    assert share(lambda: rng.uniform(0.80e6, 0.99e6, n)) <= 0.005 + sd4
    assert rd_chance(0.0, n) == 1.0 and rd_chance(1e9, n) == 0.0


def test_the_oracle_and_the_detector_agree_on_chance():
    from witness.simulator import oracle

    for n in (4, 5, 6, 8, 12):
        for rd in (2.0, 5.0, 10.0, 30.0):
            assert abs(oracle.rd_chance(rd, n) - rd_chance(rd, n)) <= 0.002 + 0.1 * rd_chance(rd, n)


# ---------------------------------------------------------------- detector


def test_regular_ladder_fires_at_opening_closed_only():
    prices = {"A": 1_003_250.5, "B": 1_013_250.5, "C": 1_023_250.5, "D": 1_033_250.5}
    events = project(prices)
    before = run_detectors(events[:-1], [PriceDetector()])
    assert before == []
    alerts = run_detectors(events, [PriceDetector()])
    reg = [a for a in by_rule(alerts, "PRICE-40-4") if a.evidence["kind"] == "regular"]
    assert len(reg) == 1
    assert reg[0].subjects == ["A", "B", "C", "D"]
    assert reg[0].evidence["pattern"] == "differences"
    assert reg[0].evidence["irregularity"] <= reg[0].evidence["tolerance"]
    assert reg[0].sealed is False


def identical(prices: dict[str, float]) -> list:
    return [
        a
        for a in by_rule(run_detectors(project(prices), [PriceDetector()]), "PRICE-40-4")
        if a.evidence["kind"] == "identical"
    ]


def test_identical_prices_alert_per_price():
    # priced to the fen, as bids are: two pairs equal to the fen are no coincidence
    same = identical(
        {
            "A": 5_123_456.78,
            "B": 5_123_456.78,
            "C": 5_370_120.15,
            "D": 5_370_120.15,
            "E": 5_912_004.40,
        }
    )
    assert sorted((a.evidence["price"], tuple(a.subjects)) for a in same) == [
        (5_123_456.78, ("A", "B")),
        (5_370_120.15, ("C", "D")),
    ]
    assert len({a.alert_id for a in same}) == 2
    assert same[0].evidence["rounding_unit"] == 0.01 and same[0].evidence["chance"] < 1e-5


def test_round_bids_that_collide_by_arithmetic_are_not_identical_prices():
    """Ten bids in whole 10,000s over 4.0-4.5 million share a price more often than not
    (Tsuchiura's uncartelised auctions do, 14 % of them): chance, not a common author."""
    prices = {
        f"B{i}": 4_000_000.0 + 10_000 * k
        for i, k in enumerate([0, 3, 9, 14, 19, 19, 25, 31, 40, 47])
    }
    assert identical(prices) == []
    # the same two equal bids among bids priced to the fen are unlikely: they fire
    fen = {
        b: p + (0 if b in ("B4", "B5") else 37.11 * int(b[1:]) + 0.07) for b, p in prices.items()
    }
    assert [a.subjects for a in identical(fen)] == [["B4", "B5"]]


def test_two_identical_round_bids_alone_are_judged_over_a_tenth_of_the_price():
    # nothing else shows the spread: it is taken as a tenth of the top bid
    # 43 slots of whole 10,000s over 3.77-4.19 million: a 1 in 43 chance, not rare enough
    assert identical({"A": 4_190_000.0, "B": 4_190_000.0}) == []
    assert [a.subjects for a in identical({"A": 4_193_517.26, "B": 4_193_517.26})] == [["A", "B"]]


def test_price_read_out_overrides_submitted():
    events = project(
        {"A": 100.25, "B": 200.25, "C": 300.25, "D": 470.0},
        read_out={"D": 400.25},
    )
    reg = by_rule(run_detectors(events, [PriceDetector()]), "PRICE-40-4")
    assert [a.evidence["kind"] for a in reg] == ["regular"]
    assert max(row["price"] for row in reg[0].evidence["bids"]) == 400.25


def test_competitive_prices_raise_nothing():
    events = project({"A": 1_000_000.0, "B": 1_130_000.0, "C": 1_170_000.0, "D": 1_420_000.0})
    assert run_detectors(events, [PriceDetector()]) == []


def test_price_screen_cover_bidding():
    events = project(
        {"A": 1_000_000.0, "B": 1_080_000.0, "C": 1_082_000.0, "D": 1_083_000.0, "E": 1_085_000.0}
    )
    alerts = by_rule(run_detectors(events, [PriceDetector()]), "PRICE-SCREEN")
    assert len(alerts) == 1
    ev = alerts[0].evidence
    assert ev["screens"]["cv"] <= 0.06 and ev["screens"]["rd"] > 1
    assert ev["rd_chance"] <= ev["thresholds"]["max_chance"] == 0.005
    assert set(ev["screens"]) == {"n", "cv", "spd", "diffp", "rd", "kurt", "skew", "ks"}
    assert all(v is None or math.isfinite(v) for v in ev["screens"].values())


def test_price_alert_ids_deterministic():
    prices = {"A": 100_000.37, "B": 100_000.37, "C": 300_000.05}  # identical to the fen
    ids1 = [a.alert_id for a in run_detectors(project(prices), [PriceDetector()])]
    ids2 = [a.alert_id for a in run_detectors(project(prices), [PriceDetector()])]
    assert ids1 and ids1 == ids2


def test_numpy_moments_match_scipy():
    from scipy import stats as st

    rng = np.random.default_rng(3)
    for n in (3, 4, 5, 9, 18):
        b = np.sort(rng.lognormal(13, 0.1, size=n))
        s = screens(b)
        assert s.skew == pytest.approx(st.skew(b, bias=False), rel=1e-9, abs=1e-12)
        if n >= 4:
            assert s.kurt == pytest.approx(st.kurtosis(b, fisher=True, bias=False), rel=1e-9)
        ks = st.kstest(b, "uniform", args=(b[0], b[-1] - b[0])).statistic
        assert s.ks == pytest.approx(ks, rel=1e-9)


def test_a_ladder_on_the_prices_own_rounding_grid_is_not_judged():
    """All bids in whole ten-thousands, one step apart: honest rounding makes such ladders
    by arithmetic, so the rule says nothing rather than guess."""
    events = project({"A": 1_000_000.0, "B": 1_010_000.0, "C": 1_020_000.0, "D": 1_030_000.0})
    assert [a for a in by_rule(run_detectors(events, [PriceDetector()]), "PRICE-40-4")] == []


def test_a_trio_stepping_evenly_among_honest_bids_is_found_and_named():
    prices = {"H1": 3_512_345.67, "H2": 3_771_020.15, "H3": 3_655_432.1, "H4": 3_901_777.0}
    prices.update({"C1": 3_600_000.0, "C2": 3_636_000.0, "C3": 3_672_000.0})
    [alert] = [
        a
        for a in by_rule(run_detectors(project(prices), [PriceDetector()]), "PRICE-40-4")
        if a.evidence["kind"] == "regular"
    ]
    assert alert.subjects == ["C1", "C2", "C3"]
    assert alert.evidence["ladder_bids"] == 3 and alert.evidence["distinct_prices"] == 7


def test_honest_tenders_false_alarm_rate_is_within_budget_at_every_n():
    """<= 0.5 % of random honest tenders flagged at every n (bench/price_ladders.py prints
    the full table); 2,000 tenders per n here."""
    from detectors.prices import RegularPricesThresholds

    th = RegularPricesThresholds()
    rng = np.random.default_rng(11)
    for n in (3, 4, 6, 9, 14):
        fired = 0
        for _ in range(2000):
            ceiling = rng.uniform(1e6, 5e7)
            p = np.round(ceiling * rng.uniform(0.80, 0.99, n), 2)
            fired += th.ladder(list(p)) is not None
        assert fired / 2000 <= 0.005, (n, fired)


def test_the_simulator_oracle_uses_the_shipped_ladder_tolerances():
    from detectors.prices import RegularPricesThresholds
    from witness.simulator import oracle

    th = RegularPricesThresholds()
    assert (th.base_3, th.base_4, th.base_5) == oracle.LADDER_BASE
    assert (
        th.max_irregularity,
        th.min_gap_units,
    ) == (oracle.LADDER_CAP, oracle.LADDER_MIN_GAP_UNITS)
    assert th.rounding_share == oracle.LADDER_ROUNDING_SHARE


def test_the_simulator_oracle_uses_the_shipped_chance_bar():
    from detectors.prices import PriceScreenThresholds
    from witness.simulator import oracle

    assert PriceScreenThresholds().max_chance == oracle.SCREEN_MAX_CHANCE
