"""Working-day arithmetic on China's calendar (2026 from the chinese-calendar package's built-in data).

The State Council's 2026 arrangement (国办发明电〔2025〕7号), as chinese-calendar 1.11.0 carries it:
National Day 10-01..10-07 off (with Mid-Autumn 09-25..27 before it), Sunday 09-20 and Saturday 10-10
are working days; Thursday 10-08 is an ordinary working day again.
"""

from datetime import UTC, date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sla.conftest import sh
from workflow_app.core.time import SHANGHAI
from workflow_app.extensions import db
from workflow_app.sla import calendar as cal
from workflow_app.sla.operations import enter_calendar_year

HOUR = timedelta(hours=1)


def test_national_day_2026_is_off_and_the_adjusted_weekend_days_are_working_days(app):
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day)), f"2026-10-0{day} is a National Day holiday"
    assert cal.is_workday(date(2026, 10, 8))  # Thursday after the holiday week
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, 调休
    assert not cal.is_workday(date(2026, 9, 25))  # Friday, Mid-Autumn
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert cal.is_workday(date(2026, 11, 20))  # an ordinary Friday
    assert 2026 in cal.known_years()


def test_three_working_days_after_the_eve_of_national_day(app):
    # Start Wed 2026-09-30 17:00; the start day never counts. 10-01..07 are holidays, so working day
    # 1 is Thu 10-08, 2 is Fri 10-09 and 3 is Sat 10-10 (调休): due at the end of its working hours.
    due = cal.add_working_days(sh("2026-09-30 17:00"), 3)
    assert due == sh("2026-10-10 17:30") and due.tzinfo == UTC
    assert cal.deadline_for(sh("2026-09-30 17:00"), "3wd") == (sh("2026-10-10 17:30"), False)
    # the hour of the start does not matter, nor does starting on a holiday
    assert cal.add_working_days(sh("2026-09-30 08:00"), 1) == sh("2026-10-08 17:30")
    assert cal.add_working_days(sh("2026-10-03 10:00"), 1) == sh("2026-10-08 17:30")


def test_working_hours_skip_lunch_and_night(app):
    friday = "2026-11-20"
    assert cal.add_working_hours(sh(f"{friday} 11:00"), 2) == sh(f"{friday} 14:30")  # 1 h, lunch, 1 h
    assert cal.add_working_hours(sh(f"{friday} 10:00"), 2) == sh(f"{friday} 12:00")  # ends at the period's end
    assert cal.add_working_hours(sh(f"{friday} 12:30"), 1) == sh(f"{friday} 14:30")  # starts after lunch
    # Friday 16:30 + 2 h: 1 h to 17:30, then the weekend, then Monday 09:00 + 1 h
    assert cal.add_working_hours(sh(f"{friday} 16:30"), 2) == sh("2026-11-23 10:00")
    assert cal.add_working_hours(sh("2026-11-23 20:00"), 1) == sh("2026-11-24 10:00")  # overnight start
    assert cal.add_working_hours(sh(f"{friday} 09:00"), 7) == sh(f"{friday} 17:30")  # one working day
    assert cal.add_working_hours(sh(f"{friday} 11:00"), timedelta(minutes=90)) == sh(f"{friday} 14:00")
    # into the National Day week: Wed 09-30 16:30 + 4 h → 1 h on the 30th, 3 h on Thu 10-08
    assert cal.add_working_hours(sh("2026-09-30 16:30"), 4) == sh("2026-10-08 12:00")
    assert cal.deadline_for(sh("2026-09-30 16:30"), "4wh") == (sh("2026-10-08 12:00"), False)


def test_working_time_between(app):
    assert cal.working_time_between(sh("2026-11-20 11:00"), sh("2026-11-20 14:00")) == 1.5 * HOUR
    assert cal.working_time_between(sh("2026-11-20 16:30"), sh("2026-11-23 10:00")) == 2 * HOUR
    assert cal.working_time_between(sh("2026-11-23 10:00"), sh("2026-11-20 16:30")) == -2 * HOUR
    assert cal.working_time_between(sh("2026-10-01 09:00"), sh("2026-10-07 18:00")) == timedelta(0)
    assert cal.working_time_between(sh("2026-11-23 00:00"), sh("2026-11-28 00:00")) == 35 * HOUR
    assert cal.working_day_length() == 7 * HOUR


def test_calendar_days_and_hours_ignore_the_calendar(app):
    assert cal.deadline_for(sh("2026-09-30 17:00"), "2d") == (sh("2026-10-02 17:00"), False)
    assert cal.deadline_for(sh("2026-09-30 17:00"), "2h") == (sh("2026-09-30 19:00"), False)
    assert cal.deadline_for(sh("2026-12-30 10:00"), "30d") == (sh("2027-01-29 10:00"), False)


def test_a_fraction_of_a_working_day_is_that_part_of_its_hours(app):
    # 1 working day after Mon 11-23 10:00 ends Tue 17:30; half a day (3.5 h) more: Wed 09:00-12:00, 13:30-14:00
    assert cal.deadline_for(sh("2026-11-23 10:00"), "1.5wd") == (sh("2026-11-25 14:00"), False)


def test_a_deadline_in_an_unknown_year_counts_weekdays_and_is_provisional(app, builtin_until_2026):
    assert 2027 not in cal.known_years()
    # Wed 2026-12-30 10:00 + 3 wd: Thu 12-31 (1), Fri 2027-01-01 (2: unknown year, a weekday), Mon 01-04 (3)
    assert cal.deadline_for(sh("2026-12-30 10:00"), "3wd") == (sh("2027-01-04 17:30"), True)
    assert cal.deadline_for(sh("2026-12-28 10:00"), "2wd") == (sh("2026-12-30 17:30"), False)
    enter_calendar_year(2027, [date(2027, 1, 1)], [], "provisional", None, "a planning guess")
    db.session.commit()
    # entered, but only provisionally: the holiday counts, the flag stays
    assert cal.deadline_for(sh("2026-12-30 10:00"), "3wd") == (sh("2027-01-05 17:30"), True)
    enter_calendar_year(2027, [date(2027, 1, 1)], [], "official", None, "the notice")
    db.session.commit()
    assert cal.deadline_for(sh("2026-12-30 10:00"), "3wd") == (sh("2027-01-05 17:30"), False)
    assert 2027 in cal.known_years()


def test_an_entered_year_overrides_the_built_in_one(app):
    assert cal.is_workday(date(2026, 10, 8))
    enter_calendar_year(2026, [date(2026, 10, 8)], [date(2026, 10, 10)], "official", None, "a correction")
    db.session.commit()
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 1))  # the stored year replaces the built-in one entirely
    assert cal.is_workday(date(2026, 10, 10))


settings_for_db = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
starts = st.datetimes(
    min_value=sh("2026-01-01 00:00").replace(tzinfo=None), max_value=sh("2026-12-15 00:00").replace(tzinfo=None)
).map(lambda d: d.replace(tzinfo=SHANGHAI))


@settings_for_db
@given(start=starts, n=st.integers(min_value=1, max_value=12))
def test_working_days_land_on_the_end_of_a_working_day_and_grow_with_n(app, start, n):
    calendar = cal.WorkCalendar()
    due = calendar.add_working_days(start, n).astimezone(SHANGHAI)
    assert calendar.is_workday(due.date()) and due.time() == calendar.hours.end
    assert due.date() > start.date()
    later = calendar.add_working_days(start, n + 1).astimezone(SHANGHAI)
    assert later > due and calendar.working_time_between(due, later) == calendar.hours.day_length


@settings_for_db
@given(start=starts, minutes=st.integers(min_value=1, max_value=60 * 7 * 10))
def test_adding_working_time_and_measuring_it_agree(app, start, minutes):
    calendar = cal.WorkCalendar()
    amount = timedelta(minutes=minutes)
    end = calendar.add_working_time(start, amount)
    assert calendar.working_time_between(start, end) == amount
    assert end > start


@settings_for_db
@given(end=starts, minutes=st.integers(min_value=0, max_value=60 * 7 * 10))
def test_subtracting_working_time_is_adding_it_backwards(app, end, minutes):
    calendar = cal.WorkCalendar()
    amount = timedelta(minutes=minutes)
    start = calendar.subtract_working_time(end, amount)
    assert calendar.working_time_between(start, end) == amount
    assert start <= end
    if minutes:  # the earliest such moment: inside a working period, not before it in the night or lunch
        assert calendar.add_working_time(start, amount) <= end


def test_subtracting_working_time_skips_national_day(app):
    # 10-08 09:30 back 1 h: 30 min of the 8th, then 30 min before 17:30 on 09-30 (10-01..07 are off)
    assert cal.WorkCalendar().subtract_working_time(sh("2026-10-08 09:30"), HOUR) == sh("2026-09-30 17:00")


long_spans = st.datetimes(
    min_value=sh("2024-06-01 00:00").replace(tzinfo=None), max_value=sh("2027-06-01 00:00").replace(tzinfo=None)
).map(lambda d: d.replace(tzinfo=SHANGHAI))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=long_spans, b=long_spans)
def test_counting_whole_days_agrees_with_walking_every_day(app, a, b):
    """working_time_between counts the whole days between the ends; walking day by day gives the same."""
    calendar = cal.WorkCalendar()
    first, last = sorted((a, b))
    walked = calendar._working_time_on_days(first, last, first.date(), last.date())
    assert calendar.working_time_between(first, last) == walked
    assert calendar.working_time_between(last, first) == -walked
    days = [first.date() + timedelta(days=n) for n in range((last.date() - first.date()).days + 1)]
    assert calendar.count_workdays(first.date(), last.date()) == sum(calendar.is_workday(d) for d in days)


def test_bpmn_scripts_count_working_days_with_the_calendar(app, deploy, create_case):
    from tests.engine.test_scripts import process
    from workflow_app.engine.queries import current_data

    deploy(sources=process("deadline = working_days_after(date(2026, 9, 30), 3)"))
    case = create_case("scripted")
    deadline = current_data(case.instance)["deadline"]
    # 10-01..10-07 are National Day holidays; 10-08, 10-09 and Saturday 10-10 are working days
    assert deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == "2026-10-10 17:30"
