"""What the price-only score must keep on a market it was never fitted on.

Synthetic markets built here, not by the simulator: honest tenders with bids spread above
cost, and rigged tenders in one of two cartel styles that turn the dispersion screens
round. "tight": cover bids just above the designated winner (low CV, Imhof's direction);
"phony": cover bids far above it (high CV: the literature direction is wrong there). Both
leave the winner apart from the losing bids. A score with fixed directions ranks the
phony market's rigged tenders below chance; the shipped score must not, in either.

A third style, "clustered" (one cover bid just above the winner, the rest ordinary: the
clustering of the two lowest bids that Clark, Coviello & de Leverano discuss), turns the
core itself round. Nothing in an unlabelled file says which of the two sides is the
cartel's, so the score is below chance there: a known limit, kept as a strict xfail so the
day it is lifted the test says so. A second one: a phony market whose core screens are weak
leaves the dispersion screens silent against the core, so they keep the literature
direction, and the score falls to near chance (one market in 100 to 400 of the property's
draws).

A fourth style, "alltight": a cartel whose bids all sit within 3 % of each other, no
winner apart (one hand writing every bid). CV alone sees it, but the core is silent there,
the gap screens (`diffp`, `diffp3_max`, `near_share`) run against CV and keep their
literature direction, and the score stays far below CV: a third strict xfail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.screening.batch import screen
from detectors.screening.features import FEATURES, directional_percentiles, tender_features
from detectors.screening.metrics import auc
from detectors.screening.orient import CORE, flip_bar, orient
from detectors.screening.table import Columns, build_table
from witness.simulator.bid_tables import market

PRICE = Columns(tender="t", price="p")
PRICE_SCREENS = [m for m, spec in FEATURES.items() if spec.needs == "prices"]


def score_auc(rows, labels) -> tuple[float, tuple[str, ...]]:
    res = screen(build_table(rows, PRICE))
    a = auc([r["score"] for r in res.tenders], [labels[r["tender"]] for r in res.tenders])
    return a[0], res.reversed


def fixed_direction_auc(rows, labels) -> float:
    """The rank average with the literature's directions only (what must not be shipped)."""
    table = build_table(rows, PRICE)
    pct = directional_percentiles(tender_features(table), PRICE_SCREENS)
    s = np.mean([pct[m] for m in PRICE_SCREENS], axis=0)
    return auc(list(s), [labels[t] for t in table.tenders])[0]


def single_aucs(rows, labels) -> dict[str, float]:
    table = build_table(rows, PRICE)
    pct = directional_percentiles(tender_features(table), PRICE_SCREENS)
    y = [labels[t] for t in table.tenders]
    return {m: auc(list(pct[m]), y)[0] for m in PRICE_SCREENS}


@pytest.mark.parametrize("style", ["tight", "phony"])
def test_score_holds_whichever_way_the_cartel_turns_the_dispersion_screens(style):
    rows, labels = market(style, seed=11)
    got, turned = score_auc(rows, labels)
    singles = single_aucs(rows, labels)
    # the market really is one where a fixed direction is wrong (phony) or right (tight)
    assert (singles["cv"] < 0.2) == (style == "phony")
    assert got > 0.85
    assert got > float(np.median(list(singles.values())))  # better than a typical screen
    assert not set(turned) & set(CORE)
    if style == "phony":
        assert {"cv", "spd"} <= set(turned)
        # and the orientation is what saved it: fixed directions lose most of the margin
        assert fixed_direction_auc(rows, labels) < got - 0.1
    else:
        assert "cv" not in turned


# derandomize: the same 12 draws every run. Random draws hit a known limit once in 100 to
# 400 markets (see the strict xfail below), which failed ~2.5 % of suite runs on markets
# no change had touched; the limit is pinned there instead, and a regression in the rule
# still fails these draws.
@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    st.sampled_from(["tight", "phony"]),
    st.integers(0, 10**6),
    st.floats(0.15, 0.75),
)
def test_score_never_falls_below_chance_on_either_cartel_style(style, seed, share):
    rows, labels = market(style, seed, tenders=90, share=share)
    if len(set(labels.values())) < 2:
        return
    got, _ = score_auc(rows, labels)
    assert got > 0.6


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([1e-3, 6.9, 1e4]))
def test_score_ignores_currency_and_row_order(seed, scale):
    rows, _ = market("phony", seed, tenders=40)
    base = {r["tender"]: r for r in screen(build_table(rows, PRICE)).tenders}
    rng = np.random.default_rng(seed)
    moved = [{"t": r["t"], "p": f"{float(r['p']) * scale:.6f}"} for r in rng.permutation(rows)]
    other = screen(build_table(list(moved), PRICE))
    assert {r["tender"] for r in other.tenders} == set(base)
    for r in other.tenders:
        b = base[r["tender"]]
        assert r["score"] == pytest.approx(b["score"], abs=1e-9)
        assert r["drivers"] == b["drivers"]


def test_a_screen_unrelated_to_the_core_is_never_turned():
    rng = np.random.default_rng(3)
    n = 400
    core = {m: rng.random(n) for m in CORE}
    noise = rng.random(n)
    against = 1.0 - np.mean(list(core.values()), axis=0)
    pct = {**core, "cv": noise, "spd": against, "kurt": np.full(n, 0.5)}
    got = orient(pct, list(pct))
    assert got.reversed == ("spd",)
    assert np.allclose(got.pct["spd"], 1.0 - against)
    assert got.pct["cv"] is noise and got.agreement["kurt"] == 0.0
    # a small file needs a stronger anti-correlation: two standard errors of r
    assert flip_bar(25) == pytest.approx(0.4) and flip_bar(10_000) == pytest.approx(0.1)


def test_without_core_screens_or_tenders_nothing_turns():
    pct = {"cv": np.array([0.1, 0.9, 0.5]), "spd": np.array([0.9, 0.1, 0.5])}
    assert orient(pct, ["cv", "spd"]).reversed == ()
    two = {"rd": np.array([0.2, 0.8]), "cv": np.array([0.8, 0.2])}
    assert orient(two, ["rd", "cv"]).reversed == ()


@pytest.mark.xfail(
    strict=True,
    reason="known limit: where the core screens are weak (AUC ~0.7) and the dispersion "
    "screens are silent against them (|r| below the flip bar), the literature direction "
    "decides and is wrong for phony cover bids; turning silent screens by the other "
    "screens instead sinks a market whose cartel bids are all tight (no winner apart), "
    "its mirror image",
)
@pytest.mark.parametrize(("seed", "share"), [(474036, 0.64), (197227, 0.75), (1502, 0.1875)])
def test_score_on_a_phony_market_whose_core_screens_are_weak(seed, share):
    rows, labels = market("phony", seed, tenders=90, share=share)
    singles = single_aucs(rows, labels)
    assert singles["cv"] < 0.05  # CV runs fully against the literature here
    assert max(singles[m] for m in CORE) < 0.8  # and the core says little
    got, turned = score_auc(rows, labels)
    assert "cv" not in turned
    assert got > 0.6


@pytest.mark.xfail(
    strict=True,
    reason="known limit: a cover bid just above the winner turns the core screens round, "
    "and an unlabelled file cannot tell which side is the cartel's",
)
def test_score_on_a_market_whose_cover_bid_sits_just_above_the_winner():
    rows, labels = market("clustered", seed=11, tenders=200, share=0.3)
    singles = single_aucs(rows, labels)
    assert singles["rd"] < 0.3  # the core's literature direction is wrong in this market
    got, _ = score_auc(rows, labels)
    assert got > 0.6


@pytest.mark.xfail(
    strict=True,
    reason="known limit: where the cartel's bids are all tight with no winner apart, the "
    "core is silent, the gap screens keep a literature direction that is wrong there and "
    "cancel CV's; trusting CV over them instead sinks phony markets whose core is weak "
    "(the mirror image above)",
)
def test_score_on_a_market_whose_cartel_bids_are_all_tight():
    rows, labels = market("alltight", seed=11, tenders=160, share=0.4)
    singles = single_aucs(rows, labels)
    assert singles["cv"] > 0.95  # CV alone sees the cartel
    assert max(singles[m] for m in CORE) < 0.65  # and the core does not
    assert singles["diffp"] < 0.3  # the gap screens run against the literature here
    got, turned = score_auc(rows, labels)
    assert "diffp" not in turned
    assert got > 0.8
