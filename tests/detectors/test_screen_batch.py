"""`witness screen` on small hand-made tables: columns, skips, winners, flags, groups."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from detectors.screening.batch import screen
from detectors.screening.metrics import auc
from detectors.screening.table import Columns
from witness.cli import main
from witness.commands.screen_files import ColumnError, read_table


def read_bids(path: Path, **columns):
    return read_table(Path(path), Columns(**columns), progress=False)


def write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def read(path: Path) -> list[dict]:
    """An output CSV as a reader that knows the BOM reads it (Excel, pandas, csv)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def table(tmp_path: Path) -> Path:
    rows = []
    # L1: cover bidding (one low bid, tight covers); L2: arithmetic ladder; L3: competitive
    for b, p in [("A", 1000), ("B", 1080), ("C", 1082), ("D", 1083), ("E", 1085)]:
        rows.append({"lot": "L1", "firm": b, "amount": p, "won": int(b == "A")})
    for b, p in [("A", 2000.5), ("B", 2100.5), ("C", 2200.5), ("D", 2300.5)]:
        rows.append({"lot": "L2", "firm": b, "amount": p, "won": int(b == "A")})
    for b, p in [("X", 500), ("Y", 620), ("Z", 710), ("W", 905)]:
        rows.append({"lot": "L3", "firm": b, "amount": p, "won": int(b == "X")})
    rows.append({"lot": "L3", "firm": "V", "amount": "", "won": 0})  # empty bid
    rows.append({"lot": "L4", "firm": "V", "amount": "n/a", "won": 0})  # no valid bid at all
    return write(tmp_path / "bids.csv", rows)


def test_rows_flags_and_skips(tmp_path):
    r = read_bids(table(tmp_path), tender="lot", bidder="firm", price="amount", winner="won")
    assert (r.rows, r.skipped["no_price"], r.skipped["bad_price"], r.skipped_total) == (15, 1, 1, 2)
    assert list(r.tenders) == ["L1", "L2", "L3", "L4"]
    assert r.tenders["L1"].winner == "A"
    res = screen(r)
    by = {row["tender"]: row for row in res.tenders}
    assert by["L1"]["flags"] == "PRICE-SCREEN"
    assert by["L2"]["flags"] == "PRICE-40-4"
    assert by["L3"]["flags"] == ""
    assert by["L4"]["n_bids"] == 0 and by["L4"]["score"] is None and by["L4"]["cv"] is None
    assert by["L4"]["drivers"] == ""
    assert all(0 < row["score"] <= 1 for row in res.tenders if row["score"] is not None)
    # L1 (low CV, big gap) must rank above the competitive L3
    assert by["L1"]["score"] > by["L3"]["score"]


def test_prices_written_in_any_convention_are_read_and_a_bad_one_is_shown(
    tmp_path, capsys, monkeypatch
):
    """Decimal commas, grouping and full-width digits read as the amounts they write; a
    refused cell is counted and shown by its line, text and reason, in the user's
    language, beside the threshold each flag used."""
    rows = [
        {"lot": "L1", "firm": "A", "amount": "1.234,50"},
        {"lot": "L1", "firm": "B", "amount": "1'300.00"},
        {"lot": "L1", "firm": "C", "amount": "１，４００．２５"},
        {"lot": "L1", "firm": "D", "amount": "1234,5"},
        {"lot": "L1", "firm": "E", "amount": "1,23,4"},
        {"lot": "L1", "firm": "F", "amount": "¥1,500"},
    ]
    path = write(tmp_path / "odd.csv", rows)
    r = read_bids(path, tender="lot", bidder="firm", price="amount")
    assert r.tenders["L1"].bids == {
        "A": 1234.5,
        "B": 1300.0,
        "C": 1400.25,
        "D": 1234.5,
        "F": 1500.0,
    }
    assert r.skipped["bad_price"] == 1 and r.examples["bad_price"][0][:2] == (6, "1,23,4")
    for locale, says in (
        (
            "zh-CN",
            [
                "跳过 1 行：报价不是数字",
                "例如：第 6 行 '1,23,4'（数位没有按三位分组）",
                "（固定阈值：",
            ],
        ),
        (
            "en",
            [
                "skipped 1 rows: price is not a number",
                "e.g. line 6 '1,23,4' (digits not grouped in threes)",
                "(fixed threshold: ",
            ],
        ),
    ):
        monkeypatch.setenv("WITNESS_LOCALE", locale)
        argv = ["screen", str(path), "--tender", "lot", "--price", "amount", "--bidder", "firm"]
        assert main([*argv, "--out", str(tmp_path / "out.csv"), "--no-progress"]) == 0
        err = capsys.readouterr().err
        assert all(line in err for line in says), err
        if locale == "zh-CN":
            assert "threshold" not in err and "fence" not in err


def test_a_gbk_or_semicolon_file_screens_as_its_utf8_twin(tmp_path, monkeypatch, capsys) -> None:
    """Excel on Chinese Windows saves CSV in GBK, on a European one with semicolons and
    decimal commas: each screens to the very rows of the UTF-8 comma file, and the output
    carries a BOM so Excel shows its Chinese."""
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    lines = ["标段,投标人,报价"] + [
        f"标段{t},{firm}公司,{1000 + 37 * t + 11 * i + (t % 3) * i * i}.5"
        for t in range(6)
        for i, firm in enumerate("甲乙丙丁")
    ]
    text = "\n".join(lines) + "\n"
    twins = {
        "utf8": text.encode("utf-8"),
        "gbk": text.encode("gbk"),
        "semicolon": text.replace(",", ";").replace(".5", ",5").encode("utf-8"),
    }
    outs = {}
    for name, data in twins.items():
        src, out = tmp_path / f"{name}.csv", tmp_path / f"{name}.out.csv"
        src.write_bytes(data)
        argv = ["screen", str(src), "--tender", "标段", "--price", "报价", "--bidder", "投标人"]
        assert main([*argv, "--out", str(out), "--no-progress"]) == 0
        outs[name] = out.read_bytes()
        said = capsys.readouterr().err
        assert ("GB18030" in said) == (name == "gbk") and ("';'" in said) == (name == "semicolon")
    assert outs["utf8"].startswith(b"\xef\xbb\xbf") and "标段5".encode() in outs["utf8"]
    assert outs["gbk"] == outs["utf8"] == outs["semicolon"]
    assert len(read(tmp_path / "utf8.out.csv")) == 6


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "没有表头行"),
        (b"\xef\xbb\xbf", "没有表头行"),
        (b"tender,price,price\nT1,10,11\n", "列 'price'（--price）出现 2 次"),
        (b"tender,price, price\nT1,10,11\n", "列 'price'（--price）出现 2 次"),
    ],
)
def test_an_empty_file_or_a_column_named_twice_is_refused(
    tmp_path, capsys, monkeypatch, content, says
):
    """The csv reader keeps the last of two same-named columns without a word; the screen
    must not pick a price column for the user."""
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    argv = [
        "screen",
        str(path),
        "--tender",
        "tender",
        "--price",
        "price",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and not (tmp_path / "o").exists()


def test_header_names_are_matched_without_their_padding(tmp_path):
    """'tender, price' (a space after each comma, as some exports write) has a column
    'price'; the cells' own padding was never a problem."""
    path = tmp_path / "padded.csv"
    path.write_text("tender, firm , price\nT1, A, 10\nT1, B, 12\nT1, C, 13\n", "utf-8")
    r = read_bids(path, tender="tender", bidder="firm", price="price")
    assert r.tenders["T1"].bids == {"A": 10.0, "B": 12.0, "C": 13.0}


def test_missing_column_is_named(tmp_path):
    path = table(tmp_path)
    with pytest.raises(ColumnError) as exc:
        read_bids(path, tender="lot", bidder="firm", price="prix")
    assert "prix" in str(exc.value) and "--price" in str(exc.value) and "amount" in str(exc.value)


def test_cli_missing_column_exit_code(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    path = table(tmp_path)
    code = main(
        [
            "screen",
            str(path),
            "--tender",
            "lot",
            "--bidder",
            "nope",
            "--price",
            "amount",
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "--bidder" in err


def test_winner_defaults_to_lowest_and_may_name_the_winner(tmp_path):
    rows = [
        {"t": "1", "b": "A", "p": 10, "w": "B"},
        {"t": "1", "b": "B", "p": 12, "w": "B"},
    ]
    path = write(tmp_path / "w.csv", rows)
    assert read_bids(path, tender="t", bidder="b", price="p").tenders["1"].winner == "A"
    assert read_bids(path, tender="t", bidder="b", price="p", winner="w").tenders["1"].winner == "B"


def test_a_winner_written_another_way_is_the_same_bidder_and_an_unknown_one_is_said(tmp_path):
    """A winner column copied from the award notice writes the firm in full width, other
    case or with a space: matched exactly, such a tender had no winner among its bids
    (BID-LOSER, PRICE-CLOSE and the rotation analysis saw none) and nothing said so."""
    rows = [
        {"t": "1", "b": "ABC建设有限公司", "p": 12, "w": "ＡＢＣ建设 有限公司"},
        {"t": "1", "b": "乙公司", "p": 10, "w": "ＡＢＣ建设 有限公司"},
        {"t": "2", "b": "abc", "p": 12, "w": "ABC"},
        {"t": "2", "b": "ABC", "p": 11, "w": "ABC"},
        {"t": "3", "b": "甲公司", "p": 12, "w": "丁公司"},
        {"t": "3", "b": "乙公司", "p": 11, "w": "丁公司"},
    ]
    got = read_bids(write(tmp_path / "w.csv", rows), tender="t", bidder="b", price="p", winner="w")
    assert got.tenders["1"].winner == "ABC建设有限公司"
    assert got.tenders["2"].winner == "ABC"  # the exact spelling wins over a look-alike
    assert got.tenders["3"].winner not in got.tenders["3"].bids
    assert got.noted["unknown_winner"] == 1
    assert got.examples["unknown_winner"] == [(6, "丁公司", "")]


def test_cli_writes_both_files_with_contract_columns(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    rows = []
    plan = [("T1", "A"), ("T2", "B"), ("T3", "C"), ("T4", "A"), ("T5", "B")]
    for i, (tid, winner) in enumerate(plan):
        for j, b in enumerate(["A", "B", "C"]):
            price = 1000 + 10 * i + (0 if b == winner else 50 + j)
            rows.append({"tender": tid, "bidder": b, "price": price, "winner": int(b == winner)})
    path = write(tmp_path / "ring.csv", rows)
    out, groups = tmp_path / "t.csv", tmp_path / "g.csv"
    code = main(
        [
            "screen",
            str(path),
            "--tender",
            "tender",
            "--bidder",
            "bidder",
            "--price",
            "price",
            "--winner",
            "winner",
            "--out",
            str(out),
            "--groups",
            str(groups),
        ]
    )
    assert code == 0
    t_rows = read(out)
    assert list(t_rows[0]) == [
        "tender",
        "n_bids",
        "cv",
        "spd",
        "diffp",
        "rd",
        "kurt",
        "skew",
        "ks",
        "flags",
        "score",
        "drivers",
    ]
    assert [r["tender"] for r in t_rows] == ["T1", "T2", "T3", "T4", "T5"]
    assert all("REL-RING" in r["flags"].split(";") for r in t_rows)
    g_rows = read(groups)
    assert len(g_rows) == 1
    g = g_rows[0]
    assert g["group"] == "A;B;C" and g["shared_tenders"] == "5" and g["flags"] == "REL-RING"
    assert g["wins"] == "A:2;B:2;C:1"
    assert "5 tenders" in capsys.readouterr().err


def test_score_ranks_a_cover_bid_tender_above_a_spread_one(tmp_path):
    rows = []
    for i in range(10):  # ten tenders, spread bids; one tight with a low bid set apart
        base = 1000 * (i + 1)
        for j, f in enumerate([1.0, 1.13, 1.31, 1.52, 1.77]):
            rows.append({"t": f"S{i}", "p": round(base * f * (1 + 0.01 * ((i * j) % 3)))})
    for f in [1.0, 1.10, 1.101, 1.103, 1.104]:
        rows.append({"t": "C", "p": round(5000 * f)})
    res = screen(read_bids(write(tmp_path / "s.csv", rows), tender="t", price="p"))
    by = {r["tender"]: r for r in res.tenders}
    assert res.model == "prices"
    assert by["C"]["score"] == max(r["score"] for r in res.tenders)
    assert by["C"]["drivers"]  # the score names the screens behind it


def test_auc_mann_whitney():
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == (1.0, 4)
    assert auc([0.9, 0.8, 0.2, 0.1], ["0", "0", "1", "1"]) == (0.0, 4)
    assert auc([0.5, 0.5], [0, 1]) == (0.5, 2)
    assert auc([0.5, None, 0.7], [1, 0, 1]) is None  # one class left


@pytest.mark.parametrize("noise", [-1e-17, 0.0, 1e-17])
def test_auc_ties_values_equal_but_for_rounding(noise):
    # A symmetric subset's skewness is exactly 0 on one CPU and +-1e-17 on another: the
    # AUC (and so the fitted file's figures) must not depend on which.
    scores = [0.0, noise, 0.0, 0.3, 1.0 + 1e-12, 1.0]
    labels = [1, 0, 0, 1, 1, 0]
    assert auc(scores, labels) == auc([0.0, 0.0, 0.0, 0.3, 1.0, 1.0], labels)
    # rounding-level only: a real gap still ranks
    assert auc([0.0, 1e-6], [0, 1]) == (1.0, 2)


def test_label_aucs_are_printed_in_each_screens_suspicious_direction(tmp_path, capsys, monkeypatch):
    """A per-bid label, every rigged tender's first row an honest bid: the tenders count as
    cases, and CV (lower = suspicious) prints its AUC in that direction, as the README's
    table does, not as the raw 1 - AUC."""
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    rows = []
    for i in range(12):
        rigged = i % 2 == 0
        step = 0.01 if rigged else 0.08 + 0.01 * (i % 3)
        for j in range(5):
            rows.append(
                {
                    "t": f"T{i}",
                    "p": f"{1000 * (1 + i / 10) * (1 + step * j):.2f}",
                    "y": int(rigged and j > 0),
                }
            )
    path = write(tmp_path / "bids.csv", rows)
    out = tmp_path / "out.csv"
    args = ["screen", str(path), "--tender", "t", "--price", "p", "--label", "y", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "lower cv, spd, skew" in err
    printed = {ln.split()[0]: ln.split()[1] for ln in err.splitlines() if ln.startswith("  ")}
    tenders = read(out)
    labels = [int(int(r["tender"][1:]) % 2 == 0) for r in tenders]
    raw = auc([float(r["cv"]) for r in tenders], labels)[0]
    assert raw == 0.0  # the rigged tenders are the tight ones: all of them
    assert printed["cv"] == f"{1 - raw:.3f}" == "1.000"
    assert printed["score"] == f"{auc([float(r['score']) for r in tenders], labels)[0]:.3f}"
