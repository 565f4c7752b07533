"""Audit events: written with the step that records them, in the order recorded, or not at all."""

import pytest
import sqlalchemy as sa

from workflow_app.engine.models import AuditEvent
from workflow_app.engine.operations import complete_task
from workflow_app.engine.projections import audit_batch, record_audit
from workflow_app.engine.queries import open_tasks
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


def test_a_batch_writes_nothing_when_its_block_fails_and_an_inner_batch_joins_the_outer(case, user):
    before = events(case.instance_id)
    with pytest.raises(RuntimeError):
        with audit_batch():
            record_audit(case.instance, "first", user.id, case.created_at)
            raise RuntimeError("the step failed")
    assert events(case.instance_id) == before

    with audit_batch():
        record_audit(case.instance, "outer", user.id, case.created_at)
        with audit_batch():
            record_audit(case.instance, "inner", user.id, case.created_at)
        assert events(case.instance_id) == before  # the inner block wrote nothing on its own
        record_audit(case.instance, "last", user.id, case.created_at)
    assert [kind for kind, *_ in events(case.instance_id)[len(before) :]] == ["outer", "inner", "last"]
