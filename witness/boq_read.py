"""Priced bills of quantities from XLSX (openpyxl) or CSV, for `boq.submitted` events.

Real exports of pricing software (广联达, 斯维尔, 品茗 ...) put title rows above the
table (工程名称、标段、第 1 页), a two-row header (金额（元） over 综合单价 / 合价 /
其中：暂估价), section rows without a code (分部 headings), subtotal rows (本页小计, 合计)
and often several sheets (分部分项, 单价措施, 总价措施, 其他项目). So every sheet is
searched for a header row naming 项目编码 and the other usual columns; rows with a code
are items, everything else is skipped. `--columns` names the columns instead, by header
text, letter or number. Codes stored as numbers by Excel lose their leading zero
(010101001001 -> 10101001001): an 11-digit number code gets it back.

Bad cells are collected, each naming sheet, row and column, and reported together; no
partial bill is ever produced (a bill missing rows would mislead every BOQ rule).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness import csv_text, xlsx_table
from witness.amounts import AmountError, parse_amount
from witness.errors import WitnessError, os_reason
from witness.i18n import register, t

FIELDS = ("code", "name", "unit", "quantity", "unit_price", "total")
COMPONENT_FIELDS = ("labour", "material", "machine", "management", "profit")
NUMERIC = ("quantity", "unit_price", "total", *COMPONENT_FIELDS)
#: Header texts per field, compared after normalising (no spaces, brackets, 其中).
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("项目编码", "清单编码", "编码", "项目编号", "code"),
    "name": ("项目名称", "清单名称", "名称", "name"),
    "unit": ("计量单位", "单位", "unit"),
    "quantity": ("工程量", "工程数量", "数量", "quantity"),
    "unit_price": ("综合单价", "单价", "unitprice", "unit_price"),
    "total": ("合价", "综合合价", "合计金额", "total"),
    "labour": ("人工费", "labour"),
    "material": ("材料费", "material"),
    "machine": ("机械费", "施工机具使用费", "机械使用费", "machine"),
    "management": ("管理费", "企业管理费", "management"),
    "profit": ("利润", "profit"),
}
SOFTWARE_LABELS = {
    "lock_id": ("加密锁号", "加密锁", "锁号"),
    "machine_code": ("机器码", "机器识别码", "硬件特征码"),
    "name": ("计价软件", "软件名称"),
    "version": ("软件版本", "版本号"),
}
HEADER_SCAN_ROWS = 40
MAX_PROBLEMS = 20
MAX_FILE_BYTES = 100 * 1024 * 1024
_BRACKETS = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")

register(
    {
        "boq_read.not_number": (
            "工作表「{sheet}」第 {row} 行 {column} 列（{header}）：{value!r} 不是数字{why}",
            "sheet {sheet!r}, row {row}, column {column} ({header}): {value!r} is not a number{why}",
        ),
        "boq_read.why": ("（{why}）", " ({why})"),
        "boq_read.negative": (
            "工作表「{sheet}」第 {row} 行 {column} 列（{header}）：{value!r} 不能为负数",
            "sheet {sheet!r}, row {row}, column {column} ({header}): {value!r} cannot be negative",
        ),
        "boq_read.long_code": (
            "工作表「{sheet}」第 {row} 行 {column} 列（{header}）：项目编码过长（{value!r}）",
            "sheet {sheet!r}, row {row}, column {column} ({header}): item code too long ({value!r})",
        ),
        "boq_read.no_header": (
            "未找到表头：没有工作表在前 {rows} 行内同时含有「项目编码」与「综合单价」或「工程量」列"
            "（已查看：{sheets}）；请用 --columns 指定列，例如 --columns code=A,name=B,unit=D,quantity=E,unit_price=F,total=G",
            "no header found: no sheet has a row naming 项目编码 together with 综合单价 or 工程量 "
            "in its first {rows} rows (looked at: {sheets}); name the columns with --columns, e.g. "
            "--columns code=A,name=B,unit=D,quantity=E,unit_price=F,total=G",
        ),
        "boq_read.no_items": (
            "表头已找到（{sheets}），但没有一行带项目编码",
            "header found ({sheets}) but no row has an item code",
        ),
        "boq_read.bad_columns": (
            "--columns 无法理解：{reason}",
            "--columns not understood: {reason}",
        ),
        "boq_read.missing_column": (
            "--columns 指定的列「{header}」（{field}）在任何工作表的表头中都找不到",
            "--columns names {header!r} ({field}), which no sheet's header row has",
        ),
        "boq_read.more": ("…… 另有 {n} 处错误", "... and {n} more problems"),
        "boq_read.old_xls": (
            "是旧版 Excel（.xls）或加密文件：请另存为 .xlsx 或 CSV",
            "an old Excel (.xls) or encrypted file: save it as .xlsx or CSV",
        ),
        "boq_read.too_big": (
            "超过 {mb} MB，不像是一份清单",
            "over {mb} MB: not a bill of quantities",
        ),
    }
)


class BoqReadError(WitnessError, ValueError):
    """The file cannot become a bill; `problems` are ready-made lines for a person."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(t("boq_read.more", n=len(problems) - MAX_PROBLEMS))
        super().__init__("\n".join(shown))


@dataclass
class ReadBill:
    items: list[dict[str, Any]]
    software: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, int] = field(default_factory=dict)  # sheet -> items read
    sha256: str = ""
    kind: str = "xlsx"


def norm_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = _BRACKETS.sub("", text)
    text = "".join(text.split()).replace("其中:", "").replace("其中", "")
    return text.casefold()


_ALIASES = {norm_header(a): f for f, names in HEADERS.items() for a in names}


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(text: str) -> int | None:
    if re.fullmatch(r"[A-Za-z]{1,3}", text):
        n = 0
        for ch in text.upper():
            n = n * 26 + ord(ch) - 64
        return n - 1
    if re.fullmatch(r"\d{1,4}", text):
        return int(text) - 1 if int(text) >= 1 else None
    return None


def parse_columns(spec: str) -> dict[str, str]:
    """`code=A,unit_price=综合单价` -> {field: letter, number or header text}."""
    out: dict[str, str] = {}
    known = (*FIELDS, *COMPONENT_FIELDS)
    for part in filter(None, (p.strip() for p in re.split(r"[,，]", spec))):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise BoqReadError([t("boq_read.bad_columns", reason=f"{part!r}: use FIELD=COLUMN")])
        if name not in known:
            reason = f"{name!r}: fields are {', '.join(known)}"
            raise BoqReadError([t("boq_read.bad_columns", reason=reason)])
        out[name] = value
    if "code" not in out:
        raise BoqReadError([t("boq_read.bad_columns", reason="code=COLUMN is required")])
    return out


# ---------------------------------------------------------------- sheets


def _xlsx_sheets(data: bytes) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for ws in book.worksheets:
            yield ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_sheet(data: bytes, name: str) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    text = csv_text.decode(data)  # UTF-8, GBK as Excel on Chinese Windows saves it, UTF-16
    dialect, text = csv_text.table_text(text)
    yield name, [tuple(r) for r in csv.reader(io.StringIO(text), dialect)]


Layout = tuple[int, dict[str, int], dict[str, str]]  # last header row, columns, labels


def _labelled(row: tuple[Any, ...]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for c, cell in enumerate(row):
        f = _ALIASES.get(norm_header(cell))
        if f and f not in found:
            found[f] = (c, str(cell).strip())
    return found


def _header_map(rows: list[tuple[Any, ...]]) -> Layout | None:
    """The header: the first row naming 项目编码 and 综合单价 or 工程量 (or the row under it)."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = _labelled(row)
        if "code" not in found:
            continue
        last = i
        if i + 1 < len(rows):  # a second header row under merged cells (金额 -> 综合单价 / 合价)
            below = _labelled(rows[i + 1])
            if below and "code" not in below:
                found = {**found, **below}
                last = i + 1
        if "unit_price" in found or "quantity" in found:
            return (
                last,
                {f: c for f, (c, _) in found.items()},
                {f: label for f, (_, label) in found.items()},
            )
    return None


def _named_columns(rows: list[tuple[Any, ...]], spec: dict[str, str]) -> Layout | None:
    """Columns from --columns: letters/numbers directly, header texts by search."""
    cols: dict[str, int] = {}
    texts = {f: v for f, v in spec.items() if _column_index(v) is None}
    for f, v in spec.items():
        idx = _column_index(v)
        if idx is not None:
            cols[f] = idx
    labels = {f: f for f in spec}
    if not texts:
        return -1, cols, labels
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        at = {norm_header(cell): c for c, cell in enumerate(row)}
        hits = {f: at[norm_header(v)] for f, v in texts.items() if norm_header(v) in at}
        if len(hits) == len(texts):
            return i, {**cols, **hits}, {**labels, **texts}
    return None


# ---------------------------------------------------------------- cells


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""
    if isinstance(value, int) and len(text) == 11:  # Excel dropped the leading zero
        text = "0" + text
    return text


def _number(value: Any) -> float | None | AmountError:
    """A float, None for an empty cell, or why the cell is no number (`witness.amounts`:
    grouping and a decimal comma read, ambiguous grouping refused)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else AmountError("not_finite")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text in ("", "-", "—", "--", "/", "无"):
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        return exc


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _is_item(code: str) -> bool:
    """Item codes are digits and letters (010101001001, 01B001); titles, sections
    (A.1 土石方工程), header rows and 合计 lines have Chinese in that column."""
    return len(code) >= 2 and not _CJK.search(code) and " " not in code


def _items(
    sheet: str,
    rows: list[tuple[Any, ...]],
    start: int,
    cols: dict[str, int],
    headers: dict[str, str],
    problems: list[str],
) -> list[dict[str, Any]]:
    out = []

    def cell(row: tuple[Any, ...], f: str) -> Any:
        c = cols.get(f)
        return row[c] if c is not None and c < len(row) else None

    for r in range(start + 1, len(rows)):
        row = rows[r]
        code = _code(cell(row, "code"))
        if not _is_item(code):
            continue
        where = {"sheet": sheet, "row": r + 1}
        item: dict[str, Any] = {"code": code}
        if len(code) > 64:
            problems.append(
                t(
                    "boq_read.long_code",
                    column=column_letter(cols["code"]),
                    header=headers["code"],
                    value=code[:80],
                    **where,
                )
            )
            continue
        for f in ("name", "unit"):
            v = cell(row, f)
            if v is not None and str(v).strip():
                item[f] = str(v).strip()
        comps: dict[str, float] = {}
        for f in NUMERIC:
            if f not in cols:
                continue
            raw = cell(row, f)
            v = _number(raw)
            info = {"column": column_letter(cols[f]), "header": headers[f], "value": raw, **where}
            if isinstance(v, AmountError):
                why = "" if v.key in ("empty", "not_number") else t("boq_read.why", why=v)
                problems.append(t("boq_read.not_number", why=why, **info))
            elif v is not None and v < 0:
                problems.append(t("boq_read.negative", **info))
            elif v is not None:
                (comps if f in COMPONENT_FIELDS else item)[f] = v
        if comps:
            item["components"] = comps
        out.append(item)
    return out


def _software(rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """Labelled cells such as 加密锁号：XXXX (value after the colon or in the next cell)."""
    found: dict[str, str] = {}
    for row in rows[:HEADER_SCAN_ROWS] + rows[-10:]:
        cells = [str(c).strip() if c is not None else "" for c in row]
        for c, text in enumerate(cells):
            for key, labels in SOFTWARE_LABELS.items():
                if key in found:
                    continue
                for label in labels:
                    m = re.search(re.escape(label) + r"\s*[:：]\s*(\S+)", text)
                    if m:
                        found[key] = m.group(1)
                    elif norm_header(text) == norm_header(label):
                        nxt = next((x for x in cells[c + 1 :] if x), "")
                        if nxt:
                            found[key] = nxt
                    if key in found:
                        break
    return found


def read_rows(
    sheets: Iterable[tuple[str, list[tuple[Any, ...]]]], columns: dict[str, str] | None = None
) -> ReadBill:
    """Items from every sheet that has a header (or the --columns layout)."""
    problems: list[str] = []
    items: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    software: dict[str, str] = {}
    seen_sheets = []
    matched = False
    for name, rows in sheets:
        seen_sheets.append(name)
        for k, v in _software(rows).items():
            software.setdefault(k, v)
        layout = _named_columns(rows, columns) if columns else _header_map(rows)
        if layout is None:
            continue
        matched = True
        start, cols, headers = layout
        got = _items(name, rows, start, cols, headers, problems)
        if got:
            counts[name] = len(got)
            items.extend(got)
    listed = "、".join(seen_sheets) or "-"
    if not matched:
        if columns and any(_column_index(v) is None for v in columns.values()):
            f, v = next((f, v) for f, v in columns.items() if _column_index(v) is None)
            raise BoqReadError([t("boq_read.missing_column", header=v, field=f)])
        raise BoqReadError([t("boq_read.no_header", rows=HEADER_SCAN_ROWS, sheets=listed)])
    if problems:
        raise BoqReadError(problems)
    if not items:
        raise BoqReadError([t("boq_read.no_items", sheets=listed)])
    return ReadBill(items=items, software=software, sheets=counts)


def read_file(path: str | Path, columns: dict[str, str] | None = None) -> ReadBill:
    """A bill from an .xlsx or .csv file (the type is read from the content)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BoqReadError([t("boq_read.too_big", mb=MAX_FILE_BYTES // 2**20)])
        data = p.read_bytes()
    except OSError as exc:
        raise BoqReadError([os_reason(exc)]) from None
    if data.startswith(xlsx_table.OLE):
        raise BoqReadError([t("boq_read.old_xls")])
    kind = "xlsx" if data.startswith(xlsx_table.ZIP) else "csv"
    try:
        sheets = _xlsx_sheets(data) if kind == "xlsx" else _csv_sheet(data, p.name)
        bill = read_rows(sheets, columns)
    except BoqReadError:
        raise
    except Exception as exc:  # a corrupt zip, a broken sheet: say so, never a traceback
        raise BoqReadError([str(exc) or type(exc).__name__]) from None
    bill.sha256 = hashlib.sha256(data).hexdigest()
    bill.kind = kind
    return bill
