"""CSV files as centres save them: UTF-8, GBK or UTF-16, comma, semicolon or tab.

Excel on Chinese Windows saves "CSV" in GBK (code page 936); on a European one it
separates cells with semicolons; its "Unicode Text" (Unicode 文本) is UTF-16 with a
byte-order mark and tabs, as is what Windows PowerShell 5 redirects. `witness screen`
read only UTF-8 and died with a traceback on the first; the BOQ reader handled both.
Both now use this module.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

#: Tried in order: UTF-8 (a BOM is dropped), then GB18030, the superset of GBK and GB2312
#: that decodes every file Excel writes in code page 936.
UTF8, CHINESE = "utf-8-sig", "gb18030"
#: A file opening with a UTF-16 byte-order mark (either order) is UTF-16 whole.
UTF16 = "utf-16"
#: Cell separators a header line may use.
DELIMITERS = ",;\t|"
_CHUNK = 1 << 20


def _utf16_marked(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def file_encoding(path: Path) -> str:
    """UTF16 when the file opens with its mark, UTF8 when the whole file decodes as
    UTF-8, else CHINESE (one streaming pass)."""
    decoder = codecs.getincrementaldecoder(UTF8)()
    try:
        with path.open("rb") as fh:
            if _utf16_marked(fh.read(2)):
                return UTF16
            fh.seek(0)
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return CHINESE
    return UTF8


def decode(data: bytes) -> str:
    """The text of a file held in memory, by the same rule as `file_encoding` (CSV files,
    and the TOML files an officer edits: thresholds, cameras)."""
    if _utf16_marked(data):
        return data.decode(UTF16, errors="replace")
    try:
        return data.decode(UTF8)
    except UnicodeDecodeError:
        return data.decode(CHINESE, errors="replace")


def sep_line(line: str) -> str | None:
    """The separator a first line `sep=;` names (Excel's own hint, which European users
    add so Excel splits the file), else None; the line is no data."""
    text = line.removeprefix("\ufeff").rstrip("\r\n")
    if len(text) == 5 and text.lower().startswith("sep="):
        named = text[4]
        if named not in "\"'\r\n " and not named.isalnum():
            return named
    return None


def delimited(delimiter: str) -> type[csv.Dialect] | csv.Dialect:
    """Excel's quoting with this separator."""
    if delimiter == ",":
        return csv.excel
    return type("Sniffed", (csv.excel,), {"delimiter": delimiter})


def dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    """The file's dialect from its first lines: the separator the header line (the first
    line with any) uses most, comma on a tie or when none does; quoting as Excel writes
    it. The header decides because its names hold no decimal commas: "tender;price"
    over "T1;1234,5" is a semicolon file."""
    lines = sample.splitlines()
    header = next((ln for ln in lines if any(d in ln for d in DELIMITERS)), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return delimited(best if counts[best] else ",")


def table_text(text: str) -> tuple[type[csv.Dialect] | csv.Dialect, str]:
    """The dialect of a whole CSV text and the text its rows are in: a `sep=` first line
    decides the separator and is taken off, else the header line decides."""
    first, _, rest = text.partition("\n")
    named = sep_line(first)
    if named is not None:
        return delimited(named), rest
    return dialect(text[: 1 << 16]), text
