"""detectors.screening without files: rows -> tenders, subset screens, percentiles, score,
fences and flags. Property tests check what must hold for any table."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.price_screens import screens
from detectors.screening.batch import FLAG_RULES, screen
from detectors.screening.features import FEATURES, directional_percentiles, tender_features
from detectors.screening.fitted import MODELS
from detectors.screening.flags import fence
from detectors.screening.metrics import grouped_folds
from detectors.screening.orient import CORE
from detectors.screening.score import CONSENSUS, REVERSED, variant, variant_features
from detectors.screening.subsets import summary_screens
from detectors.screening.table import Columns, build_table
from witness.config import Thresholds

PRICE = Columns(tender="t", price="p")
WITH_IDS = Columns(tender="t", price="p", bidder="b", winner="w")

cells = st.one_of(
    st.just(""),
    st.just("n/a"),
    st.just("-5"),
    st.just("inf"),
    st.floats(1, 1e9).map(lambda x: f"{x:.2f}"),
    st.integers(1, 10**7).map(lambda x: f"{x:,}"),
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "t": st.sampled_from(["", "T1", "T2", "T3"]),
            "b": st.sampled_from(["", "A", "B", "C"]),
            "p": cells,
            "w": st.sampled_from(["", "0", "1"]),
        }
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows, st.booleans())
def test_every_row_is_a_bid_or_counted_by_its_reason(table_rows, ids):
    table = build_table(table_rows, WITH_IDS if ids else PRICE)
    assert table.rows == len(table_rows)
    kept = sum(1 for r in table_rows if r["t"] and _valid(r["p"]))
    merged = table.noted["repeat_bid"]
    assert table.skipped_total + kept == len(table_rows)
    assert sum(len(t.bids) for t in table.tenders.values()) == kept - merged
    for tid, tender in table.tenders.items():
        priced = [r for r in table_rows if r["t"] == tid and _valid(r["p"])]
        assert (len(tender.bids) > 0) == bool(priced)  # n_bids never 0 when prices exist
    if not ids:
        assert not table.noted["no_bidder"] and all(not t.bidders for t in table.tenders.values())


def _valid(text: str) -> bool:
    try:
        x = float(text.replace(",", ""))
    except ValueError:
        return False
    return math.isfinite(x) and x > 0


def test_empty_bidder_cells_keep_their_prices():
    table_rows = [{"t": "T", "b": "", "p": str(100 + i), "w": ""} for i in range(4)]
    table = build_table(table_rows, WITH_IDS)
    t = table.tenders["T"]
    assert len(t.bids) == 4 and not t.bidders and table.noted["no_bidder"] == 4
    assert not table.skipped_total


@pytest.mark.parametrize("missing", ["NA", "nan", "NaN", "N/A", "null", "#N/A"])
def test_a_missing_id_written_as_a_word_is_no_firm(missing):
    """R writes NA, pandas may write NaN: read as a firm, "NA" would bid in every tender
    with a gap and top the loss rates."""
    table_rows = [
        {"t": f"T{i}", "b": b, "p": str(100 + j), "w": ""}
        for i in range(3)
        for j, b in enumerate(["A", missing, "C"])
    ]
    table = build_table(table_rows, WITH_IDS)
    assert all(t.bidders == {"A", "C"} and len(t.bids) == 3 for t in table.tenders.values())
    assert table.noted["no_bidder"] == 3
    orphans = build_table([{"t": missing, "b": "A", "p": "100", "w": ""}] * 2, WITH_IDS)
    assert not orphans.tenders and orphans.skipped["no_tender"] == 2


def test_winner_column_may_name_the_winner_and_rejections_exclude_the_default():
    table_rows = [
        {"t": "1", "b": "A", "p": "10", "r": "资质不符"},
        {"t": "1", "b": "B", "p": "12", "r": "0"},
        {"t": "2", "b": "A", "p": "10", "w": "B"},
        {"t": "2", "b": "B", "p": "12", "w": "B"},
    ]
    default = build_table(table_rows, Columns(tender="t", price="p", bidder="b", rejected="r"))
    assert default.tenders["1"].rejected == {"A"} and default.tenders["1"].winner == "B"
    named = build_table(table_rows, Columns(tender="t", price="p", bidder="b", winner="w"))
    assert named.tenders["2"].winner == "B"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "0", "1", "0.0", "1.0"]), max_size=6), max_size=6))
def test_a_per_bid_label_marks_a_tender_with_any_colluding_bid(labels_by_tender):
    """Data sets like DB_Collusion mark each colluder's bid (Collusive_competitor), so a
    tender's first row may be an honest bid of a rigged tender."""
    table_rows = [
        {"t": f"T{i}", "p": str(100 + j), "y": y}
        for i, ys in enumerate(labels_by_tender)
        for j, y in enumerate(ys)
    ]
    table = build_table(table_rows, Columns(tender="t", price="p", label="y"))
    for i, ys in enumerate(labels_by_tender):
        if not ys:
            continue
        want = "1" if any(y.startswith("1") for y in ys) else ("0" if any(ys) else None)
        got = table.tenders[f"T{i}"].label
        assert (got and got[0]) == want, (ys, got)


# ---------------------------------------------------------------- subset screens

bids = st.lists(st.floats(100, 10_000, allow_nan=False), min_size=2, max_size=9)


@settings(max_examples=60, deadline=None)
@given(bids)
def test_subset_summaries_equal_brute_force(prices):
    got = summary_screens(prices)
    b = sorted(prices)
    for k in (3, 4):
        subs = [screens(list(c)) for c in combinations(b, k)] if len(b) >= k else []
        for name in ("cv", "spd", "diffp", "rd", "skew"):
            values = [getattr(s, name) for s in subs if getattr(s, name) is not None]
            values = [v for v in values if math.isfinite(v)]
            key = f"{name}{k}_min"
            if not values:
                assert got[key] is None
                continue
            assert got[key] == pytest.approx(min(values), rel=1e-6, abs=1e-9)
            assert got[f"{name}{k}_max"] == pytest.approx(max(values), rel=1e-6, abs=1e-9)
            assert got[f"{name}{k}_med"] == pytest.approx(
                float(np.median(values)), rel=1e-6, abs=1e-9
            )


def test_subset_min_cv_finds_a_tight_cartel_among_spread_bids():
    honest = [1000, 1400, 1900]
    cartel = [1500, 1502, 1504, 1507]
    tight = summary_screens(honest + cartel)["cv4_min"]
    whole = screens(honest + cartel).cv
    assert tight < 0.01 < whole


# ---------------------------------------------------------------- percentiles and score


def _table(prices_by_tender: dict[str, list[float]], scale: float = 1.0):
    table_rows = [
        {"t": t, "p": f"{p * scale:.6f}"} for t, ps in prices_by_tender.items() for p in ps
    ]
    return build_table(table_rows, PRICE)


tenders = st.dictionaries(
    st.sampled_from([f"T{i}" for i in range(12)]),
    st.lists(st.integers(100, 5000).map(float), min_size=1, max_size=7),
    min_size=2,
)


@settings(max_examples=40, deadline=None)
@given(tenders, st.sampled_from([0.01, 7.0, 1000.0]))
def test_score_does_not_depend_on_the_currency(prices_by_tender, scale):
    a = screen(_table(prices_by_tender))
    b = screen(_table(prices_by_tender, scale))
    for x, y in zip(a.tenders, b.tenders, strict=True):
        assert (x["score"] is None) == (y["score"] is None)
        if x["score"] is not None:
            assert x["score"] == pytest.approx(y["score"], abs=1e-9)
            assert 0 < x["score"] < 1
        if scale != 7.0:
            assert x["flags"] == y["flags"]
            continue
        # × 7 moves whole-yuan prices off their rounding grid (7 × 291 = 2037, still whole
        # yuan): a price ladder (PRICE-40-4) is judged against the grid, so only it may differ
        prices = prices_by_tender[x["tender"]]
        identical = len(set(prices)) < len(prices)  # PRICE-40-4 for identical prices stays
        assert _without_ladders(x, identical) == _without_ladders(y, identical)


def _without_ladders(row: dict, identical: bool) -> list[str]:
    return [f for f in row["flags"].split(";") if f and (f != "PRICE-40-4" or identical)]


def test_an_even_ladder_is_judged_against_the_rounding_grid_not_the_currency():
    # three whole-yuan bids 139 apart: one yuan of rounding in 139 could make them even by
    # chance; the same bids × 7 are 973 apart on the same one-yuan grid, and are not
    within = screen(_table({"T0": [100.0], "T1": [291.0, 430.0, 569.0]})).tenders[1]
    apart = screen(_table({"T0": [100.0], "T1": [291.0, 430.0, 569.0]}, 7.0)).tenders[1]
    assert "PRICE-40-4" not in within["flags"] and "PRICE-40-4" in apart["flags"]
    # in fen or in thousands the grid moves with the prices, and the judgement with it
    for scale in (0.01, 1000.0):
        moved = screen(_table({"T0": [100.0], "T1": [291.0, 430.0, 569.0]}, scale)).tenders[1]
        assert moved["flags"] == within["flags"]


def test_percentiles_are_directional_and_neutral_where_undefined():
    rows = [{"cv": 0.01}, {"cv": 0.05}, {"cv": None}, {"cv": 0.10}]
    pct = directional_percentiles(rows, ["cv"])["cv"]
    assert pct[0] > pct[1] > pct[3]  # lower CV = more suspicious
    assert pct[2] == 0.5


def test_every_model_variant_is_shipped_with_non_negative_weights():
    # prices only is the label-free rank average: no weights are shipped for it
    assert variant(False, False) == CONSENSUS and CONSENSUS not in MODELS
    for has_b in (False, True):
        for has_r in (False, True):
            name = variant(has_b, has_r)
            if name == CONSENSUS:
                continue
            model = MODELS[name]
            assert list(model["weights"]) == variant_features(name)
            assert all(w >= 0 for w in model["weights"].values())
            assert any(w > 0 for w in model["weights"].values())
    assert set(FEATURES) == set(variant_features("prices+bidders+reserve"))


def test_drivers_name_only_screens_that_raised_the_score():
    res = screen(
        _table(
            {f"S{i}": [1000, 1200 + i, 1450, 1800] for i in range(8)}
            | {"C": [1000, 1100, 1101, 1102]}
        )
    )
    for row in res.tenders:
        for part in filter(None, row["drivers"].split(";")):
            name, pct, contrib = part.split()
            base = name.removesuffix(REVERSED)
            assert (base != name) == (base in res.reversed)  # a turned screen says so
            assert base in FEATURES and float(pct) > 0.5 and float(contrib) > 0
    assert not set(res.reversed) & set(CORE)


def test_bidder_features_leave_the_tender_out():
    table_rows = [
        {"t": "T1", "b": b, "p": p, "w": w} for b, p, w in [("A", "100", "1"), ("B", "110", "0")]
    ]
    table = build_table(table_rows, WITH_IDS)
    [row] = tender_features(table)
    assert row["loss_rate"] is None and row["winner_loss"] is None  # no other tender
    assert row["cobid_mean"] == 0.0  # never met elsewhere


# ---------------------------------------------------------------- fences, flags, shares


def test_tukey_fence():
    assert fence([1, 2, 3, 4, 5], 1.5, "lower") == pytest.approx(2 - 1.5 * 2)
    assert fence([1, 2, 3, 4, 5], 1.5, "upper") == pytest.approx(4 + 1.5 * 2)


def test_gap_flags_use_the_file_fence_when_the_file_is_big_enough():
    rng = np.random.default_rng(3)
    prices = {}
    for i in range(40):
        low = 1000.0
        prices[f"T{i}"] = [low, low * (1.03 + 0.01 * rng.random()), low * 1.08, low * 1.12]
    prices["CLOSE"] = [1000.0, 1000.5, 1080, 1120]
    prices["CHEAP"] = [600.0, 1000, 1020, 1050]
    res = screen(_table(prices))
    by = {r["tender"]: r["flags"].split(";") for r in res.tenders}
    assert "PRICE-CLOSE" in by["CLOSE"] and "PRICE-DISCOUNT" in by["CHEAP"]
    assert res.cuts["PRICE-CLOSE"].source == "file fence"
    assert sum("PRICE-CLOSE" in f for f in by.values()) == 1
    small = screen(_table({"A": [1000, 1000.5, 1100], "B": [1000, 1050, 1100]}))
    assert small.cuts["PRICE-CLOSE"].source == "fixed threshold"


def test_rejection_and_period_flags_in_batch():
    table_rows = []
    for i in range(8):
        rej = i < 5
        table_rows += [
            {
                "t": f"T{i}",
                "b": "W",
                "p": "1000",
                "r": "0",
                "pub": "2026-01-01",
                "dl": "2026-01-10" if i == 0 else "2026-02-01",
            },
            {
                "t": f"T{i}",
                "b": "X",
                "p": "990",
                "r": "报价低于成本" if rej else "0",
                "pub": "2026-01-01",
                "dl": "2026-02-01",
            },
        ]
    cols = Columns(tender="t", price="p", bidder="b", rejected="r", published="pub", deadline="dl")
    th = Thresholds.defaults().with_overrides("REJ-RATE", min_bids=5)
    res = screen(build_table(table_rows, cols), th)
    by = {r["tender"]: r["flags"].split(";") for r in res.tenders}
    assert "PROC-SHORT" in by["T0"] and "PROC-SHORT" not in by["T1"]
    for i in range(8):
        assert ("REJ-ALL" in by[f"T{i}"]) is (i < 5)
        assert ("REJ-LOW" in by[f"T{i}"]) is (i < 5)
        assert ("REJ-RATE" in by[f"T{i}"]) is (i < 5)  # X: 5 of 8 bids rejected


def test_flag_shares_and_the_warning():
    prices = {f"T{i}": [1000.0, 1000.0, 1200.0] for i in range(4)}  # identical prices everywhere
    prices["U"] = [1000.0, 1100.0, 1250.0]
    res = screen(_table(prices), warn_share=0.5)
    share = {s.rule: s for s in res.shares}
    assert [s.rule for s in res.shares] == list(FLAG_RULES)
    assert share["PRICE-40-4"].tenders == 4 and share["PRICE-40-4"].share == pytest.approx(0.8)
    assert share["PRICE-40-4"].warn and not share["PRICE-SCREEN"].warn
    assert res.identical_tenders == 4


def test_grouped_folds_keep_groups_together_and_balance():
    groups = [f"g{i % 17}" for i in range(300)] + [None] * 20
    folds = grouped_folds(groups, 5)
    for g in set(groups) - {None}:
        assert len({folds[i] for i, x in enumerate(groups) if x == g}) == 1
    counts = np.bincount(folds, minlength=5)
    assert counts.max() - counts.min() <= 20
    assert (grouped_folds(groups, 5) == folds).all()  # deterministic


def test_the_same_spread_in_another_currency_ranks_as_a_tie():
    # 100 -> 122 and 150 -> 183 are both 22 % spreads; in hundreds of yuan floating-point
    # rounding made one 0.21999999999999997 and the other 0.22000000000000006, and the
    # tie became a rank (scores 0.5 and 0.517 instead of 0.5 and 0.5)
    prices = {"T0": [100.0, 122.0], "T1": [150.0, 183.0]}
    for scale in (1.0, 0.01, 7.0):
        scores = [r["score"] for r in screen(_table(prices, scale)).tenders]
        assert scores == [pytest.approx(0.5, abs=1e-12)] * 2


def test_a_bid_exactly_one_percent_above_the_lowest_is_near_in_every_currency():
    # in 万元, 1.717 > 1.7 * 1.01 by rounding: the missing-bids screen (near_share) must
    # count it within 1 % of the lowest as it does in yuan
    for scale in (1.0, 0.001):
        rows = tender_features(_table({"T0": [1700.0, 1717.0], "T1": [1000.0, 2000.0]}, scale))
        assert [r["near_share"] for r in rows] == [1.0, 0.0]


def test_equal_bids_have_no_spread_in_any_currency():
    # three bids of 1.65: numpy's mean is 1.6500000000000001, which left a CV of 1.6e-16
    # and a skewness of 2.45 where 165, 165, 165 have none, and moved the score
    for scale in (1.0, 0.01, 7.0):
        one = tender_features(_table({"T0": [165.0, 165.0, 165.0, 165.0]}, scale))[0]
        assert one["cv"] == 0.0 and one["spd"] == 0.0 and one["cv3_min"] == 0.0
        assert one["skew"] is None and one["ks"] is None and one["kurt"] is None
        assert one["skew4_med"] is None and one["rd"] is None
