"""Build an installment schedule: monthly due dates up to the policy deadline, amounts in fen that add up."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from workflow_app.core.dates import add_months
from workflow_app.core.errors import InvalidInput

# The largest amount the agreement's BIGINT columns hold, in fen: a case's total beyond it (applied for before amounts
# were bounded by core.money.MAX_YUAN) is refused with a reason instead of failing its drafting step at every try
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class ScheduledInstallment:
    seq: int
    due_date: date
    amount_fen: int


class ScheduleError(InvalidInput):
    """The schedule asked for cannot be made; the message says why."""


def _same_day(day: date) -> date:
    return day


def build_schedule(
    total_fen: int, count: int, first_due: date, deadline: date, working_day: Callable[[date], date] = _same_day
) -> list[ScheduledInstallment]:
    """Split `total_fen` into `count` monthly installments from `first_due`, none after `deadline`.

    Each month's day that is no working day is moved by `working_day` (the day itself, or the next working day) to
    the installment's due date. Amounts differ by at most one fen (the first ones carry the remainder), so they add
    up exactly.
    """
    if not isinstance(total_fen, int) or isinstance(total_fen, bool) or total_fen <= 0:
        raise ScheduleError(_l("The deferred total must be a positive amount"))
    if total_fen > BIGINT_MAX:
        raise ScheduleError(
            _l("The deferred total is more than an agreement can record; the application's amounts are wrong")
        )
    if not isinstance(count, int) or count < 1:
        raise ScheduleError(_l("There must be at least one installment"))
    if count > total_fen:
        raise ScheduleError(
            _l("%(n)d installments of %(total)d fen would leave some of them empty", n=count, total=total_fen)
        )
    months = [add_months(first_due, k) for k in range(count)]
    due_dates = [working_day(day) for day in months]
    if due_dates[0] > deadline:
        if months[0] <= deadline:
            raise ScheduleError(
                _l(
                    "The first installment (%(day)s) is no working day and moves to %(moved)s, after "
                    "the policy deadline %(deadline)s",
                    day=months[0].isoformat(),
                    moved=due_dates[0].isoformat(),
                    deadline=deadline.isoformat(),
                )
            )
        raise ScheduleError(
            _l(
                "The first installment (%(first)s) would fall after the policy deadline %(deadline)s",
                first=first_due.isoformat(),
                deadline=deadline.isoformat(),
            )
        )
    if due_dates[-1] > deadline:
        fitting = sum(1 for day in due_dates if day <= deadline)
        if months[-1] <= deadline:
            raise ScheduleError(
                _l(
                    "The last installment (%(day)s) is no working day and moves to %(moved)s, after "
                    "the policy deadline %(deadline)s; at most %(fit)d fit",
                    day=months[-1].isoformat(),
                    moved=due_dates[-1].isoformat(),
                    deadline=deadline.isoformat(),
                    fit=fitting,
                )
            )
        raise ScheduleError(
            _l(
                "%(n)d monthly installments from %(first)s end on %(last)s, after the policy deadline "
                "%(deadline)s; at most %(fit)d fit",
                n=count,
                first=first_due.isoformat(),
                last=due_dates[-1].isoformat(),
                deadline=deadline.isoformat(),
                fit=fitting,
            )
        )
    base, remainder = divmod(total_fen, count)
    return [
        ScheduledInstallment(seq=k + 1, due_date=due, amount_fen=base + (1 if k < remainder else 0))
        for k, due in enumerate(due_dates)
    ]


def calendar_working_day() -> Callable[[date], date]:
    """The work calendar's due date for a day (sla.calendar): the day itself when it is a working day, else the next
    working day (holidays and 调休 counted)."""
    from workflow_app.sla.calendar import WorkCalendar

    calendar = WorkCalendar()
    return lambda day: day if calendar.is_workday(day) else calendar.next_workday(day)
