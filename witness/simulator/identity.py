"""Chinese identifiers with valid check digits: 统一社会信用代码 and 居民身份证号码.

A detector that compares credit codes, or a reviewer who pastes one into a public
lookup, must see well-formed numbers: GB 32100-2015 (credit code, including the
embedded GB 11714 organisation code) and GB 11643-1999 (citizen id).
"""

from __future__ import annotations

import random
from datetime import date

#: GB 32100-2015 alphabet: digits and capitals without I, O, S, V, Z.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def uscc_check_char(body17: str) -> str:
    """The 18th character of a credit code (GB 32100-2015 §4.3)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """Check character of the 9-character organisation code (GB 11714-1997)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code):
        return False
    org = code[8:17]
    return org_code_check_char(org[:8]) == org[8] and uscc_check_char(code[:17]) == code[17]


def make_uscc(
    rng: random.Random, division: str, *, authority: str = "9", category: str = "1"
) -> str:
    """A valid credit code: authority (9 = 市场监管), category (1 = 企业), division, org code."""
    # Firms registered since 2015 get "MA..." codes; older ones keep their 8-digit 组织机构代码.
    if rng.random() < 0.5:
        body8 = "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
    else:
        body8 = "".join(rng.choice("0123456789") for _ in range(8))
    org = body8 + org_code_check_char(body8)  # the check char ('0'-'9' or 'X') is in the alphabet
    body17 = authority + category + division + org
    return body17 + uscc_check_char(body17)


def id_check_char(body17: str) -> str:
    """The 18th character of a citizen id number (GB 11643-1999)."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_no(id_no: str) -> bool:
    if len(id_no) != 18 or not id_no[:17].isdigit():
        return False
    try:
        date(int(id_no[6:10]), int(id_no[10:12]), int(id_no[12:14]))
    except ValueError:
        return False
    return id_check_char(id_no[:17]) == id_no[17]


def make_id_no(
    rng: random.Random, division: str, *, born_from: int = 1960, born_to: int = 1995
) -> str:
    """A valid 18-digit 身份证 number: area, birth date, sequence (odd = male), check."""
    year = rng.randint(born_from, born_to)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    seq = rng.randint(1, 999)
    body = f"{division}{year:04d}{month:02d}{day:02d}{seq:03d}"
    return body + id_check_char(body)
