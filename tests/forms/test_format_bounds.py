"""formatMinimum and formatMaximum: a model bounds a date, a date and time or an amount of yuan (issue 30.12: a deferral
of 99,999,999,999.00 元 ending 1900-01-01 was accepted); a bound beside no such format, or no value of it, is refused
at deploy."""

import pytest
from flask_babel import force_locale

from forms.schema_forms import SchemaForm, schema_problems

BOUNDED = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "title": "缓缴金额", "format": "money-yuan", "formatMaximum": "1000000000"},
        "floor": {"type": "string", "title": "最低金额", "format": "money-yuan", "formatMinimum": "0.01"},
        "ended": {"type": "string", "title": "期满日期", "format": "date", "formatMinimum": "2020-01-01"},
        "until": {"type": "string", "title": "截止日期", "format": "date", "formatMaximum": "2030-12-31"},
        "at": {
            "type": "string",
            "title": "时间",
            "format": "date-time",
            "formatMinimum": "2020-01-01T00:00:00+08:00",
        },
    },
}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("amount", "99999999999.00", "‘缓缴金额’不能超过 1,000,000,000.00 元"),
        ("amount", "1000000000.01", "‘缓缴金额’不能超过 1,000,000,000.00 元"),
        ("floor", "0", "‘最低金额’不能少于 0.01 元"),
        ("ended", "1900-01-01", "‘期满日期’不能早于 2020-01-01"),
        ("until", "2031-01-01", "‘截止日期’不能晚于 2030-12-31"),
        ("at", "2019-12-31T23:59:59+08:00", "‘时间’不能早于 2020-01-01T00:00:00+08:00"),
    ],
)
def test_a_value_beyond_its_bound_is_refused_naming_the_field_and_the_bound(request_context, field, value, message):
    assert SchemaForm(BOUNDED).validate({field: value}) == {field: message}


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", "1000000000.00"),
        ("floor", "0.01"),
        ("ended", "2020-01-01"),
        ("until", "2030-12-31"),
        ("at", "2020-01-01T00:00:00+08:00"),
    ],
)
def test_the_bound_itself_is_accepted(request_context, field, value):
    assert SchemaForm(BOUNDED).validate({field: value}) == {}


def test_a_value_not_of_the_format_gets_the_formats_message_alone(request_context):
    errors = SchemaForm(BOUNDED).validate({"amount": "十亿", "ended": "2020-13-01"})
    assert (
        set(errors) == {"amount", "ended"} and "不能超过" not in errors["amount"] and "不能早于" not in errors["ended"]
    )


def test_in_english(request_context):
    with force_locale("en"):
        assert SchemaForm(BOUNDED).validate({"amount": "99999999999.00"}) == {
            "amount": "'缓缴金额' must be at most 1,000,000,000.00 yuan"
        }


@pytest.mark.parametrize(
    "field, problem",
    [
        (
            {"type": "string", "formatMaximum": "3"},
            "bad.json#/properties/x/formatMaximum：formatMaximum 只能限定格式为",
        ),
        ({"type": "integer", "formatMinimum": 3}, "bad.json#/properties/x/formatMinimum：formatMinimum 只能限定格式为"),
        ({"type": "string", "format": "email", "formatMaximum": "z"}, "formatMaximum 只能限定格式为"),
        ({"type": "string", "format": "date", "formatMinimum": "2020-02-30"}, "界限“2020-02-30”不是格式 date 的值"),
        ({"type": "string", "format": "money-yuan", "formatMaximum": "1e9"}, "界限“1e9”不是格式 money-yuan 的值"),
    ],
)
def test_a_bound_that_means_nothing_is_refused_at_deploy(request_context, field, problem):
    problems = schema_problems("bad.json", {"type": "object", "properties": {"x": field}})
    assert len(problems) == 1 and problem in problems[0]
