"""Fixtures for driving the bureau's processes as their users would, through the forms and the engine."""

from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from forms import FORM_CLASSES, form_class_for
from forms.base import TaskForm
from tests.conftest import let_time_pass
from workflow_app.auth.queries import find_org_unit
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.schema_tasks import answer, task_form_context, task_schema_form
from workflow_app.cases.task_handlers import submit_task
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import current_data
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


def open_task(case, bpmn_id):
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Task).where(Task.instance_id == case.instance_id, Task.state == "open", Task.bpmn_id == bpmn_id)
    ).all()
    assert len(rows) == 1, f"expected one open {bpmn_id}; open: {open_steps(case)}"
    return rows[0]


def open_steps(case):
    return sorted(
        db.session.scalars(sa.select(Task.bpmn_id).where(Task.instance_id == case.instance_id, Task.state == "open"))
    )


def assert_task_for(case, bpmn_id, role, org_code, assignee=None):
    task = open_task(case, bpmn_id)
    assert task.role == role
    assert task.org_unit_id == find_org_unit(org_code).id, f"{bpmn_id} is in the wrong unit"
    assert task.assignee_id == (assignee.id if assignee else None)
    return task


def form_for(case, bpmn_id, data):
    task = open_task(case, bpmn_id)
    return task, form_class_for(task.form_key)(formdata=MultiDict(data), case_data=current_data(case.instance))


def submit(case, bpmn_id, user, data):
    """Fill the task's form as `user` and submit it, as the task page does: a JSON Schema form takes `data` as the
    API would send it (and runs the rules it names), a hand-written form as the fields a browser posts."""
    task = open_task(case, bpmn_id)
    assert may_act_on(user, task), f"{user.username} may not act on {bpmn_id} ({task.role}, unit {task.org_unit_id})"
    schema = task_schema_form(task)
    if schema is not None:
        errors = schema.validate(data, task_form_context(task, user))
        assert not errors, errors
        submitted = answer(schema, data)
    else:
        _task, form = form_for(case, bpmn_id, data)
        assert form.validate(), form.errors
        submitted = form.task_data()
    submit_task(task.id, submitted, user, client_ip="127.0.0.1")
    db.session.commit()
    return task


def form_errors(case, bpmn_id, data, user=None):
    """What the task's form says of `data`: {field (a JSON Schema form's path): [messages]}."""
    task = open_task(case, bpmn_id)
    schema = task_schema_form(task)
    if schema is not None:
        errors = schema.validate(data, task_form_context(task, user))
        assert errors
        return {path: [message] for path, message in errors.items()}
    _task, form = form_for(case, bpmn_id, data)
    assert not form.validate()
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def fire_timers_when_due(seconds=0.15):
    let_time_pass(seconds)
    fired = run_worker_pass()["fired"]
    db.session.expire_all()
    return fired


def audit_kinds(case):
    return db.session.scalars(
        sa.select(AuditEvent.kind).where(AuditEvent.instance_id == case.instance_id).order_by(AuditEvent.id)
    ).all()


def completed_steps(case):
    """BPMN ids of completed tasks with who completed them, in order."""
    rows = db.session.execute(
        sa.select(AuditEvent.task_bpmn_id, AuditEvent.actor_id)
        .where(AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "task_completed")
        .order_by(AuditEvent.id)
    )
    return [(bpmn_id, actor_id) for bpmn_id, actor_id in rows]


class _GoneForm(TaskForm):
    """Stands for a hand-written form of an old version while it is deployed (the classes are gone since)."""

    anything = StringField()


def deploy_old_version(files: dict[str, Path], form_keys) -> None:
    """Deploy a version from before the packages, whose steps name hand-written forms by `form_keys`."""
    for key in form_keys:
        FORM_CLASSES[key] = _GoneForm
    try:
        deploy_sources({name: path.read_bytes() for name, path in files.items()})
        db.session.commit()
    finally:
        for key in form_keys:
            del FORM_CLASSES[key]


def deploy_package(app, name: str) -> None:
    """Deploy the package bpmn/<name>/ as it is now."""
    deploy_sources(read_sources([Path(app.config["BPMN_DIR"]) / name]))
    db.session.commit()
