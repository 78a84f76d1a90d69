"""CSV files as centres save them (`witness.csv_text`): GBK or UTF-8, comma or semicolon."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from witness import csv_text

NAMES = st.lists(
    st.text(alphabet=st.sampled_from("标段投标人报价tenderpricbd_ 1"), min_size=1, max_size=8),
    min_size=2,
    max_size=8,
)


def test_a_gbk_file_is_read_as_gbk_and_a_utf8_one_as_utf8(tmp_path) -> None:
    text = "标段,投标人,报价\nT1,甲公司,1234.5\n"
    gbk, utf8, bom = tmp_path / "gbk.csv", tmp_path / "utf8.csv", tmp_path / "bom.csv"
    gbk.write_bytes(text.encode("gbk"))
    utf8.write_bytes(text.encode("utf-8"))
    bom.write_bytes(text.encode("utf-8-sig"))
    assert csv_text.file_encoding(gbk) == csv_text.CHINESE
    assert csv_text.file_encoding(utf8) == csv_text.file_encoding(bom) == csv_text.UTF8
    for path in (gbk, utf8, bom):
        assert path.read_text(csv_text.file_encoding(path)) == text
        assert csv_text.decode(path.read_bytes()) == text


def test_a_file_opening_with_a_utf16_mark_is_utf16(tmp_path) -> None:
    text = "标段\t投标人\t报价\r\nT1\t甲公司\t1234.5\r\n"
    for name, data in {
        "le": text.encode("utf-16-le"),
        "be": text.encode("utf-16-be"),
    }.items():
        mark = b"\xff\xfe" if name == "le" else b"\xfe\xff"
        path = tmp_path / f"{name}.txt"
        path.write_bytes(mark + data)
        assert csv_text.file_encoding(path) == csv_text.UTF16
        with path.open(encoding=csv_text.file_encoding(path), newline="") as fh:
            assert fh.read() == text
        assert csv_text.decode(path.read_bytes()) == text


def test_a_gbk_byte_past_the_first_chunk_still_decides(tmp_path) -> None:
    """The whole file is scanned: an ASCII head longer than one chunk proves nothing."""
    path = tmp_path / "late.csv"
    path.write_bytes(b"t,p\n" + b"T1,100\n" * (csv_text._CHUNK // 7 + 10) + "T2,甲\n".encode("gbk"))
    assert csv_text.file_encoding(path) == csv_text.CHINESE


@settings(max_examples=200, deadline=None)
@given(names=NAMES, delimiter=st.sampled_from(csv_text.DELIMITERS), decimals=st.booleans())
def test_the_header_line_names_the_separator(names, delimiter, decimals) -> None:
    """Whatever the column names, the separator the header uses is the one read, even when
    every data row holds a decimal comma (as many commas as separators in two columns)."""
    names = [n.strip() or "x" for n in names]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(names)
    w.writerow(["1234,5" if decimals else "7" for _ in names])
    sample = buf.getvalue()
    got = csv_text.dialect(sample)
    assert got.delimiter == delimiter
    assert next(csv.reader(io.StringIO(sample), got)) == names


def test_excels_sep_line_names_the_separator_and_is_no_row(tmp_path) -> None:
    """`sep=;` (added so Excel splits a file) was read as the header: no column found."""
    from witness.boq_read import _csv_sheet

    text = "sep=;\r\n标段;投标人;报价\r\nT1;甲公司;1234,5\r\n"
    dialect, rows = csv_text.table_text(text)
    assert dialect.delimiter == ";"
    assert list(csv.reader(io.StringIO(rows), dialect)) == [
        ["标段", "投标人", "报价"],
        ["T1", "甲公司", "1234,5"],
    ]
    ((_, table),) = _csv_sheet(text.encode("utf-8-sig"), "bill.csv")
    assert table[0] == ("标段", "投标人", "报价")
    for line in ("sep=a", 'sep="', "sep=;;", "sep", "tender;price"):
        assert csv_text.sep_line(line) is None
    assert csv_text.sep_line("\ufeffSEP=|\n") == "|"
