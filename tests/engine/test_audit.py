"""Audit events: written with the step that records them, in the order recorded, or not at all."""

import sqlalchemy as sa

from workflow_app.engine.models import AuditEvent
from workflow_app.engine.operations import complete_task
from workflow_app.engine.projections import record_audit
from workflow_app.engine.queries import open_tasks
from workflow_app.engine.step import Step
from workflow_app.extensions import db


def events(instance_id):
    return db.session.execute(
        sa.select(AuditEvent.kind, AuditEvent.task_bpmn_id, AuditEvent.actor_id)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.id)
    ).all()


def test_each_step_writes_its_events_in_the_order_recorded(deploy, create_case, user, check_round_trip):
    deploy("straight_line.bpmn")
    case = create_case("straight_line", {"amount": 5})
    [enter] = open_tasks(case.instance_id)
    complete_task(enter.id, {"quantity": 2}, user.id)
    db.session.commit()
    check_round_trip(case.instance_id)
    assert events(case.instance_id) == [
        ("instance_started", None, None),
        ("task_opened", "enter", None),
        ("task_completed", "enter", user.id),
        ("script_run", "compute", None),
        ("task_opened", "review", None),
    ]


def test_events_recorded_outside_an_operation_are_written_at_once(case, user):
    record_audit(case.instance, "note_added", user.id, case.created_at, data={"n": 1})
    assert events(case.instance_id)[-1] == ("note_added", None, user.id)


def test_a_step_writes_its_events_together_when_it_finishes_and_none_when_it_fails(case, user):
    before = events(case.instance_id)
    failed = Step(case.instance, case.created_at, user.id)
    failed.record_audit("first", user.id)  # its operation then raises: it never finishes
    assert events(case.instance_id) == before

    step = Step(case.instance, case.created_at, user.id)
    step.record_audit("outer", user.id)
    step.record_audit("inner", user.id)
    assert events(case.instance_id) == before  # nothing is written before the step finishes
    step.record_audit("last", user.id)
    step.finish()
    step.record_audit("after", user.id)  # recorded once it finished: written at once
    assert [kind for kind, *_ in events(case.instance_id)[len(before) :]] == ["outer", "inner", "last", "after"]
    assert [row["kind"] for row in step.audit_rows] == ["outer", "inner", "last", "after"]
