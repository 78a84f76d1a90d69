"""`witness screen` on Excel workbooks, as centres keep their tender history.

It read an .xlsx as a GBK CSV ('现有列：PK…docProps/app.xml'), and `--out result.xlsx` wrote
CSV text that Excel refuses to open. The real Tsuchiura auctions, saved as a workbook with
numbers as numbers, must screen exactly as their CSV does.
"""

from __future__ import annotations

import csv

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.detectors.test_screen_tsuchiura import CSV, need_data
from witness.cli import main

COLUMNS = ["pid", "bidder_id", "bid", "winner", "reserveprice"]
OPTIONS = ["--tender", "pid", "--bidder", "bidder_id", "--price", "bid", "--winner", "winner"]


def _typed(cell: str):
    """A cell as Excel keeps it: a number where the text is one."""
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell or None


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    need_data()
    d = tmp_path_factory.mktemp("workbooks")
    with CSV.open(newline="", encoding="utf-8") as fh:
        rows = [[r[c] for c in COLUMNS] for r in csv.DictReader(fh)]
    as_csv = d / "auctions.csv"
    with as_csv.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([COLUMNS, *rows])
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["土浦市入札結果（抜粋）"])  # a notes sheet first, as offices keep one
    ws = book.create_sheet("入札")
    ws.append(COLUMNS)
    for r in rows:
        ws.append([_typed(c) for c in r])
    as_xlsx = d / "auctions.xlsx"
    book.save(as_xlsx)
    return d, as_csv, as_xlsx


def _screen(source, out, capsys) -> str:
    assert main(["screen", str(source), *OPTIONS, "--out", str(out), "--no-progress"]) == 0
    return capsys.readouterr().err


def test_a_workbook_screens_exactly_as_its_csv(tables, capsys):
    d, as_csv, as_xlsx = tables
    _screen(as_csv, d / "from_csv.csv", capsys)
    said = _screen(as_xlsx, d / "from_xlsx.csv", capsys)
    assert "读取工作表 '入札'" in said  # the sheet whose header has the --tender column
    assert (d / "from_xlsx.csv").read_bytes() == (d / "from_csv.csv").read_bytes()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_excels_unicode_text_screens_exactly_as_the_csv(tables, codec, capsys):
    """Excel's "Unicode Text" (UTF-16, a byte-order mark, tabs, CRLF) was read as GBK:
    '没有列 pid；现有列：�⺻ e a r ...'."""
    d, as_csv, _ = tables
    with as_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    text = "".join("\t".join(r) + "\r\n" for r in rows)
    unicode_text = d / f"auctions.{codec}.txt"
    data = text.encode(codec)
    unicode_text.write_bytes(data if codec == "utf-16" else b"\xfe\xff" + data)
    _screen(as_csv, d / "from_csv.csv", capsys)
    said = _screen(unicode_text, d / f"from_{codec}.csv", capsys)
    assert "UTF-16" in said and "GB18030" not in said
    assert (d / f"from_{codec}.csv").read_bytes() == (d / "from_csv.csv").read_bytes()


def test_a_csv_with_excels_sep_line_screens_exactly_as_the_csv(tables, capsys):
    d, as_csv, _ = tables
    with as_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    marked = d / "auctions.sep.csv"
    with marked.open("w", newline="", encoding="utf-8-sig") as fh:
        fh.write("sep=;\r\n")
        csv.writer(fh, delimiter=";").writerows(rows)
    _screen(as_csv, d / "from_csv.csv", capsys)
    _screen(marked, d / "from_sep.csv", capsys)
    assert (d / "from_sep.csv").read_bytes() == (d / "from_csv.csv").read_bytes()


def test_an_xlsx_out_is_a_workbook_with_the_csvs_rows(tables, capsys):
    d, as_csv, _ = tables
    _screen(as_csv, d / "t.csv", capsys)
    _screen(as_csv, d / "t.xlsx", capsys)
    with (d / "t.csv").open(newline="", encoding="utf-8-sig") as fh:
        expected = list(csv.reader(fh))
    sheet = openpyxl.load_workbook(d / "t.xlsx", read_only=True).worksheets[0]
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0] == expected[0] and len(got) == len(expected)
    n_bids = expected[0].index("n_bids")
    assert all(isinstance(r[n_bids], int) for r in got[1:])  # numbers stay numbers
    for want, have in zip(expected[1:], got[1:], strict=True):
        assert have[0] == want[0]  # the tender id, as text
        assert [float(w) if w else None for w in want[2:9]] == [
            pytest.approx(h, rel=1e-5) if h is not None else None for h in have[2:9]
        ]


def test_an_old_xls_is_named_and_not_read(tmp_path, capsys):
    old = tmp_path / "历史.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    code = main(
        ["screen", str(old), "--tender", "t", "--price", "p", "--out", str(tmp_path / "o.csv")]
    )
    err = capsys.readouterr().err
    assert code == 2 and "历史.xls 是旧版 Excel（.xls）或加密文件：请另存为 .xlsx 或 CSV" in err
    assert "Traceback" not in err


def test_an_id_written_as_a_formula_stays_text_in_the_workbook(tmp_path, capsys):
    """openpyxl writes a string starting with '=' as a formula, which Excel would run."""
    table = tmp_path / "bids.csv"
    rows = [
        "tender,bidder,price",
        *(
            f'"=HYPERLINK(""http://x"")",{b},{p}'
            for b, p in zip("ABC", (100, 101, 103), strict=True)
        ),
    ]
    table.write_text("\n".join(rows) + "\n", "utf-8")
    out = tmp_path / "t.xlsx"
    columns = ["--tender", "tender", "--price", "price", "--no-progress"]
    assert main(["screen", str(table), *columns, "--out", str(out)]) == 0
    cell = openpyxl.load_workbook(out).worksheets[0]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


@settings(max_examples=100, deadline=None)
@given(
    tender=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s.strip()),
    lead=st.sampled_from(["=", "+", "-", "@", "\t", ""]),
)
def test_no_csv_cell_of_the_bidders_text_starts_a_formula(tmp_path_factory, tender, lead):
    """The CSV out kept '=HYPERLINK(…)', '@SUM(…)', '+cmd|…' from the screened file as
    they were: opened in Excel or WPS, they run. Such text is written behind an
    apostrophe; any other text and every number is written as it was."""
    from detectors.screening.table import NO_ID_WORDS
    from witness.commands.screen_files import FORMULA_STARTS, csv_cell

    value = lead + tender
    assume("\n" not in value and "\r" not in value[1:])
    assume(value.strip().lower() not in NO_ID_WORDS)  # 'NULL', '-': no tender id at all
    d = tmp_path_factory.mktemp("inject")
    table = d / "bids.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["tender", "bidder", "price"])
        for b, p in zip(["甲", lead + "乙", "丙"], (100, 101, 103), strict=True):
            writer.writerow([value, b, p])
    out = d / "t.csv"
    columns = ["--tender", "tender", "--price", "price", "--bidder", "bidder", "--no-progress"]
    assert main(["screen", str(table), *columns, "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8-sig") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert csv_cell(value.strip()) in cells[1:]  # the tender id, guarded where it must be
    assert csv_cell(-1.5) == "-1.5" and csv_cell("T-1") == "T-1"
