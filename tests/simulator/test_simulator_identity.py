"""Check digits of 统一社会信用代码 (GB 32100-2015) and 身份证 (GB 11643-1999)."""

from __future__ import annotations

import random

import pytest

from witness.simulator.identity import (
    id_check_char,
    is_valid_id_no,
    is_valid_uscc,
    make_id_no,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
)

# Published, real-world valid codes (business licences and the GB 11643 standard's example).
KNOWN_USCC = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]
KNOWN_ID = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("code", KNOWN_USCC)
def test_known_credit_codes_validate(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code)


@pytest.mark.parametrize("id_no", KNOWN_ID)
def test_known_id_numbers_validate(id_no: str) -> None:
    assert id_check_char(id_no[:17]) == id_no[17]
    assert is_valid_id_no(id_no)


def test_org_code_check_digit_known_value() -> None:
    # 组织机构代码 D2143569-X is the textbook example of GB 11714 (check 'X').
    assert org_code_check_char("D2143569") == "X"


def test_generated_codes_are_valid_and_corruption_is_caught() -> None:
    rng = random.Random(3)
    for _ in range(300):
        code = make_uscc(rng, "320102")
        assert is_valid_uscc(code), code
        assert code.startswith("91320102")
        bad = code[:17] + ("0" if code[17] != "0" else "1")
        assert not is_valid_uscc(bad)
        id_no = make_id_no(rng, "320102")
        assert is_valid_id_no(id_no), id_no
        bad_id = id_no[:17] + ("0" if id_no[17] != "0" else "1")
        assert not is_valid_id_no(bad_id)


def test_invalid_shapes_rejected() -> None:
    assert not is_valid_uscc("91350100M000100Y4")  # 17 chars
    assert not is_valid_uscc("91350100M000100I43")  # I is not in the alphabet
    assert not is_valid_id_no("110105194913310021")  # month 13
