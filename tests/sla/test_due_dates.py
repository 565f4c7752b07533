"""A task's deadline from the case's data (user-task property dueDate): a date is the end of that day, moved to the
next working day when the calendar says it is none; it replaces the task's `sla`; a failed or empty expression is
recorded and the task keeps its `sla`; deploying refuses an expression that does not compile."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.engine.test_deploy import one_task
from tests.sla.conftest import sh
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import AuditEvent, ProcessInstance
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db
from workflow_app.sla.clocks import given_deadline
from workflow_app.sla.models import SlaClock, SupervisionNotice

DUE_TASK = one_task(
    pid="pay_installment",
    lane="clerk",
    name="登记本期缴费",
    props=(
        '<spiffworkflow:property name="sla" value="30d" />'
        '<spiffworkflow:property name="dueDate" value="installment_due" />'
    ),
)


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59+08:00")


@pytest.fixture
def start_due_case(deploy, create_case, create_user, set_clock):
    """A case of the one-task process with its installment due on a day (or whatever the data holds)."""
    deploy(sources={"pay_installment.bpmn": DUE_TASK})
    create_user("clerk1", roles=("clerk",))

    def factory(due, now="2026-11-23 09:00"):  # a Monday
        set_clock(now)
        return create_case("pay_installment", {} if due is ... else {"installment_due": due})

    return factory


def _clock_of(case) -> SlaClock:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(SlaClock).where(SlaClock.instance_id == case.instance_id, SlaClock.kind == "task")
    ).one()


def _failures(case) -> list[dict]:
    return [
        event.data
        for event in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "sla_property_failed"
            )
        )
    ]


def test_a_due_date_beyond_the_sla_is_the_deadline_and_raises_no_notice_before_it(app, start_due_case, set_clock):
    from workflow_app.sla.escalation import run_sla_sweep

    case = start_due_case("2027-01-15")  # more than 30 days out (the fixed 30d went overdue before it: FQ-2026-000006)
    task = open_task_of(case)
    assert task.due_at == end_of("2027-01-15") and task.due_at != sh("2026-12-23 09:00")
    clock = _clock_of(case)
    assert clock.sla is None and clock.escalates and clock.warn_at < clock.due_at
    set_clock("2027-01-05 09:34")  # past the 30 days the task's sla says
    run_sla_sweep()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNotice)) == 0
    set_clock("2027-01-16 09:00")
    run_sla_sweep()
    assert db.session.scalar(sa.select(SupervisionNotice.due_at)) == end_of("2027-01-15")


def test_a_due_date_on_a_holiday_moves_to_the_end_of_the_next_working_day(app, start_due_case):
    # 2026-10-03 is a Saturday in the National Day holiday (10-01 to 10-07); 10-08 is the next working day
    case = start_due_case("2026-10-03", now="2026-09-21 09:00")
    assert open_task_of(case).due_at == end_of("2026-10-08")
    assert _clock_of(case).base_due_at == end_of("2026-10-03")  # what the data said, kept for a calendar change


def test_a_working_day_stays_and_a_weekend_moves_to_monday(app, start_due_case):
    assert open_task_of(start_due_case("2026-12-15")).due_at == end_of("2026-12-15")  # a Tuesday
    assert open_task_of(start_due_case("2026-12-19")).due_at == end_of("2026-12-21")  # Saturday -> Monday


@pytest.mark.parametrize(
    "due, expected",
    [
        (date(2026, 12, 15), end_of("2026-12-15")),  # a date in the data (a WTForms form's)
        ("2026-12-15T10:00:00+08:00", sh("2026-12-15 10:00")),  # a moment is kept as it is
        (datetime(2026, 12, 19, 10, 0), sh("2026-12-19 10:00")),  # naive: Beijing; a moment on a Saturday stays
    ],
)
def test_a_date_object_or_a_moment_as_the_data_holds_it(app, start_due_case, due, expected):
    assert open_task_of(start_due_case(due)).due_at == expected


@pytest.mark.parametrize(
    "due, reason", [(..., "installment_due"), (None, "None"), ("", "empty"), ("next month", "next month"), (12, "int")]
)
def test_a_failed_or_empty_due_date_is_recorded_and_the_task_keeps_its_sla(app, start_due_case, due, reason):
    case = start_due_case(due)
    assert open_task_of(case).due_at == sh("2026-12-23 09:00")  # 30d
    assert _clock_of(case).sla == "30d"
    (failure,) = _failures(case)
    assert failure["property"] == "dueDate" and reason in failure["error"]


def test_the_deadline_follows_a_calendar_entered_later(app, start_due_case, builtin_until_2026):
    from workflow_app.sla.operations import enter_calendar_year

    case = start_due_case("2027-02-08")  # a Monday of a year the calendar does not know yet
    task = open_task_of(case)
    assert task.due_at == end_of("2027-02-08") and task.due_provisional
    enter_calendar_year(2027, [date(2027, 2, 8), date(2027, 2, 9)], [], "official", None, "the notice")
    db.session.commit()
    task = open_task_of(case)
    assert task.due_at == end_of("2027-02-10") and not task.due_provisional


def test_the_task_completes_after_the_case_is_stored_and_read_again(app, start_due_case):
    case = start_due_case("2026-12-15")
    db.session.expire_all()  # the step's workflow is read back from the database
    complete_task(open_task_of(case).id, {}, None)
    db.session.commit()
    assert db.session.get(ProcessInstance, case.instance_id).status == "completed"
    assert _clock_of(case).stopped_at is not None


def test_given_deadline_reads_what_an_expression_gives():
    assert given_deadline("2027-01-15") == end_of("2027-01-15").astimezone(UTC)
    assert given_deadline(datetime(2027, 1, 15, 1, 30, tzinfo=UTC)) == sh("2027-01-15 09:30")
    with pytest.raises(ValueError):
        given_deadline("15/01/2027")


def test_deploy_refuses_a_due_date_that_does_not_compile(app, deploy):
    bad = one_task(pid="bad_due", props='<spiffworkflow:property name="dueDate" value="installment_due +" />')
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"bad_due.bpmn": bad})
    shown = str(refused.value) + str(getattr(refused.value, "details", ""))
    assert "dueDate" in shown and "bad_due.bpmn" in shown
