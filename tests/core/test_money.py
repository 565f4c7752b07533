"""Amounts typed in yuan: one function reads them; finite, within MAX_YUAN, whole fen, or refused with a reason."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow_app.core.money import MAX_YUAN, AmountError, parse_yuan, yuan_to_fen

# what a security probe typed into the amount fields (issue 27), and plain typing mistakes
BAD_AMOUNTS = {
    "Infinity": "in digits", "-Infinity": "in digits", "inf": "in digits", "NaN": "in digits", "sNaN": "in digits",
    "1E+400": "at most 9,999,999,999,999.99", "1e30": "at most", "1" * 29: "at most",
    "99999999999999999999999.99": "at most", "10000000000000": "at most", "-10000000000000": "at most",
    "1.234": "two decimals", "0.001": "two decimals", "abc": "in digits", "1,000": "in digits", "12 元": "in digits",
}


@pytest.mark.parametrize("typed, reason", BAD_AMOUNTS.items())
def test_what_is_no_amount_is_refused_with_its_reason(typed, reason):
    with pytest.raises(AmountError) as refused:
        parse_yuan(typed)
    assert reason in str(refused.value.message)


@pytest.mark.parametrize("typed, amount", [
    ("12000.50", Decimal("12000.50")), (" 300 ", Decimal("300.00")), ("1E+2", Decimal("100.00")),
    ("9999999999999.99", MAX_YUAN), ("0.010", Decimal("0.01")), (7, Decimal("7.00")), (Decimal("1.5"), Decimal("1.50")),
    ("", None), ("   ", None), (None, None),
])
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
