"""Working-day arithmetic on China's calendar: statutory holidays and adjusted working days (调休).

Where a year's calendar comes from, in order:
1. the `calendar_year` / `calendar_day` tables (entered by an admin, imported with
   `flask calendar import`, or stored by `flask calendar load-builtin`): they always win;
2. the built-in data of the `chinese-calendar` package (the State Council's notices up to the
   last year the installed version knows), read in memory for a year the tables do not hold,
   so a fresh install counts real holidays without any seeding step;
3. neither: the year is *unknown*, Monday-Friday count as working days and every deadline that
   uses a day of it is flagged provisional, as is one using a year entered as "provisional".

All times given are aware datetimes; results are aware UTC datetimes. Days and working hours
are those of Asia/Shanghai; the working hours come from the WORKING_HOURS setting
(default "09:00-12:00,13:30-17:30": a working day of 7 hours).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

import sqlalchemy as sa
from flask import g, has_request_context

from workflow_app.core.durations import parse_sla
from workflow_app.core.reference import kept
from workflow_app.core.settings import setting
from workflow_app.core.time import SHANGHAI
from workflow_app.extensions import db
from workflow_app.sla.models import CalendarDay, CalendarYear

MAX_SCAN_DAYS = 3700  # about ten years: a deadline further away than that is a modelling error


# ---------------------------------------------------------------------------------------- hours


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of a working day, e.g. ((09:00, 12:00), (13:30, 17:30))."""

    periods: tuple[tuple[time, time], ...]

    @cached_property  # a page of tasks asks for it on every row
    def day_length(self) -> timedelta:
        return sum((_span(start, end) for start, end in self.periods), timedelta(0))

    @property
    def end(self) -> time:
        return self.periods[-1][1]


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


@lru_cache(maxsize=8)
def parse_working_hours(text: str) -> WorkingHours:
    """Parse "09:00-12:00,13:30-17:30"; raise ValueError unless the periods are ordered and apart."""
    periods = []
    try:
        for part in (text or "").split(","):
            start_text, end_text = part.strip().split("-")
            periods.append((time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())))
    except ValueError:
        raise ValueError(f"WORKING_HOURS '{text}' is not like 09:00-12:00,13:30-17:30") from None
    for index, (start, end) in enumerate(periods):
        if start >= end or (index and periods[index - 1][1] > start):
            raise ValueError(f"WORKING_HOURS '{text}': periods must be in order and must not overlap")
    return WorkingHours(tuple(periods))


def configured_working_hours() -> WorkingHours:
    return parse_working_hours(setting("WORKING_HOURS"))


# ------------------------------------------------------------------------------ built-in years


@dataclass(frozen=True)
class YearData:
    """One year's calendar: status, source and the exceptions {date: (is_workday, note)}."""

    year: int
    status: str  # "official", "provisional" or "unknown"
    source: str | None
    exceptions: dict
    stored: bool  # held in the calendar tables (False: built in, or unknown)


@lru_cache(maxsize=1)
def _package_years() -> dict[int, YearData]:
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    names = {holiday.value: holiday.chinese for holiday in Holiday}
    version = getattr(chinese_calendar, "__version__", "")
    source = f"chinese-calendar {version}".strip()
    years: dict[int, dict] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            years.setdefault(day.year, {})[day] = (False, names.get(name, name))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            years.setdefault(day.year, {})[day] = (True, names.get(name, name))
    for day in list(chinese_calendar.holidays) + list(chinese_calendar.workdays):
        years.setdefault(day.year, {})
    return {year: YearData(year, "official", source, days, False) for year, days in years.items()}


def builtin_years() -> dict[int, YearData]:
    """The years the installed chinese-calendar package knows, as official calendars."""
    return _package_years()


# ---------------------------------------------------------------------------------- calendar

CALENDAR_KEPT = "calendar_years"  # the name of the stored years in core.reference


class WorkCalendar:
    """A read snapshot of the calendar; years are loaded from the database when first needed.

    Use one instance for a batch of computations (e.g. recomputing many tasks); the module
    functions below make a fresh one per call.
    """

    def __init__(self, hours: WorkingHours | None = None, stored: dict[int, YearData] | None = None):
        """`stored`: the calendar tables' years, already read (all of them); else each is read when first needed."""
        self.hours = hours or configured_working_hours()
        self._years: dict[int, YearData] = dict(stored or {})
        self._stored_status: dict[int, tuple[str, str | None]] | None = (
            None if stored is None else {year: (data.status, data.source) for year, data in stored.items()}
        )

    # -- years
    def year(self, year: int) -> YearData:
        if year not in self._years:
            self._years[year] = self._load(year)
        return self._years[year]

    def _load(self, year: int) -> YearData:
        if self._stored_status is None:
            self._stored_status = {
                row.year: (row.status, row.source)
                for row in db.session.execute(sa.select(CalendarYear.year, CalendarYear.status, CalendarYear.source))
            }
        if year in self._stored_status:
            status, source = self._stored_status[year]
            days = {
                row.date: (row.is_workday, row.note)
                for row in db.session.execute(
                    sa.select(CalendarDay.date, CalendarDay.is_workday, CalendarDay.note).where(
                        CalendarDay.year == year
                    )
                )
            }
            return YearData(year, status, source, days, True)
        builtin = builtin_years().get(year)
        return builtin if builtin is not None else YearData(year, "unknown", None, {}, False)

    def is_official(self, year: int) -> bool:
        return self.year(year).status == "official"

    def any_provisional(self, first: date, last: date) -> bool:
        """Whether a day from `first` to `last` (inclusive) lies in a year that is not official."""
        return any(not self.is_official(year) for year in range(first.year, last.year + 1))

    # -- days
    def is_workday(self, day: date) -> bool:
        exception = self.year(day.year).exceptions.get(day)
        return exception[0] if exception is not None else day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        for _ in range(MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise ValueError(f"no working day within {MAX_SCAN_DAYS} days after {day}")

    def _periods(self, day: date):
        """The working periods of a day as aware Shanghai datetimes (none on a day off)."""
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, start, SHANGHAI), datetime.combine(day, end, SHANGHAI))
            for start, end in self.hours.periods
        ]

    # -- arithmetic
    def add_working_days(self, start: datetime, n: int) -> datetime:
        local = _aware(start).astimezone(SHANGHAI)
        if n < 0:
            raise ValueError("the number of working days must not be negative")
        if n == 0:
            return local.astimezone(UTC)
        day = local.date()
        for _ in range(n):
            day = self.next_workday(day)
        return datetime.combine(day, self.hours.end, SHANGHAI).astimezone(UTC)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        local = _aware(start).astimezone(SHANGHAI)
        if amount < timedelta(0):
            raise ValueError("working time to add must not be negative")
        if amount == timedelta(0):
            return local.astimezone(UTC)
        remaining, day = amount, local.date()
        for _ in range(MAX_SCAN_DAYS):
            for period_start, period_end in self._periods(day):
                begin = max(local, period_start)
                if begin >= period_end:
                    continue
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no end of {amount} working time within {MAX_SCAN_DAYS} days after {start}")

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of working time before `end` (aware UTC): add_working_time run backwards."""
        local = _aware(end).astimezone(SHANGHAI)
        if amount < timedelta(0):
            raise ValueError("working time to subtract must not be negative")
        if amount == timedelta(0):
            return local.astimezone(UTC)
        remaining, day = amount, local.date()
        for _ in range(MAX_SCAN_DAYS):
            for period_start, period_end in reversed(self._periods(day)):
                finish = min(local, period_end)
                if finish <= period_start:
                    continue
                available = finish - period_start
                if remaining <= available:
                    return (finish - remaining).astimezone(UTC)
                remaining -= available
            day -= timedelta(days=1)
        raise ValueError(f"no start of {amount} working time within {MAX_SCAN_DAYS} days before {end}")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        a, b = _aware(a).astimezone(SHANGHAI), _aware(b).astimezone(SHANGHAI)
        if b < a:
            return -self.working_time_between(b, a)
        first, last = a.date(), b.date()
        if first == last:
            return self._working_time_on_days(a, b, first, last)
        # the days in between are whole: counted, not walked (a page shows tasks overdue by months)
        return (
            self._working_time_on_days(a, b, first, first)
            + self._working_time_on_days(a, b, last, last)
            + self.hours.day_length * self.count_workdays(first + timedelta(days=1), last - timedelta(days=1))
        )

    def _working_time_on_days(self, a: datetime, b: datetime, first: date, last: date) -> timedelta:
        total, day = timedelta(0), first
        while day <= last:
            for period_start, period_end in self._periods(day):
                overlap = min(b, period_end) - max(a, period_start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def count_workdays(self, first: date, last: date) -> int:
        """The number of working days from `first` to `last`, both included (0 when last < first)."""
        if last < first:
            return 0
        weeks, rest = divmod((last - first).days + 1, 7)
        count = weeks * 5 + sum(1 for n in range(rest) if (first + timedelta(days=n)).weekday() < 5)
        for year in range(first.year, last.year + 1):
            for day, (is_workday, _note) in self.year(year).exceptions.items():
                if first <= day <= last and is_workday != (day.weekday() < 5):
                    count += 1 if is_workday else -1
        return count

    def deadline_for(self, start: datetime, sla_text: str) -> tuple[datetime, bool]:
        duration = parse_sla(sla_text)
        start = _aware(start)
        if duration.unit in ("d", "h"):  # calendar days and plain hours ignore the calendar
            delta = timedelta(days=float(duration.amount)) if duration.unit == "d" else _hours(duration.amount)
            return (start + delta).astimezone(UTC), False
        if duration.unit == "wd":
            whole = int(duration.amount)
            due = self.add_working_days(start, whole)
            fraction = duration.amount - whole
            if fraction:
                due = self.add_working_time(due, self.hours.day_length * float(fraction))
        else:
            due = self.add_working_time(start, _hours(duration.amount))
        local_start, local_due = start.astimezone(SHANGHAI).date(), due.astimezone(SHANGHAI).date()
        return due, self.any_provisional(local_start, local_due)

    def warn_time(self, start: datetime, due: datetime, sla_text: str, ratio: float) -> datetime:
        """The moment `ratio` of the time from `start` to `due` has passed (working time for wd/wh)."""
        unit = parse_sla(sla_text).unit
        if unit in ("d", "h"):
            return (_aware(start) + (due - _aware(start)) * ratio).astimezone(UTC)
        return self.add_working_time(start, self.working_time_between(start, due) * ratio)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return value


def _hours(amount) -> timedelta:
    return timedelta(seconds=int(Decimal(amount) * 3600))


# --------------------------------------------------------------------------- module functions


def is_workday(day: date) -> bool:
    """Whether `day` is a working day: Monday-Friday unless a holiday, or a working weekend day (调休)."""
    return WorkCalendar().is_workday(day)


def add_working_days(start: datetime, n: int) -> datetime:
    """Return the end of the n-th working day after the day of `start` (aware UTC).

    Rule: "N working days after a moment" ends at the end of the working hours (17:30 in
    Shanghai by default) of the N-th working day *after* the start's calendar day; the start
    day itself never counts, whatever the hour and whether or not it is a working day. So a
    task opened on Wednesday 2026-09-30 at 17:00 with 3 working days is due on the third working
    day after the 30th: 10-01..07 are the National Day holiday, 10-08 (Thu) is 1, 10-09 (Fri) is
    2 and Saturday 10-10 (调休, a working day) is 3: due 2026-10-10 17:30 Shanghai. n = 0 returns
    `start` unchanged.
    """
    return WorkCalendar().add_working_days(start, n)


def add_working_hours(start: datetime, hours) -> datetime:
    """Return the moment `hours` working hours (a number or a timedelta) after `start` (aware UTC).

    Only time inside the working periods of working days counts (so 09:00-12:00 and 13:30-17:30
    by default: the lunch break and the night are skipped). A start outside working time begins
    at the next working period; when the hours run out exactly at the end of a period the result
    is that end (17:30), not the next morning.
    """
    amount = hours if isinstance(hours, timedelta) else _hours(hours)
    return WorkCalendar().add_working_time(start, amount)


def working_time_between(a: datetime, b: datetime) -> timedelta:
    """The working time from `a` to `b` (negative when `b` is before `a`)."""
    return WorkCalendar().working_time_between(a, b)


def deadline_for(start: datetime, sla_text: str) -> tuple[datetime, bool]:
    """Return (due_at in UTC, provisional) for an SLA such as `3wd`, `4wh`, `30d` or `2h` from `start`.

    `wd` follows add_working_days (a fraction adds that part of a working day's hours after the
    whole days), `wh` follows add_working_hours; `d` and `h` are calendar time and ignore the
    calendar (never provisional). A working-time deadline is provisional when a day from the
    start's day to the due day lies in a year that is provisional or unknown (counted Monday-
    Friday). Raises ValueError for an SLA text parse_sla refuses.
    """
    return WorkCalendar().deadline_for(start, sla_text)


def known_years() -> list[int]:
    """The years whose calendar is known: entered in the tables (any status) or built in."""
    stored = set(db.session.scalars(sa.select(CalendarYear.year)))
    return sorted(stored | set(builtin_years()))


def working_day_length() -> timedelta:
    """The length of one working day (the configured working hours): 7 h by default."""
    return configured_working_hours().day_length


def stored_years() -> dict[int, YearData]:
    """Every year held in the calendar tables, in two statements."""
    days = {}
    for row in db.session.execute(
        sa.select(CalendarDay.year, CalendarDay.date, CalendarDay.is_workday, CalendarDay.note)
    ):
        days.setdefault(row.year, {})[row.date] = (row.is_workday, row.note)
    return {
        row.year: YearData(row.year, row.status, row.source, days.get(row.year, {}), True)
        for row in db.session.execute(sa.select(CalendarYear.year, CalendarYear.status, CalendarYear.source))
    }


def shown_calendar() -> WorkCalendar:
    """The calendar for showing remaining and elapsed working time on a page: one per request, its stored
    years kept between requests (core.reference). Deadlines are computed with work_calendar(), which reads
    the tables: a calendar change must reach them at once in every process."""
    if not has_request_context():
        return WorkCalendar()
    if "shown_calendar" not in g:
        g.shown_calendar = WorkCalendar(stored=kept(CALENDAR_KEPT, stored_years))
    return g.shown_calendar


def work_calendar() -> WorkCalendar:
    """One calendar per request (it caches the years it reads); a fresh one elsewhere."""
    if not has_request_context():
        return WorkCalendar()
    if "work_calendar" not in g:  # not g.setdefault: its default would be built on every call
        g.work_calendar = WorkCalendar()
    return g.work_calendar
