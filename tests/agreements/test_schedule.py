"""The schedule builder, by example and by property."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow_app.agreements.schedule import ScheduleError, build_schedule, calendar_working_day

DEADLINE = date(2023, 12, 31)


def test_example_from_the_notice_period():
    schedule = build_schedule(1_000_000, 3, date(2023, 9, 30), DEADLINE)
    assert [(i.seq, i.due_date, i.amount_fen) for i in schedule] == [
        (1, date(2023, 9, 30), 333_334),
        (2, date(2023, 10, 30), 333_333),
        (3, date(2023, 11, 30), 333_333),
    ]


def test_month_ends_are_clamped():
    schedule = build_schedule(400, 4, date(2023, 8, 31), DEADLINE)
    assert [i.due_date for i in schedule] == [
        date(2023, 8, 31),
        date(2023, 9, 30),
        date(2023, 10, 31),
        date(2023, 11, 30),
    ]


def test_due_dates_on_days_off_move_to_the_next_working_day(app):
    """2023's National Day week (09-29 to 10-06) with its 调休 Saturday 10-07, weekends, and New Year's Day."""
    schedule = build_schedule(300, 3, date(2023, 9, 30), DEADLINE, calendar_working_day())
    assert [i.due_date for i in schedule] == [date(2023, 10, 7), date(2023, 10, 30), date(2023, 11, 30)]
    schedule = build_schedule(
        300, 3, date(2023, 8, 26), DEADLINE, calendar_working_day()
    )  # Saturday, then working days
    assert [i.due_date for i in schedule] == [date(2023, 8, 28), date(2023, 9, 26), date(2023, 10, 26)]
    from flask_babel import force_locale

    with force_locale("en"):
        with pytest.raises(ScheduleError) as refused:  # 12-30 is a Saturday, 2024-01-01 a holiday
            build_schedule(400, 4, date(2023, 9, 30), DEADLINE, calendar_working_day())
        assert "(2023-12-30) is no working day and moves to 2024-01-02" in str(refused.value)
        assert "at most 3 fit" in str(refused.value)


@pytest.mark.parametrize(
    "total, count, first, message",
    [
        (0, 1, date(2023, 9, 1), "positive"),
        (-5, 1, date(2023, 9, 1), "positive"),
        (2**63, 3, date(2023, 9, 1), "more than an agreement can record"),
        (100, 0, date(2023, 9, 1), "at least one"),
        (3, 4, date(2023, 9, 1), "empty"),
        (100, 1, date(2024, 1, 1), "after the policy deadline"),
        (100, 6, date(2023, 9, 1), "at most 4 fit"),
    ],
)
def test_impossible_schedules_are_refused_with_the_reason(app, total, count, first, message):
    from flask_babel import force_locale

    with force_locale("en"):
        with pytest.raises(ScheduleError) as refused:
            build_schedule(total, count, first, DEADLINE)
        assert message in str(refused.value)


days = st.dates(min_value=date(2023, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=-10, max_value=10**11),
    count=st.integers(min_value=-2, max_value=40),
    first=days,
    span=st.integers(min_value=-60, max_value=1500),
)
def test_any_total_and_count_sum_exactly_within_the_deadline_or_are_refused(total, count, first, span):
    deadline = first + timedelta(days=span)
    try:
        schedule = build_schedule(total, count, first, deadline)
    except ScheduleError:
        fits = sum(1 for k in range(max(count, 0)) if _add(first, k) <= deadline)
        assert total <= 0 or count < 1 or count > total or fits < count
        return
    assert len(schedule) == count
    assert sum(i.amount_fen for i in schedule) == total
    assert all(i.amount_fen > 0 for i in schedule)
    assert max(i.amount_fen for i in schedule) - min(i.amount_fen for i in schedule) <= 1
    assert all(i.due_date <= deadline for i in schedule)
    assert [i.due_date for i in schedule] == sorted(i.due_date for i in schedule)
    assert [i.seq for i in schedule] == list(range(1, count + 1))


def _add(day, k):
    from workflow_app.core.dates import add_months

    return add_months(day, k)
