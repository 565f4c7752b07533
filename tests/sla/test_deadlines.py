"""Task deadlines: set as tasks open, recomputed when a year is entered, and their state over time."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.sla.conftest import sh
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db
from workflow_app.sla.operations import CalendarRefused, enter_calendar_year
from workflow_app.sla.queries import format_working_time, remaining_working_time, sla_state

HOUR = timedelta(hours=1)


def open_task(case, bpmn_id="handle"):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Task).where(Task.instance_id == case.instance_id, Task.state == "open", Task.bpmn_id == bpmn_id)
    )


@pytest.fixture
def start(deploy, create_case, set_clock):
    """Start an sla_deadline case (handle: sla 3wd, slaUrgent 4wh) at a Shanghai time."""
    deploy("sla_deadline.bpmn")

    def factory(when, priority="normal"):
        set_clock(when)
        return create_case("sla_deadline", priority=priority)

    return factory


def test_a_task_gets_its_deadline_and_warning_when_it_opens(app, start):
    case = start("2026-11-23 08:00")  # a Monday, before working hours
    task = open_task(case)
    # 3 wd after Monday: Tue (1), Wed (2), Thu (3) → Thu 17:30. Working time from Mon 08:00: 4 × 7 h = 28 h;
    # 75 % = 21 h = all of Mon, Tue and Wed → the warning at Wed 17:30.
    assert task.due_at == sh("2026-11-26 17:30")
    assert task.warn_at == sh("2026-11-25 17:30")
    assert task.due_provisional is False


def test_an_urgent_case_runs_the_urgent_sla(app, start):
    case = start("2026-11-23 08:30", priority="urgent")
    task = open_task(case)
    # 4 wh from Mon 08:30: 09:00-12:00 (3 h), 13:30-14:30 (1 h); the warning after 3 h: 12:00
    assert task.due_at == sh("2026-11-23 14:30")
    assert task.warn_at == sh("2026-11-23 12:00")


def test_a_task_without_an_sla_has_no_deadline(app, start, user):
    case = start("2026-11-23 10:00")
    complete_task(open_task(case).id, {}, user.id)
    db.session.commit()
    task = open_task(case, "file_away")
    assert (task.due_at, task.warn_at, task.due_provisional) == (None, None, False)
    assert sla_state(task, sh("2030-01-01 00:00")) is None
    assert remaining_working_time(task, sh("2030-01-01 00:00")) is None


def test_sla_state_moves_from_on_track_to_at_risk_to_overdue(app, start, clock, set_clock):
    case = start("2026-11-23 08:00")
    task = open_task(case)
    set_clock("2026-11-24 12:00")
    assert sla_state(task, clock.utcnow()) == "on_track"
    # Tue 13:30-17:30 (4 h) + Wed (7 h) + Thu (7 h) = 18 h = 2 working days of 7 h and 4 h
    assert remaining_working_time(task, clock.utcnow()) == 18 * HOUR
    set_clock("2026-11-26 08:30")  # after the warning (Wed 17:30)
    assert sla_state(task, clock.utcnow()) == "at_risk"
    assert remaining_working_time(task, clock.utcnow()) == 7 * HOUR
    set_clock("2026-11-26 17:30")
    assert sla_state(task, clock.utcnow()) == "overdue"
    set_clock("2026-11-27 12:15")
    assert sla_state(task, clock.utcnow()) == "overdue"
    assert remaining_working_time(task, clock.utcnow()) == -3 * HOUR  # Fri 09:00-12:00
    with force_locale("en"):
        assert format_working_time(18 * HOUR) == "2 working days 4 h"
        assert format_working_time(-HOUR) == "overdue by 1 h"
        assert format_working_time(-(9 * HOUR)) == "overdue by 1 working day 2 h"
        assert format_working_time(timedelta(minutes=45)) == "45 min"
        assert format_working_time(7 * HOUR) == "1 working day"
        assert format_working_time(timedelta(hours=2, minutes=5)) == "2 h 5 min"
        assert format_working_time(timedelta(0)) == "0 min"


def test_a_deadline_in_an_unknown_year_is_provisional_until_the_year_is_entered(app, start, builtin_until_2026, user):
    before = start("2026-11-23 09:00")  # due in November: does not depend on 2027
    case = start("2026-12-30 10:00")
    task = open_task(case)
    # Wed 12-30 + 3 wd: Thu 12-31 (1), Fri 2027-01-01 (2; 2027 unknown: a weekday counts), Mon 01-04 (3)
    assert task.due_at == sh("2027-01-04 17:30")
    assert task.due_provisional is True
    first_warning = task.warn_at

    result = enter_calendar_year(2027, [date(2027, 1, 1)], [], "official", user.id, "国办发明电（test）")
    db.session.commit()
    assert result["tasks_recomputed"] == 1 and result["tasks_changed"] == 1
    task = open_task(case)
    # New Year's Day is off now: Thu 12-31 (1), Mon 01-04 (2), Tue 01-05 (3)
    assert task.due_at == sh("2027-01-05 17:30")
    assert task.due_provisional is False
    assert task.warn_at > first_warning
    assert open_task(before).due_at == sh("2026-11-26 17:30")

    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == "calendar_changed"))
    assert audit.instance_id is None and audit.actor_id == user.id
    assert audit.data == {
        "year": 2027,
        "holidays": ["2027-01-01"],
        "workdays": [],
        "status": "official",
        "source": "国办发明电（test）",
        "tasks_recomputed": 1,
        "tasks_changed": 1,
    }


def test_a_closed_task_is_not_recomputed(app, start, builtin_until_2026, user):
    case = start("2026-12-30 10:00")
    task = open_task(case)
    complete_task(task.id, {}, user.id)
    db.session.commit()
    result = enter_calendar_year(2027, [date(2027, 1, 1)], [], "official", user.id)
    db.session.commit()
    assert result["tasks_recomputed"] == 0
    db.session.expire_all()
    assert db.session.get(Task, task.id).due_at == sh("2027-01-04 17:30")


@pytest.mark.parametrize(
    "holidays, workdays, status, message",
    [
        ([date(2028, 1, 3)], [], "official", "is not in 2027"),
        ([date(2027, 1, 2)], [date(2027, 1, 2)], "official", "both as a holiday and as a working day"),
        ([], [date(2027, 1, 4)], "official", "is a weekday"),
        ([], [], "final", "Unknown status 'final'"),
    ],
)
def test_a_bad_entry_is_refused_and_stores_nothing(app, holidays, workdays, status, message):
    with force_locale("en"), pytest.raises(CalendarRefused) as refused:
        enter_calendar_year(2027, holidays, workdays, status, None)
    assert any(message in problem for problem in refused.value.problems), refused.value.problems
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
