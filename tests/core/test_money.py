"""Amounts typed in yuan: one function reads them; finite, within MAX_YUAN, whole fen, or refused with a reason."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow_app.core.money import MAX_YUAN, AmountError, amount_in_capitals, parse_yuan, yuan_to_fen

# what a security probe typed into the amount fields (issue 27), and plain typing mistakes
BAD_AMOUNTS = {
    "Infinity": "in digits",
    "-Infinity": "in digits",
    "inf": "in digits",
    "NaN": "in digits",
    "sNaN": "in digits",
    "1E+400": "at most 9,999,999,999,999.99",
    "1e30": "at most",
    "1" * 29: "at most",
    "99999999999999999999999.99": "at most",
    "10000000000000": "at most",
    "-10000000000000": "at most",
    "1.234": "two decimals",
    "0.001": "two decimals",
    "abc": "in digits",
    "1,000": "in digits",
    "12 元": "in digits",
}


@pytest.mark.parametrize("typed, reason", BAD_AMOUNTS.items())
def test_what_is_no_amount_is_refused_with_its_reason(typed, reason):
    with pytest.raises(AmountError) as refused:
        parse_yuan(typed)
    assert reason in str(refused.value.message)


@pytest.mark.parametrize(
    "typed, amount",
    [
        ("12000.50", Decimal("12000.50")),
        (" 300 ", Decimal("300.00")),
        ("1E+2", Decimal("100.00")),
        ("9999999999999.99", MAX_YUAN),
        ("0.010", Decimal("0.01")),
        (7, Decimal("7.00")),
        (Decimal("1.5"), Decimal("1.50")),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_amounts_are_read_as_decimals_of_whole_fen(typed, amount):
    assert parse_yuan(typed) == amount
    if amount is not None:
        assert parse_yuan(typed).as_tuple().exponent == -2


def test_a_float_is_refused_as_a_programming_error():
    with pytest.raises(TypeError):
        parse_yuan(0.1)


@given(st.decimals(min_value=-MAX_YUAN, max_value=MAX_YUAN, places=2, allow_nan=False, allow_infinity=False))
def test_every_amount_within_the_bound_reads_back_exactly(amount):
    assert parse_yuan(str(amount)) == amount
    assert yuan_to_fen(str(amount)) == int(amount * 100)


@given(st.one_of(st.text(), st.decimals().map(str), st.integers().map(str), st.floats().map(str)))
def test_any_text_is_an_amount_in_bounds_or_refused_with_a_reason(typed):
    try:
        amount = parse_yuan(typed)
    except AmountError as refused:
        assert str(refused.message)
        return
    assert amount is None or (abs(amount) <= MAX_YUAN and amount == amount.quantize(Decimal("0.01")))


def test_fen_of_the_largest_amount_fit_a_json_double_and_a_bigint():
    assert yuan_to_fen(MAX_YUAN) * 3 < 2**53 < 2**63


@pytest.mark.parametrize(
    "fen, words",
    [
        (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),  # ends in 角: 整
        (1_600, "壹拾陆元整"),  # 10 to 19 yuan begin with 壹拾
        (3_000_000, "叁万元整"),  # zeros at the end: none written
        (1_000_500, "壹万零伍元整"),  # a run of zeros between digits: one 零
        (10_001_000, "壹拾万零壹拾元整"),  # a group below a thousand after a higher group: 零
        (20_000_100_000, "贰亿零壹仟元整"),  # a group of zeros between two others: one 零
        (32_504, "叁佰贰拾伍元零肆分"),  # no 角 but 分: 零 after 元
        (168_032, "壹仟陆佰捌拾元叁角贰分"),
        (10_000_000_000, "壹亿元整"),
        (100_010_000_000_000, "壹万零壹亿元整"),
        (999_999_999_999_999, "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),  # MAX_YUAN
    ],
)
def test_amounts_in_capitals_as_cheques_write_them(fen, words):
    assert amount_in_capitals(fen) == words


@pytest.mark.parametrize("fen", [-1, 1.5, "100", True, None])
def test_only_whole_non_negative_fen_have_capitals(fen):
    with pytest.raises(ValueError):
        amount_in_capitals(fen)
