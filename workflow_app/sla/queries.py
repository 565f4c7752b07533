"""Reads of the SLA package: a task's deadline state and remaining time, and the calendar's years."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l

from workflow_app.core.counts import read_counts
from workflow_app.extensions import db
from workflow_app.sla import calendar as sla_calendar
from workflow_app.sla.calendar import WorkCalendar, shown_calendar, working_day_length
from workflow_app.sla.models import CalendarDay, CalendarYear, SlaClock, SupervisionNotice

SLA_STATES = ("on_track", "at_risk", "overdue")
# what the pages call each state of a task's clock ("none": no deadline); text beside the colour
SLA_STATE_LABELS = {
    "on_track": _l("On track"),
    "at_risk": _l("At risk"),
    "overdue": _l("Overdue"),
    "none": _l("No deadline"),
}


def sla_state(task, now: datetime) -> str | None:
    """ "on_track", "at_risk" (from warn_at) or "overdue" (from due_at) at `now`; None for a task without a deadline.

    A closed task is judged at its completion time (so a task done late stays "overdue").
    """
    if task.due_at is None:
        return None
    moment = task.completed_at if task.state != "open" and task.completed_at is not None else now
    if moment >= task.due_at:
        return "overdue"
    if task.warn_at is not None and moment >= task.warn_at:
        return "at_risk"
    return "on_track"


def remaining_working_time(task, now: datetime, calendar: WorkCalendar | None = None) -> timedelta | None:
    """The working time from `now` to the task's deadline; negative when overdue, None without a deadline.

    Pass one WorkCalendar when computing it for a page of tasks (it caches the calendar's years).
    """
    if task.due_at is None:
        return None
    return (calendar or WorkCalendar()).working_time_between(now, task.due_at)


def format_working_time(value: timedelta, day_length: timedelta | None = None) -> str:
    """Say a working time in working days (of the configured working hours), hours and minutes.

    "2 working days 3 h", "45 min", and for a negative value "overdue by 1 working day 2 h".
    Minutes are shown only under one working day; the value is rounded down to the minute.
    """
    day_length = day_length or working_day_length()
    translations = get_translations()  # once: a page of tasks says this for every row
    overdue = value < timedelta(0)
    minutes = int(abs(value).total_seconds() // 60)
    day_minutes = int(day_length.total_seconds() // 60) or 1
    days, rest = divmod(minutes, day_minutes)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(translations.ungettext("%(num)d working day", "%(num)d working days", days) % {"num": days})
    if hours:
        parts.append(translations.ugettext("%(num)d h") % {"num": hours})
    if (minutes and not days) or not parts:
        parts.append(translations.ugettext("%(num)d min") % {"num": minutes})
    text = " ".join(parts)
    return translations.ugettext("overdue by %(time)s") % {"time": text} if overdue else text


@dataclass
class YearSummary:
    year: int
    status: str  # "official" or "provisional"
    source: str | None
    stored: bool  # in the calendar tables (else read from the built-in package data)
    holidays: int  # weekday holidays
    workdays: int  # adjusted working weekend days
    updated_at: datetime | None = None
    updated_by: str | None = None


def calendar_years() -> list[YearSummary]:
    """Every known year, newest first: the stored ones and the built-in ones not stored."""
    counts = {
        (year, is_workday): n
        for year, is_workday, n in db.session.execute(
            sa.select(CalendarDay.year, CalendarDay.is_workday, sa.func.count()).group_by(
                CalendarDay.year, CalendarDay.is_workday
            )
        )
    }
    years = {}
    for row in db.session.scalars(sa.select(CalendarYear)):
        years[row.year] = YearSummary(
            row.year,
            row.status,
            row.source,
            True,
            counts.get((row.year, False), 0),
            counts.get((row.year, True), 0),
            row.updated_at,
            row.updated_by.username if row.updated_by else None,
        )
    for year, data in sla_calendar.builtin_years().items():
        if year not in years:
            workdays = sum(1 for is_workday, _note in data.exceptions.values() if is_workday)
            years[year] = YearSummary(year, data.status, data.source, False, len(data.exceptions) - workdays, workdays)
    return [years[year] for year in sorted(years, reverse=True)]


def year_exceptions(year: int) -> dict:
    """A year's entry as the admin form shows it: status, source, and its holiday/workday lines."""
    data = WorkCalendar().year(year)
    holidays = [
        f"{day.isoformat()} {note}".strip() if note else day.isoformat()
        for day, (is_workday, note) in sorted(data.exceptions.items())
        if not is_workday
    ]
    workdays = [
        f"{day.isoformat()} {note}".strip() if note else day.isoformat()
        for day, (is_workday, note) in sorted(data.exceptions.items())
        if is_workday
    ]
    return {"year": year, "status": data.status, "source": data.source, "holidays": holidays, "workdays": workdays}


@dataclass
class TaskClock:
    state: str  # on_track / at_risk / overdue / none
    remaining: str  # the remaining (or overdue) working time in words; "" without a deadline
    provisional: bool  # the deadline reaches into a year whose holidays are not known yet


def task_clocks(tasks, now: datetime | None = None) -> dict[int, TaskClock]:
    """Each task's SLA state and remaining working time in words, by task id, for the page that shows them.

    One WorkCalendar serves a whole request (kept in `g`), so a page of tasks reads the calendar once.
    """
    from workflow_app.core.time import utcnow

    now, clocks = now or utcnow(), {}
    for task in tasks:
        if task.due_at is None or task.state != "open":
            clocks[task.id] = TaskClock("none", "", False)
            continue
        calendar = shown_calendar()
        clocks[task.id] = TaskClock(
            sla_state(task, now) or "none",
            format_working_time(remaining_working_time(task, now, calendar), calendar.hours.day_length),
            bool(task.due_provisional),
        )
    return clocks


@dataclass
class ClockView:
    """One clock of a case as its page shows it."""

    kind: str  # case / phase
    phase: str | None
    state: str  # on_track / at_risk / overdue / none
    running: bool
    paused: bool
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    provisional: bool
    elapsed: str  # working time run so far (pauses left out), in words
    pauses: list  # [(from, to or None, reason)]
    extensions: list  # [(days, reason, at)]
    send_backs: int
    reopens: int


@dataclass
class CaseClocks:
    case: ClockView | None
    phases: list
    notices: list  # SupervisionNotice rows, oldest first


PAUSE_REASON_LABELS = {"enterprise": _l("waiting on the enterprise"), "suspended": _l("case suspended")}


# Built once, every case page reads it: the case and phase clocks of a case, oldest first, and every clock that has
# a supervision notice with its notices, in one round trip (a notice may be of a task's clock).
_CLOCKS_AND_NOTICES = (
    sa.select(SlaClock, SupervisionNotice)
    .outerjoin(
        SupervisionNotice,
        sa.and_(SupervisionNotice.clock_id == SlaClock.id, SupervisionNotice.instance_id == SlaClock.instance_id),
    )
    .where(
        SlaClock.instance_id == sa.bindparam("instance_id"),
        # equalities, not IN: an IN list is rendered into the statement's text at every execution
        sa.or_(SlaClock.kind == "case", SlaClock.kind == "phase", SupervisionNotice.id.is_not(None)),
    )
    .order_by(SlaClock.started_at, SlaClock.id, SupervisionNotice.id)
)


def case_page_clocks(case, open_tasks) -> dict:
    """The case page's clocks: the case's and its phases' with its notices, and each open task's (cases.case_page)."""
    return {"clocks": case_clocks(case.instance_id), "task_clocks": task_clocks(open_tasks)}


def case_clocks(instance_id: int, now: datetime | None = None) -> CaseClocks:
    """The case clock, the phase clocks and the supervision notices of a case (oldest first)."""
    from workflow_app.core.time import utcnow
    from workflow_app.sla.clocks import clock_state, elapsed

    now = now or utcnow()
    calendar = shown_calendar()
    views, notices, seen = [], [], set()
    for clock, notice in db.session.execute(_CLOCKS_AND_NOTICES, {"instance_id": instance_id}):
        if notice is not None:
            notices.append(notice)
        if clock.kind not in ("case", "phase") or clock.id in seen:
            continue
        seen.add(clock.id)
        pauses = [
            (datetime.fromisoformat(p["from"]), datetime.fromisoformat(p["to"]), p.get("reason"))
            for p in clock.pauses or []
        ]
        if clock.paused_since is not None:
            pauses.append((clock.paused_since, None, clock.pause_reason))
        extensions = [(e.get("days"), e.get("reason"), datetime.fromisoformat(e["at"])) for e in clock.extensions or []]
        views.append(
            ClockView(
                clock.kind,
                clock.phase,
                clock_state(clock, now),
                clock.stopped_at is None,
                clock.paused_since is not None,
                clock.started_at,
                clock.stopped_at,
                clock.due_at,
                bool(clock.due_provisional),
                format_working_time(elapsed(clock, now, calendar)),
                pauses,
                extensions,
                clock.send_backs or 0,
                clock.reopens or 0,
            )
        )
    notices.sort(key=lambda notice: notice.id)
    case = next((v for v in views if v.kind == "case"), None)
    return CaseClocks(case, [v for v in views if v.kind == "phase"], notices)


def _open_notice_conditions(unit_ids):
    return (SupervisionNotice.org_unit_id.in_(unit_ids), SupervisionNotice.acknowledged_at.is_(None))


_OPEN_NOTICE_COUNT = (
    sa.select(sa.func.count())
    .select_from(SupervisionNotice)
    .where(*_open_notice_conditions(sa.bindparam("notice_units", expanding=True)))
    .scalar_subquery()
)


def open_notice_count_of(unit_ids) -> tuple:
    """How many supervision notices addressed to these units nobody has acknowledged yet, for core.counts."""
    return _OPEN_NOTICE_COUNT, {"notice_units": sorted(unit_ids)}


def open_notice_count(unit_ids) -> int:
    """How many supervision notices addressed to these units nobody has acknowledged yet."""
    return read_counts({"notices": open_notice_count_of(unit_ids)})["notices"]


def open_notices(unit_ids, limit: int = 10) -> tuple[list, int]:
    """Unacknowledged supervision notices addressed to these units, newest first: (notices with their case, total)."""
    from workflow_app.cases.models import Case
    from workflow_app.sla.models import SupervisionNotice

    total = open_notice_count(unit_ids)
    rows = (
        db.session.execute(
            sa.select(SupervisionNotice, Case)
            .join(Case, Case.instance_id == SupervisionNotice.instance_id)
            .where(*_open_notice_conditions(unit_ids))
            .order_by(SupervisionNotice.issued_at.desc(), SupervisionNotice.id.desc())
            .limit(limit)
        ).all()
        if total
        else []
    )
    return rows, total
