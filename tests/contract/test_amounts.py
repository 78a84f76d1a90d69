"""Amounts as bid tables and priced bills write them (`witness.amounts`).

The readers used to strip every comma, so a decimal comma ("1234,56", Europe) became
123456 and "1.234,50" became 1.2345 without a word. Each convention here is written by
hand and by hypothesis from the same value, and must read back as that value; text that
is no amount, or an ambiguous one, is refused with a reason and never misread.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witness.amounts import AmountError, parse_amount
from witness.errors import WitnessError

READ = [
    ("1234.5", 1234.5),
    ("1,234.50", 1234.5),
    ("1.234,50", 1234.5),
    ("1'234'567.50", 1234567.5),
    ("1’234.5", 1234.5),
    ("1 234 567,50", 1234567.5),
    ("1\u00a0234,5", 1234.5),
    ("1\u202f234,5", 1234.5),
    ("1234,56", 1234.56),
    ("0,5", 0.5),
    ("１２３４．５", 1234.5),
    ("１，２３４，５６７", 1234567.0),
    ("￥1,234", 1234.0),
    ("¥ 1,234.00", 1234.0),
    ("1234元", 1234.0),
    ("1234 円", 1234.0),
    ("CHF 1'234.50", 1234.5),
    ("€ 99", 99.0),
    ("USD 12.5", 12.5),
    ("rmb 7", 7.0),
    ("1,234", 1234.0),
    ("1.234.567", 1234567.0),
    ("-12.5", -12.5),
    ("-¥12", -12.0),
    ("1.5e6", 1.5e6),
    ("1.23E+06", 1.23e6),
    (" 42 ", 42.0),
]
REFUSED = [
    ("", "empty"),
    ("¥", "empty"),
    ("abc", "not_number"),
    ("12 万", "not_number"),
    ("nan", "not_number"),
    ("inf", "not_number"),
    ("0x10", "not_number"),
    ("(1,234)", "not_number"),
    ("1e999", "not_finite"),
    ("1,23,4", "not_threes"),
    ("12.34.5", "not_threes"),
    ("1,234,56", "not_threes"),
    ("1234,567", "not_threes"),
    ("1,2345", "long_comma"),
    ("1,234.567,8", "two_decimals"),
    ("1 234.567,8", "two_groupings"),
    ("--5", "not_number"),
    ("1-2", "not_number"),
    ("1e", "not_number"),
    ("1,2e4", "not_number"),
    ("1 2e4", "not_number"),
    ("1,e34", "not_number"),
    ("1.234,5e2", "not_number"),
    ("1,234'567.5", "two_groupings"),
]


@pytest.mark.parametrize(("text", "value"), READ)
def test_every_written_convention_reads_as_its_amount(text: str, value: float) -> None:
    assert parse_amount(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(("text", "key"), REFUSED)
def test_no_amount_or_an_ambiguous_one_is_refused_with_its_reason(text: str, key: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.key == key
    assert isinstance(info.value, WitnessError) and isinstance(info.value, ValueError)


def test_the_reason_is_in_the_users_language(monkeypatch) -> None:
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    with pytest.raises(AmountError, match="三位分组"):
        parse_amount("1,23,4")
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    with pytest.raises(AmountError, match="grouped in threes"):
        parse_amount("1,23,4")


def _grouped(integer: int, mark: str) -> str:
    return f"{integer:,}".replace(",", mark)


#: Conventions as (grouping mark, decimal mark); grouping only where the integer has one.
CONVENTIONS = [
    (",", "."),
    (".", ","),
    ("'", "."),
    (" ", ","),
    ("\u00a0", ","),
    ("", "."),
    ("", ","),
]
CURRENCIES = ["", "¥", "¥ ", "$", "€ ", "CHF "]
SUFFIXES = ["", "元", " 円", " EUR"]


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10**13),
    convention=st.sampled_from(CONVENTIONS),
    prefix=st.sampled_from(CURRENCIES),
    suffix=st.sampled_from(SUFFIXES),
    full_width=st.booleans(),
)
def test_any_amount_written_with_cents_in_any_convention_reads_back(
    cents: int, convention: tuple[str, str], prefix: str, suffix: str, full_width: bool
) -> None:
    group, decimal = convention
    integer, fraction = divmod(cents, 100)
    text = f"{prefix}{_grouped(integer, group)}{decimal}{fraction:02d}{suffix}"
    if full_width:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,."})
    assert Decimal(str(parse_amount(text))) == Decimal(cents) / 100, text


@settings(max_examples=200, deadline=None)
@given(integer=st.integers(min_value=1000, max_value=10**12), mark=st.sampled_from(",'  "))
def test_a_whole_amount_grouped_in_threes_reads_back(integer: int, mark: str) -> None:
    assert parse_amount(_grouped(integer, mark)) == integer


#: Texts shaped like numbers: digit runs joined by marks, an exponent now and then, where
#: a misreading hides (a bare alphabet found "--0"; "1,2e4" read as 12e4 needed this).
NUMBER_LIKE = st.one_of(
    st.from_regex(
        r"\A[-+]?[¥$]?[0-9]{1,4}([,. '][0-9]{1,4}){0,3}([eE][-+]?[0-9]{1,2})?(元| EUR)?\Z",
        fullmatch=True,
    ),
    st.from_regex(r"\A[0-9]{1,3}([,. ][0-9]{1,3}){0,2}([eE][0-9])?\Z", fullmatch=True),
)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from("0123456789,.' -+eE¥元€$ab"), max_size=14), NUMBER_LIKE
    )
)
def test_any_text_is_read_or_refused_never_misread(text: str) -> None:
    """Whatever it is given, the reader returns a number or an AmountError (no other
    exception); a number it returns keeps every digit of the text in order and only
    places the decimal point, and an exponent is read only in the plain form. Where the
    point goes is the convention tests' job above."""
    try:
        value = parse_amount(text)
    except AmountError:
        return
    digits = "".join(c for c in text if c.isdigit())
    assert digits, text
    body = text.strip().removesuffix("元").removesuffix(" EUR").strip().strip("¥$€ ")
    body = body.lstrip("-+").lstrip("¥$€ ")  # a sign sits before or after the currency
    if "e" in body.lower():
        mantissa, _, exponent = body.lower().partition("e")
        assert "," not in body and "'" not in body and " " not in body, (text, value)
        digits = "".join(c for c in mantissa if c.isdigit())
        scale = int(exponent)
    else:
        scale = 0
    sign = -1 if text.strip().lstrip("¥元€$ ").startswith("-") else 1
    assert any(
        Decimal(str(value)) == sign * Decimal(int(digits)).scaleb(scale - k)
        for k in range(len(digits) + 1)
    ), (text, value)
