"""Telephone numbers as the register keeps them: a mobile, a landline with its area code, a 400/800 number."""

import pytest
from flask_babel import force_locale

from workflow_app.core.phone import normalise_phone, phone_problem


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("13605361234", "13605361234"),
        ("+86 136 0536 1234", "13605361234"),
        ("１３６０５３６１２３４", "13605361234"),  # full-width, from a Chinese input method
        ("0536-8123456", "0536-8123456"),
        ("(0536)8123456", "0536-8123456"),
        ("0536 81234567", "0536-81234567"),
        ("010-62345678", "010-62345678"),
        ("0536-8123456-801", "0536-8123456-801"),
        ("0536-8123456转801", "0536-8123456-801"),
        ("400-123-4567", "400-123-4567"),
        ("8001234567", "800-123-4567"),
    ],
)
def test_a_number_is_kept_as_the_register_writes_it(typed, kept):
    assert normalise_phone(typed) == kept and phone_problem(typed) is None


@pytest.mark.parametrize(
    "typed", ["12812345678", "1360536123", "8123456", "0536-0123456", "536-8123456", "136053612345", "电话", ""]
)
def test_what_is_no_number_is_refused_saying_what_is_asked(typed):
    with force_locale("en"):
        assert phone_problem(typed) == (
            "Give a mobile number (11 digits starting with 1) or a landline with its area code, such as 0536-8123456"
        )
