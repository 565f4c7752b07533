"""Suspend, resume, cancel and retry a case; every change audited."""

import pytest
import sqlalchemy as sa

from tests.conftest import let_time_pass
from tests.engine.test_scripts import process
from workflow_app.core.errors import ConflictError, InvalidInput
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.engine.operations import (
    cancel_instance,
    complete_task,
    resume_instance,
    retry_instance,
    suspend_instance,
)
from workflow_app.engine.queries import current_data, instance_timers, open_tasks
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


def kinds(instance_id):
    return db.session.scalars(
        sa.select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ).all()


def test_suspended_case_refuses_work_and_its_timers_wait(deploy, create_case, user, check_round_trip):
    deploy("timer_interrupting.bpmn")
    case = create_case("timer_interrupting", {"timeout": "PT0.1S"})
    suspend_instance(case.instance_id, "waiting for the court", user.id)
    db.session.commit()
    [task] = open_tasks(case.instance_id)
    with pytest.raises(ConflictError, match="案件已挂起"):
        complete_task(task.id, {}, user.id)
    db.session.rollback()
    let_time_pass(0.2)
    assert run_worker_pass()["fired"] == 0
    resume_instance(case.instance_id, "court decided", user.id)
    db.session.commit()
    assert run_worker_pass()["fired"] == 1
    db.session.expire_all()
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["escalated"]
    check_round_trip(case.instance_id)
    assert kinds(case.instance_id).count("instance_suspended") == 1
    suspended = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.kind == "instance_suspended"))
    assert suspended.data["reason"] == "waiting for the court" and suspended.actor_id == user.id


def test_cancel_closes_tasks_and_timers(deploy, create_case, user, check_round_trip):
    deploy("timer_interrupting.bpmn")
    case = create_case("timer_interrupting", {"timeout": "PT1H"})
    with pytest.raises(InvalidInput):
        cancel_instance(case.instance_id, "  ", user.id)
    cancel_instance(case.instance_id, "duplicate case", user.id)
    db.session.commit()
    assert case.instance.status == "cancelled"
    assert open_tasks(case.instance_id) == [] and instance_timers(case.instance_id) == []
    assert db.session.scalar(sa.select(Task.state).where(Task.instance_id == case.instance_id)) == "cancelled"
    with pytest.raises(ConflictError):
        cancel_instance(case.instance_id, "again", user.id)


def test_failed_script_marks_the_case_and_retry_after_a_data_fix_continues(deploy, create_case, user, check_round_trip):
    deploy(sources=process("result = 100 / divisor"))
    case = create_case("scripted", {"divisor": 0})
    assert case.instance.status == "error"
    assert "division by zero" in case.instance.error_message
    check_round_trip(case.instance_id)
    assert open_tasks(case.instance_id) == []
    retry_instance(case.instance_id, {"divisor": 4}, user.id)
    db.session.commit()
    assert case.instance.status == "running" and case.instance.error_message is None
    assert current_data(case.instance)["result"] == 25
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["after"]
    check_round_trip(case.instance_id)
    history = kinds(case.instance_id)
    assert history.index("instance_error") < history.index("instance_retried") < history.index("instance_running")
    with pytest.raises(ConflictError, match="只有因错误停止的案件可以重试"):
        retry_instance(case.instance_id, None, user.id)


def test_a_case_in_error_suspended_and_resumed_is_still_in_error(deploy, create_case, user):
    deploy(sources=process("result = 1 / 0"))
    case = create_case("scripted")
    suspend_instance(case.instance_id, "investigating", user.id)
    resume_instance(case.instance_id, "investigated", user.id)
    db.session.commit()
    assert case.instance.status == "error" and "division by zero" in case.instance.error_message
