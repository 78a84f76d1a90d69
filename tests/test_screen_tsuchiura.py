"""`witness screen` over the real Tsuchiura auctions (1,565 auctions, 6,013 bid rows).

The labels (`auction_cartelized`) are used only to measure AUCs; no threshold or
direction was set from them. The direction assertions below state what the data shows
for the literature's directions (lower CV = more suspicious; the score built from the
literature's directions ranks cartelised auctions higher) and fail if that changes.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from witness.cli import main
from detectors.screening.batch import FLAG_RULES, SCREEN_COLUMNS
from detectors.screening.metrics import auc

ROOT = Path(__file__).parents[1]
#: shared/ sits beside the clone (CI) or beside the folder of worktrees (development).
DATA = next(
    (d for d in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if d.is_dir()),
    ROOT.parent / "shared",
) / "data/tsuchiura"
CSV = DATA / "tsuchiura_data.csv"


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    if not CSV.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CSV} is required when CI=true")
        pytest.skip(f"{CSV} not available")
    out_dir = tmp_path_factory.mktemp("tsuchiura")
    out, groups = out_dir / "tenders.csv", out_dir / "groups.csv"
    code = main(
        [
            "screen",
            str(CSV),
            "--tender",
            "pid",
            "--bidder",
            "bidder_id",
            "--price",
            "bid",
            "--winner",
            "winner",
            "--out",
            str(out),
            "--groups",
            str(groups),
            "--no-progress",
        ]
    )
    assert code == 0
    with CSV.open(newline="", encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    with out.open(newline="", encoding="utf-8") as fh:
        tenders = list(csv.DictReader(fh))
    with groups.open(newline="", encoding="utf-8") as fh:
        group_rows = list(csv.DictReader(fh))
    return source, tenders, group_rows


def _num(x: str) -> float | None:
    return float(x) if x != "" else None


def test_one_row_per_auction(screened):
    source, tenders, _ = screened
    pids = [r["tender"] for r in tenders]
    assert len(pids) == len(set(pids)) == 1565
    assert set(pids) == {r["pid"] for r in source}


def test_bid_counts_skip_the_41_empty_bids(screened):
    source, tenders, _ = screened
    empty = sum(1 for r in source if r["bid"].strip() == "")
    assert empty == 41
    expected: dict[str, set[str]] = {}
    for r in source:
        if r["bid"].strip():
            expected.setdefault(r["pid"], set()).add(r["bidder_id"])
    for row in tenders:
        assert int(row["n_bids"]) == len(expected.get(row["tender"], ()))


def test_screens_within_range(screened):
    _, tenders, groups = screened
    for row in tenders:
        n = int(row["n_bids"])
        if n >= 2:
            assert _num(row["cv"]) >= 0 and _num(row["spd"]) >= 0
            assert 0 <= _num(row["score"]) <= 1
        if row["ks"]:
            assert 0 <= _num(row["ks"]) <= 1
        assert set(filter(None, row["flags"].split(";"))) <= set(FLAG_RULES)
    assert groups and all(int(g["size"]) >= 3 for g in groups)


def test_auc_per_screen_against_cartel_label(screened):
    source, tenders, _ = screened
    label = {r["pid"]: r["auction_cartelized"] for r in source}
    labels = [label[t["tender"]] for t in tenders]
    result = {c: auc([_num(t[c]) for t in tenders], labels) for c in (*SCREEN_COLUMNS, "score")}
    for name, value in result.items():
        assert value is not None, name
        a, n = value
        assert 0.0 <= a <= 1.0
        assert n >= 700, name  # kurt needs 4 bids: the fewest defined rows
    # measured, not tuned: lower CV goes with cartelised auctions (weakly), and the
    # literature-direction score ranks them above the rest (weakly)
    assert result["cv"][0] < 0.5
    assert result["score"][0] > 0.5
