"""`witness screen`'s files: the bid table read (encoding, separator, header) and the
CSVs written. Kept apart from the command so each stays one job."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from witness import csv_text, xlsx_table
from witness.errors import WitnessError
from witness.i18n import register, t
from witness.progress import progress_bar

register(
    {
        "screen.no_header": (
            "文件 {file} 没有表头行（文件为空？）",
            "{file} has no header row (is it empty?)",
        ),
        "screen.twice": (
            "文件 {file} 的表头中列 {column!r}（{option}）出现 {n} 次，无法确定用哪一列；请改名后重试",
            "{file} names column {column!r} ({option}) {n} times in its header: rename one",
        ),
        "screen.encoding_utf16": (
            "文件为 UTF-16（Excel 的“Unicode 文本”），按 UTF-16 读取",
            'UTF-16 (Excel\'s "Unicode Text"): read as UTF-16',
        ),
        "screen.encoding": (
            "文件不是 UTF-8，按 {encoding}（GBK）编码读取",
            "not UTF-8: read as {encoding} (GBK)",
        ),
        "screen.delimiter": ("单元格以 {delimiter} 分隔", "cells separated by {delimiter}"),
        "screen.sheet": ("读取工作表 {sheet!r}", "reading sheet {sheet!r}"),
        "screen.old_xls": (
            "{file} 是旧版 Excel（.xls）或加密文件：请另存为 .xlsx 或 CSV",
            "{file} is an old Excel (.xls) or encrypted file: save it as .xlsx or CSV",
        ),
    }
)


class TableError(WitnessError, ValueError):
    """The file cannot be read as a bid table (no header, a named column twice)."""


class ColumnError(WitnessError, ValueError):
    """A column the user named is not in the file."""

    def __init__(self, column: str, option: str, file: str, columns: Sequence[str]) -> None:
        self.column, self.option, self.file = column, option, file
        self.columns = ", ".join(columns[:40]) + (" ..." if len(columns) > 40 else "")
        super().__init__(
            f"column {column!r} ({option}) is not in {file}; its columns are: {self.columns}"
        )


COLUMN_OPTIONS = {
    "tender": "--tender",
    "price": "--price",
    "bidder": "--bidder",
    "winner": "--winner",
    "label": "--label",
    "reserve": "--reserve",
    "rejected": "--rejected",
    "agent": "--agent",
    "published": "--published",
    "deadline": "--deadline",
}


def read_table(path: Path, columns, *, progress: bool):
    """Read the CSV or workbook into a `BidTable`; raises ColumnError for a named column
    not in the file."""
    from detectors.screening.table import build_table

    kind = xlsx_table.kind_of(path)
    if kind == "xls":
        raise TableError(t("screen.old_xls", file=path.name))
    if kind == "xlsx":
        wanted = columns.tender.strip() if columns.tender else None
        sheet, names, cells = xlsx_table.sheet_rows(path, wanted)
        if not any(n.strip() for n in names):
            raise TableError(t("screen.no_header", file=path.name))
        say("screen.sheet", sheet=sheet)
        return build_table(
            _progress(cells, path, progress), _resolve_columns(columns, names, path.name)
        )
    encoding = csv_text.file_encoding(path)
    with path.open(newline="", encoding=encoding, errors="replace") as fh:
        named = csv_text.sep_line(fh.readline())  # Excel's `sep=;` line is no data
        if named is None:
            fh.seek(0)
        start = fh.tell()
        dialect = csv_text.delimited(named) if named else csv_text.dialect(fh.read(1 << 16))
        fh.seek(start)
        reader = csv.DictReader(fh, dialect=dialect)
        if encoding == csv_text.CHINESE:
            say("screen.encoding", encoding=encoding.upper())
        elif encoding == csv_text.UTF16:
            say("screen.encoding_utf16")
        if dialect.delimiter != ",":
            say("screen.delimiter", delimiter=repr(dialect.delimiter))
        names = reader.fieldnames or []
        if not any(n.strip() for n in names):
            raise TableError(t("screen.no_header", file=path.name))
        columns = _resolve_columns(columns, names, path.name)
        return build_table(_progress(reader, path, progress), columns)


def _progress(rows, path: Path, enabled: bool):
    return progress_bar(
        rows,
        desc=t("screen.progress.reading", file=path.name),
        unit=t("screen.progress.rows"),
        enabled=enabled,
    )


def _resolve_columns(columns, names: Sequence[str], file: str):
    """The named columns as the header spells them: "tender, price" (a space after each
    comma, as some exports write) still has a column "price". A named column the header
    holds twice is refused: the csv reader would silently keep the last one."""
    by_name: dict[str, list[str]] = {}
    for n in names:
        by_name.setdefault(n.strip(), []).append(n)
    found = {}
    for attr, col in columns.named().items():
        spelled = by_name.get(col.strip(), [])
        if not spelled:
            raise ColumnError(col, COLUMN_OPTIONS[attr], file, names)
        if len(spelled) > 1:
            raise TableError(
                t(
                    "screen.twice",
                    column=col,
                    option=COLUMN_OPTIONS[attr],
                    file=file,
                    n=len(spelled),
                )
            )
        found[attr] = spelled[0]
    return replace(columns, **found)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def check_out(path: str | Path) -> None:
    """Refuse an output path that cannot be written before any work is done; the error
    names the path itself, not the temporary file beside it."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(21, "is a directory", str(target))
    if not target.parent.is_dir():
        raise FileNotFoundError(2, "no such folder", str(target))


#: What Excel and WPS take as the start of a formula in a CSV cell (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as written: numbers as `_fmt` gives them; text that Excel or WPS would run
    as a formula behind an apostrophe, so it opens as text (the apostrophe shows). The
    ids and names come from the screened file, i.e. from the bidders: a firm named
    '=HYPERLINK("http://…","详情")' or '@SUM(…)' would run on the supervisor's machine.
    A workbook (.xlsx) needs no mark: its text cells are text (`xlsx_table`)."""
    if isinstance(value, float) or value is None:
        return _fmt(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """UTF-8 with a BOM: Excel and WPS on Chinese Windows read a CSV without one as GBK
    and garble every Chinese tender id and firm name; csv and pandas readers drop it.
    Text that would start a formula is guarded (`csv_cell`).
    A name ending in .xlsx gets a workbook instead (CSV text there Excel refuses to open)."""
    check_out(path)
    if str(path).lower().endswith(".xlsx"):
        xlsx_table.write_sheet(path, columns, rows)
        return
    tmp = Path(f"{path}.tmp-{os.getpid()}")
    with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_cell(r[c]) for c in columns])
    tmp.replace(path)


def say(key: str, **params) -> None:
    print(t(key, **params), file=sys.stderr)
