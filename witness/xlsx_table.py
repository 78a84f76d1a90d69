"""Excel workbooks as tables: read a sheet as rows of text, write rows as a sheet.

A centre keeps its historical tenders in Excel. `witness screen` read an .xlsx as if it
were a GBK CSV and listed its zip bytes as the 'columns' it found; and `--out result.xlsx`
wrote CSV text into a file Excel then refused to open. Cells are read as the text a CSV
export would hold (so the amounts, flags and dates parse as they do from a CSV), and
written as numbers where they are numbers. openpyxl, already used for bills of
quantities, streams both ways (read_only / write_only).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

ZIP = b"PK\x03\x04"
#: An old binary Excel (.xls) or an encrypted Office file: an OLE container.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def kind_of(path: Path) -> str:
    """'xlsx', 'xls' (old binary or encrypted: not readable here) or 'text'."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP):
        return "xlsx"
    return "xls" if head == OLE else "text"


def cell_text(value: Any) -> str:
    """A cell as a CSV export writes it: 100.0 as 100, a date as ISO, TRUE as true."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def sheet_rows(
    path: Path, wanted: str | None = None
) -> tuple[str, list[str], Iterator[dict[str, str]]]:
    """(sheet, header, rows as dicts): the first sheet whose header has a column named
    `wanted` (the first sheet if none has), its first non-empty row as the header."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    headed = []  # (sheet, header) of every sheet that has a non-empty row
    for ws in book.worksheets:
        header = next(
            (r for r in ws.iter_rows(values_only=True) if any(c not in (None, "") for c in r)),
            None,
        )
        if header is not None:
            headed.append((ws.title, [cell_text(c) for c in header]))
    if not headed:
        book.close()
        return "", [], iter(())
    title, names = next(
        (h for h in headed if wanted is not None and wanted in [n.strip() for n in h[1]]),
        headed[0],
    )

    def body() -> Iterator[dict[str, str]]:
        try:
            rows = book[title].iter_rows(values_only=True)
            for r in rows:  # up to and including the header
                if any(c not in (None, "") for c in r):
                    break
            for r in rows:
                yield dict(zip(names, (cell_text(c) for c in r), strict=False))
        finally:
            book.close()

    return title, names, body()


def write_sheet(path: str | Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """The rows as one sheet; numbers stay numbers. Written beside, then moved in place.

    openpyxl makes a string that starts with '=' a formula: a tender or bidder id written
    '=HYPERLINK(…)' would run in Excel. Such a string is written as text."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet()

    def cell(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("="):
            text = WriteOnlyCell(ws, value=value)
            text.data_type = "s"
            return text
        return value

    ws.append([cell(c) for c in columns])
    for r in rows:
        ws.append([cell(r[c]) for c in columns])
    tmp = Path(f"{path}.tmp-{os.getpid()}")
    book.save(tmp)
    tmp.replace(path)
