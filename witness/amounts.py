"""Money amounts as people write them in bid tables and priced bills.

One reader for `witness screen`'s price and reserve cells and the BOQ reader's numbers,
so "1,234.50" means the same in both. Written amounts vary by country and by the
software that exported them:

- grouping: "1,234,567.50", "1.234.567,50" (most of Europe), "1'234'567.50" (Switzerland),
  "1 234 567,50" (France; also with a no-break or thin space);
- a decimal comma alone: "1234,56";
- full-width digits and marks from Chinese input methods ("１２３４．５", "１，２３４");
- a currency sign or code before or after: "¥1,234", "1234元", "CHF 1'234.50", "€ 99".

Grouping is accepted only where it is grouping: groups of exactly three digits after the
first. A lone comma before one or two digits is a decimal comma; a lone dot is always
the decimal point ("1.234" is 1.234, as in every Chinese file). Anything that is
neither ("1,23,4", "12.34.5", "1,234,56", "1,2345") is refused with the reason:
stripping every comma, as the readers once did, turned "1234,56" into 123456 without a
word.
"""

from __future__ import annotations

import math
import re
import unicodedata

from witness.errors import WitnessError
from witness.i18n import register, t

register(
    {
        "amount.empty": ("没有数字", "no number"),
        "amount.not_number": ("不是数字", "not a number"),
        "amount.not_finite": ("不是有限数", "not a finite number"),
        "amount.long_comma": (
            "逗号后有四位以上数字，无法判断是小数点还是分组",
            "four or more digits after a comma: decimal mark or grouping?",
        ),
        "amount.two_decimals": ("有两个小数点", "two decimal marks"),
        "amount.two_groupings": ("用两种符号分组", "digits grouped with two different marks"),
        "amount.not_threes": ("数位没有按三位分组", "digits not grouped in threes"),
    }
)

#: Currency signs and codes allowed before or after the number (after NFKC: ￥ -> ¥).
CURRENCY = ("¥", "$", "€", "£", "元", "円", "CNY", "RMB", "JPY", "USD", "EUR", "CHF", "BRL")
_CODES = "|".join(map(re.escape, CURRENCY))
_CURRENCY = re.compile(rf"^(?:{_CODES})\s*|\s*(?:{_CODES})$", re.IGNORECASE)
#: Characters that group digits and nothing else: spaces of every kind, apostrophes.
_GROUP_ONLY = re.compile(r"(?<=\d)[\s\u00a0\u2009\u202f'’](?=\d)")
_FOREIGN = re.compile(r"[^0-9,._eE+-]")  # "1.23E+06": spreadsheets write big cells so
_PLAIN = re.compile(r"(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class AmountError(WitnessError, ValueError):
    """The text is not an amount; the message (in the user's locale) says why, and
    `key` which reason it is."""

    def __init__(self, key: str) -> None:
        super().__init__(t(f"amount.{key}"))
        self.key = key


def parse_amount(raw: str) -> float:
    """The amount `raw` writes; AmountError when it writes none or an ambiguous one.

    Empty text is an AmountError too: callers that allow empty cells check first.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    sign = ""
    if text[:1] and text[0] in "+-":
        sign, text = text[0], text[1:].lstrip()  # "-¥12" as well as "¥-12"
    text = _CURRENCY.sub("", text).strip()
    if not sign and text[:1] and text[0] in "+-":
        sign, text = text[0], text[1:].lstrip()
    if not text:
        raise AmountError("empty")
    grouped = _GROUP_ONLY.sub("_", text)
    if _FOREIGN.search(grouped) or ("e" in grouped.lower() and ("," in grouped or "_" in grouped)):
        raise AmountError("not_number")  # an exponent only in the plain "1.23E+06" form
    number = _normalise_separators(grouped)
    if not _PLAIN.fullmatch(number):
        raise AmountError("not_number")
    value = float(sign + number)
    if not math.isfinite(value):
        raise AmountError("not_finite")
    return value


def _normalise_separators(text: str) -> str:
    """'1,234.5' / '1.234,5' / '1_234,5' / '1234,5' -> '1234.5'; refuse bad grouping.

    "_" stands for a space or apostrophe between digits: always grouping. Of "," and ".",
    the last one written is the decimal mark when both appear; alone, "." is the
    decimal mark unless it appears more than once; a lone "," is the decimal mark before
    one or two digits, grouping before three ("1,234" is a thousand), and refused
    before more (a decimal comma, or digits grouped in fours, 万 by 万?).
    """
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas == 1 and len(text.rpartition(",")[2]) > 3:
        raise AmountError("long_comma")
    elif commas:
        decimal = "," if commas == 1 and len(text.rpartition(",")[2]) < 3 else None
    elif dots:
        decimal = "." if dots == 1 else None
    else:
        decimal = None
    integer, fraction = text.rsplit(decimal, 1) if decimal else (text, None)
    if decimal and decimal in integer:
        raise AmountError("two_decimals")
    marks = {c for c in integer if c in ",._"}
    if len(marks) > 1:
        raise AmountError("two_groupings")
    if marks:
        groups = integer.split(marks.pop())
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise AmountError("not_threes")
        integer = "".join(groups)
    return integer if fraction is None else f"{integer}.{fraction}"
