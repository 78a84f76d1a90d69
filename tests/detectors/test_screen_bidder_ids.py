"""What bidder ids do to the score, on the synthetic markets of
`witness/simulator/bid_tables.py`.

Where the cartel is a fixed group of firms, the bidder screens (co-bidding, loss rate)
see it and the score with `--bidder` is far above prices alone. Where the label is a
period (a cartel's years against the years after, as in many national data sets), the
same firms bid on both sides and the bidder screens carry nothing; the weights fitted on
Tsuchiura, where they carry the most, then dilute the prices. So do firms that
specialise, and bid numbers passed as ids. Those are known limits, pinned as strict
xfails; `--score-model prices` is the way round them, and keeps the bidder flags and
groups.
"""

from __future__ import annotations

import pytest

from detectors.screening.batch import screen
from detectors.screening.metrics import auc
from detectors.screening.table import Columns, build_table
from witness.cli import main
from witness.simulator.bid_tables import market, specialised_market, with_ids

PRICE = Columns(tender="t", price="p")
IDS = Columns(tender="t", price="p", bidder="b")


def score_auc(rows, labels, columns: Columns, model: str | None = None) -> float:
    res = screen(build_table(rows, columns), model=model)
    return auc([r["score"] for r in res.tenders], [labels[r["tender"]] for r in res.tenders])[0]


@pytest.mark.parametrize("style", ["tight", "phony"])
def test_bidder_ids_of_a_fixed_cartel_lift_the_score(style):
    rows, labels = market(style, seed=11, tenders=120, share=0.4)
    prices = score_auc(rows, labels, PRICE)
    ids = score_auc(with_ids(rows, labels, 11, cartel_firms=True), labels, IDS)
    assert ids > max(prices, 0.95)


@pytest.mark.parametrize("style", ["tight", "phony"])
def test_score_model_prices_ignores_the_bidder_screens_but_keeps_the_bidder_flags(style):
    rows, labels = market(style, seed=11, tenders=120, share=0.4)
    named = with_ids(rows, labels, 11, cartel_firms=False)
    alone = screen(build_table(rows, PRICE))
    chosen = screen(build_table(named, IDS), model="prices")
    assert chosen.model == "prices"
    assert [r["score"] for r in chosen.tenders] == pytest.approx(
        [r["score"] for r in alone.tenders], abs=1e-12
    )
    default = screen(build_table(named, IDS))
    assert default.model == "prices+bidders"
    flags = [f for r in chosen.tenders for f in r["flags"].split(";")]
    assert [f for r in default.tenders for f in r["flags"].split(";")] == flags
    assert "BID-LOSER" in flags  # the bidder rules still run on the chosen model


def test_a_score_model_needs_its_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    path = tmp_path / "bids.csv"
    path.write_text("t,p\nT1,100\nT1,120\n", encoding="utf-8")
    args = ["screen", str(path), "--tender", "t", "--price", "p", "--out", str(tmp_path / "o")]
    assert main([*args, "--score-model", "prices+bidders+reserve"]) == 2
    assert "needs columns not given: --bidder, --reserve" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match="needs columns"):
        screen(build_table([{"t": "T1", "p": "100"}], PRICE), model="prices+reserve")
    with pytest.raises(ValueError, match="is not one of"):
        screen(build_table([{"t": "T1", "p": "100"}], PRICE), model="bidders")


@pytest.mark.xfail(
    strict=True,
    reason="known limit: where the same firms bid in rigged and honest tenders (a period "
    "label), the bidder screens carry nothing and the weights fitted on Tsuchiura let "
    "them dilute the prices (bench/screen_transfer.py, 50 markets: tight 0.907 -> 0.823, "
    "phony 0.901 -> 0.789); use --score-model prices",
)
@pytest.mark.parametrize("style", ["tight", "phony"])
def test_bidder_ids_that_say_nothing_do_not_dilute_the_prices(style):
    rows, labels = market(style, seed=11, tenders=120, share=0.4)
    prices = score_auc(rows, labels, PRICE)
    assert prices > 0.85
    ids = score_auc(with_ids(rows, labels, 11, cartel_firms=False), labels, IDS)
    assert ids > prices - 0.03


def numbered(rows: list[dict]) -> list[dict]:
    """Bids numbered within each tender, 1, 2, 3 ... (as Brazil's `Bid` column): passed as
    --bidder, every 'firm' bids everywhere."""
    seen: dict[str, int] = {}
    out = []
    for r in rows:
        seen[r["t"]] = seen.get(r["t"], 0) + 1
        out.append({**r, "b": str(seen[r["t"]])})
    return out


@pytest.mark.xfail(
    strict=True,
    reason="known limit: firms that specialise carry their kind of work's price structure "
    "but nothing of a period-labelled cartel, and the weights fitted on Tsuchiura let their "
    "records dilute the prices (tight 0.911 -> 0.717 over 10 markets); a label-free test "
    "of the ids passes on any structure they carry (it was tried and reverted); use "
    "--score-model prices",
)
def test_specialised_firms_under_a_period_label_do_not_dilute_the_prices():
    rows, labels = specialised_market("tight", seed=1)
    prices = score_auc([{"t": r["t"], "p": r["p"]} for r in rows], labels, PRICE)
    assert prices > 0.85
    assert score_auc(rows, labels, IDS) > prices - 0.03


@pytest.mark.xfail(
    strict=True,
    reason="known limit: bid numbers passed as --bidder are not firms; their 'records' "
    "carry tender sizes and dilute the prices (0.975 -> 0.788 here); use --score-model "
    "prices",
)
def test_bid_numbers_passed_as_bidders_do_not_dilute_the_prices():
    rows, labels = market("tight", seed=11, tenders=120, share=0.4)
    prices = score_auc(rows, labels, PRICE)
    assert score_auc(numbered(rows), labels, IDS) > prices - 0.03
