"""PRICE-40-4 on real bids (Tsuchiura, 497 auctions the data does not call cartelised).

Real bidders round: 868 of the 1,225 auctions with >= 3 bids have every bid in whole
ten-thousands of yen, most of the rest all but one. The ladder rule allowed one rounding
unit of spread, but took the unit from the whole tender, so one bid of 4,040,995 yen made
4,190,000 / 4,290,000 / 4,390,000 (three round bids, 100,000 apart: arithmetic, among
bidders who all round to 10,000) a "regular" ladder judged to the yen. That flagged
3 of 497 (0.60 %) - over the 0.5 % budget of issue 14. A ladder is now judged at its own
prices' rounding unit when the tender's other bids round the same way (a round ladder
among round bidders is chance); three round bids among bids priced to the fen still
stand out (tests/test_prices_rules.py keeps that case).
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.price_ladders import find_ladder, ladder_resolution
from detectors.prices import RegularPricesThresholds
from detectors.screening.table import Columns, build_table
from tests.detectors.test_screen_tsuchiura import CSV, need_data

#: Tsuchiura auction 581 (auction_cartelized = 0): bids in yen.
AUCTION_581 = [4040995.0, 4190000.0, 4290000.0, 4350000.0, 4390000.0, 4660000.0]


def test_a_round_ladder_among_round_bidders_is_not_regular():
    assert RegularPricesThresholds().ladder(AUCTION_581) is None


def test_the_same_ladder_among_bids_priced_to_the_fen_still_fires():
    honest = [4040995.17, 4350123.55, 4660321.9]
    ladder = RegularPricesThresholds().ladder([*honest, 4190000.0, 4290000.0, 4390000.0])
    assert ladder is not None and ladder.prices == (4190000.0, 4290000.0, 4390000.0)
    assert ladder.resolution == 0.01


def test_the_resolution_follows_the_other_bids():
    ladder = (4190000.0, 4290000.0, 4390000.0)
    assert ladder_resolution(ladder, AUCTION_581) == 10_000.0  # 2 of 3 others round so
    assert ladder_resolution(ladder, [4040995.0, 4350001.0, *ladder]) == 1.0
    assert ladder_resolution(ladder, list(ladder)) == 10_000.0  # nobody else: its own
    assert ladder_resolution(ladder, [4040995.0, *ladder]) == 10_000.0  # one other: its own


@pytest.fixture(scope="module")
def auctions():
    """pid -> (bids, auction_cartelized) for auctions of >= 3 priced bids, read the way
    `witness screen` reads a bid table."""
    need_data()
    columns = Columns(tender="pid", price="bid", bidder="bidder_id", label="auction_cartelized")
    with CSV.open(newline="", encoding="utf-8") as fh:
        table = build_table(csv.DictReader(fh), columns)
    return {pid: (t.sorted_prices, t.label) for pid, t in table.tenders.items() if len(t.bids) >= 3}


def test_false_alarms_on_real_auctions_not_called_cartelised_stay_within_budget(auctions):
    th = RegularPricesThresholds()
    honest = [ps for ps, lab in auctions.values() if lab == "0"]
    fired = [ps for ps in honest if th.ladder(ps) is not None]
    rate = len(fired) / len(honest)
    print(f"PRICE-40-4 on Tsuchiura: {len(fired)} of {len(honest)} uncartelised auctions")
    assert len(honest) == 497
    assert rate <= 0.005, [sorted(ps) for ps in fired]


@settings(max_examples=300, deadline=None)
@given(
    unit=st.sampled_from([1_000.0, 10_000.0, 100_000.0]),
    grid=st.lists(st.integers(300, 600), min_size=4, max_size=12, unique=True),
    odd=st.integers(1, 999),
)
def test_round_bids_plus_one_bid_priced_to_the_yen_are_judged_on_their_grid(unit, grid, odd):
    """Bids on one grid (whole thousands, ten- or hundred-thousands) and one bid off it:
    a ladder of grid prices with at least two other bids is judged at the grid's unit or
    coarser, never to the yen, and fires only if it would with the odd bid left out."""
    on_grid = [g * unit for g in grid]
    odd_bid = min(on_grid) - odd  # priced to the yen, below every round bid
    th = RegularPricesThresholds()
    found = th.ladder([*on_grid, odd_bid])
    if found is None or odd_bid in found.prices:
        return
    others = [p for p in on_grid if p not in found.prices]
    if others:  # the odd bid is at most half of the bids outside the ladder
        assert found.resolution >= unit
        without = find_ladder(
            on_grid,
            base=(th.base_3, th.base_4, th.base_5),
            max_irregularity=th.max_irregularity,
            search_tolerance=th.search_tolerance,
            min_gap_units=th.min_gap_units,
        )
        assert without is not None


def _rules_fired(prices: list[float]) -> set[str]:
    from detectors.offline import run_detectors
    from detectors.prices import PriceDetector
    from tests.detectors.test_prices_rules import project

    bids = {f"B{k}": p for k, p in enumerate(prices)}
    alerts = run_detectors(project(bids), [PriceDetector()])
    return {(a.rule, a.evidence.get("kind")) for a in alerts}


#: (rule, evidence kind) -> measured on the 497 uncartelised auctions:
#: PRICE-40-4 identical 0 (71, 14 %, before identical prices were judged against the
#: chance that bids rounded to 10,000 yen over a narrow range collide); PRICE-CLOSE 2 (27,
#: 5.4 %, before a close pair was judged against chance at the tender's rounding);
#: PRICE-SCREEN 4 (0.8 %; 169, 34 %, and 39 % of cartelised ones, before RD had to beat
#: chance as well as 1: CV <= 0.06 holds for 277 of the 321 with >= 4 bids). The label is
#: itself a participation threshold, so these are upper bounds.
KNOWN_OVER: set[tuple[str, str | None]] = set()


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(
            r,
            marks=pytest.mark.xfail(
                strict=True,
                raises=AssertionError,
                reason="known gap (issue 14 budget on real data): see KNOWN_OVER",
            )
            if r in KNOWN_OVER
            else (),
        )
        for r in [
            ("PRICE-40-4", "regular"),
            ("PRICE-40-4", "identical"),
            ("PRICE-SCREEN", "imhof"),
            ("PRICE-CLOSE", None),
            ("PRICE-DISCOUNT", None),
        ]
    ],
    ids=lambda r: f"{r[0]}:{r[1]}",
)
def test_each_price_rule_within_one_false_alarm_per_100_real_honest_auctions(auctions, rule):
    honest = [ps for ps, lab in auctions.values() if lab == "0"]
    fired = sum(rule in _rules_fired(ps) for ps in honest)
    print(f"{rule}: {fired} of {len(honest)}")
    assert fired / len(honest) <= 0.01
