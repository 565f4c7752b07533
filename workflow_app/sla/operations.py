"""Writes of the SLA package: entering a year's calendar (the clocks live in clocks.py)."""

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.core.errors import InvalidInput
from workflow_app.core.reference import forget_on_commit
from workflow_app.core.time import SHANGHAI, utcnow
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db
from workflow_app.sla import calendar as sla_calendar
from workflow_app.sla.calendar import WorkCalendar
from workflow_app.sla.clocks import recompute_running_clocks
from workflow_app.sla.models import YEAR_STATUSES, CalendarDay, CalendarYear

MIN_YEAR, MAX_YEAR = 2000, 2100


class CalendarRefused(InvalidInput):
    """A calendar entry that cannot be stored; `problems` lists every reason (the message joins them)."""

    def __init__(self, problems: list[str]):
        super().__init__(_l("The calendar was not saved: %(reasons)s", reasons="; ".join(problems)))
        self.problems = problems


def working_days_after(start, days: int) -> datetime:
    """Script helper: the end of the working day `days` working days after `start`, as UTC.

    `start` may be an aware datetime, a naive one (read as Shanghai time) or a date (its start).
    """
    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, time(0, 0))
    if start.tzinfo is None:
        start = start.replace(tzinfo=SHANGHAI)
    return sla_calendar.add_working_days(start, int(days))


# ------------------------------------------------------------------------------- calendar years


def _year_bounds_utc(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(0), SHANGHAI).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time(0), SHANGHAI).astimezone(UTC)
    return start, end


def recompute_open_tasks(
    first_year: int, last_year: int | None = None, calendar: WorkCalendar | None = None, only_provisional: bool = False
) -> tuple[int, int]:
    """Recompute the deadlines of running clocks that count days of the years first_year..last_year.

    A deadline reads exactly the days from its clock's start to its due day, so it depends on a
    year when it started before the year's end and is due on or after its start; an index finds
    those without reading any case. Returns (task deadlines recomputed, task deadlines changed).
    """
    year_start, _ = _year_bounds_utc(first_year)
    _, year_end = _year_bounds_utc(last_year or first_year)
    return recompute_running_clocks(year_start, year_end, only_provisional, calendar)


def validate_calendar_year(year, holidays, workdays, status) -> list[str]:
    """Every reason the entry cannot be stored (empty when it can), as translated one-line messages."""
    errors = []
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        return [str(_l("The year must be a number from %(first)d to %(last)d", first=MIN_YEAR, last=MAX_YEAR))]
    if status not in YEAR_STATUSES:
        errors.append(str(_l("Unknown status '%(status)s'; use official or provisional", status=status)))
    for label, days in ((_l("holiday"), holidays), (_l("working day"), workdays)):
        for day in days:
            if day.year != year:
                errors.append(
                    str(_l("The %(kind)s %(day)s is not in %(year)d", kind=label, day=day.isoformat(), year=year))
                )
    for day in sorted(set(holidays) & set(workdays)):
        errors.append(str(_l("%(day)s is listed both as a holiday and as a working day", day=day.isoformat())))
    for day in sorted(set(workdays)):
        if day.year == year and day.weekday() < 5 and day not in holidays:
            errors.append(
                str(
                    _l(
                        "%(day)s is a weekday; only a Saturday or Sunday can be an adjusted working day",
                        day=day.isoformat(),
                    )
                )
            )
    return errors


def enter_calendar_year(
    year: int,
    holidays: list[date],
    workdays: list[date],
    status: str,
    actor_id: int | None,
    source: str | None = None,
    notes: dict[date, str] | None = None,
) -> dict:
    """Replace a year's calendar, recompute the open tasks that depend on it, and audit the change.

    `holidays` may include weekend days (notices list whole periods; only weekday holidays are
    stored, as the exceptions); `workdays` are the adjusted working weekend days (调休).
    Raises CalendarRefused (an InvalidInput listing every problem) before writing anything.
    Returns {"year", "stored_days", "tasks_recomputed", "tasks_changed"}.
    """
    holidays, workdays = sorted(set(holidays)), sorted(set(workdays))
    errors = validate_calendar_year(year, holidays, workdays, status)
    if errors:
        raise CalendarRefused(errors)
    notes = notes or {}
    forget_on_commit(db.session, sla_calendar.CALENDAR_KEPT)
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.year == year))
    row = db.session.get(CalendarYear, year, with_for_update=True)
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    row.status, row.source = status, (source or "").strip() or None
    row.updated_at, row.updated_by_id = utcnow(), actor_id
    db.session.flush()
    stored = 0
    for day in holidays:
        if day.weekday() < 5:
            db.session.add(
                CalendarDay(
                    date=day,
                    is_workday=False,
                    kind="holiday",
                    year=year,
                    note=(notes.get(day) or None) and notes[day][:100],
                )
            )
            stored += 1
    for day in workdays:
        db.session.add(
            CalendarDay(
                date=day,
                is_workday=True,
                kind="adjusted_workday",
                year=year,
                note=(notes.get(day) or None) and notes[day][:100],
            )
        )
        stored += 1
    db.session.flush()
    examined, changed = recompute_open_tasks(year)
    db.session.add(
        AuditEvent(
            instance_id=None,
            actor_id=actor_id,
            kind="calendar_changed",
            at=utcnow(),
            data={
                "year": year,
                "holidays": [d.isoformat() for d in holidays],
                "workdays": [d.isoformat() for d in workdays],
                "status": status,
                "source": row.source,
                "tasks_recomputed": examined,
                "tasks_changed": changed,
            },
        )
    )
    return {"year": year, "stored_days": stored, "tasks_recomputed": examined, "tasks_changed": changed}


def load_builtin_calendar(actor_id: int | None = None) -> dict:
    """Store the years the chinese-calendar package knows and the tables do not hold yet.

    Never overwrites a year already in the tables (an admin's entry wins). The calendar already
    reads these years from the package when they are missing, so storing them changes no
    deadline computed with the same package; open tasks flagged provisional in the stored years
    (computed before the package knew them) are recomputed. Returns {"years", "tasks_recomputed",
    "tasks_changed"}.
    """
    present = set(db.session.scalars(sa.select(CalendarYear.year)))
    added = []
    for year, data in sorted(sla_calendar.builtin_years().items()):
        if year in present:
            continue
        forget_on_commit(db.session, sla_calendar.CALENDAR_KEPT)
        db.session.add(
            CalendarYear(year=year, status=data.status, source=data.source, updated_at=utcnow(), updated_by_id=actor_id)
        )
        db.session.flush()
        for day, (is_workday, note) in sorted(data.exceptions.items()):
            db.session.add(
                CalendarDay(
                    date=day,
                    is_workday=is_workday,
                    year=year,
                    note=note,
                    kind="adjusted_workday" if is_workday else "holiday",
                )
            )
        added.append(year)
    db.session.flush()
    examined = changed = 0
    if added:
        examined, changed = recompute_open_tasks(added[0], added[-1], only_provisional=True)
        db.session.add(
            AuditEvent(
                instance_id=None,
                actor_id=actor_id,
                kind="calendar_builtin_loaded",
                at=utcnow(),
                data={
                    "years": added,
                    "source": sla_calendar.builtin_years()[added[0]].source,
                    "tasks_recomputed": examined,
                    "tasks_changed": changed,
                },
            )
        )
    return {"years": added, "tasks_recomputed": examined, "tasks_changed": changed}
