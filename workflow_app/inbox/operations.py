"""Writes of the inbox: complete, claim, release and reassign a task (each audited on its case)."""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.auth.models import User
from workflow_app.cases.models import Case
from workflow_app.cases.operations import add_attachment, add_comment
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.queries import case_for_instance
from workflow_app.cases.task_handlers import submit_task
from workflow_app.core.errors import ConflictError, Forbidden, InvalidInput, NotFound
from workflow_app.core.time import utcnow
from workflow_app.engine.models import Task
from workflow_app.engine.projections import record_audit
from workflow_app.engine.step import LockedInstance, Step
from workflow_app.extensions import db
from workflow_app.inbox.queries import may_reassign, visible_task_statement
from workflow_app.notifications.operations import settle_task_notices, tell_assignee


def _open_task(task: Task) -> None:
    if task.state != "open":
        raise ConflictError(_l("This task is already closed"))


def claim_task(task: Task, user) -> Task:
    """Take an unassigned task of the group queue; two people claiming at once: one wins."""
    _open_task(task)
    if task.assignee_id == user.id:
        return task
    if task.assignee_id is not None:
        raise ConflictError(_l("%(who)s has already claimed this task", who=task.assignee.display_name))
    if not may_act_on(user, task):
        raise Forbidden(_l("You may not work on this task"))
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.state == "open", Task.assignee_id.is_(None))
        .values(assignee_id=user.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(task)
        holder = task.assignee.display_name if task.assignee else "?"
        raise ConflictError(_l("%(who)s has already claimed this task", who=holder))
    record_audit(task.instance, "task_claimed", user.id, now, task.bpmn_id, task.name)
    settle_task_notices(task.id, now)  # the group's notices of it: someone has taken it
    db.session.flush()
    db.session.refresh(task)
    return task


def release_task(task: Task, user) -> Task:
    """Put a task I hold back into the group queue."""
    _open_task(task)
    if task.assignee_id != user.id:
        raise Forbidden(_l("Only the person holding a task can release it"))
    task.assignee_id = None
    task.claimed_at = None
    record_audit(task.instance, "task_released", user.id, utcnow(), task.bpmn_id, task.name)
    db.session.flush()
    return task


def reassign_task(task: Task, to_user_id: int, reason: str, supervisor) -> Task:
    """A supervisor gives a task to another holder of its role in its unit, with a reason."""
    _open_task(task)
    if not may_reassign(supervisor, task):
        raise Forbidden(_l("Only a supervisor of this unit can reassign its tasks"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Give a reason for reassigning"))
    target = db.session.get(User, to_user_id)
    if (
        target is None
        or not target.active
        or task.role not in target.role_names
        or target.org_unit_id != task.org_unit_id
    ):
        raise InvalidInput(_l("The new assignee must be an active holder of the task's role in its unit"))
    previous = task.assignee
    task.assignee_id = target.id
    task.claimed_at = utcnow()
    record_audit(
        task.instance,
        "task_reassigned",
        supervisor.id,
        task.claimed_at,
        task.bpmn_id,
        task.name,
        {"from": previous.display_name if previous else None, "to": target.display_name, "reason": reason[:1000]},
    )
    case = case_for_instance(task.instance_id)
    tell_assignee(task, case.number if case is not None else "", task.claimed_at)
    db.session.flush()
    return task


def lock_visible_task(user, task_id: int) -> tuple[Task, Case, LockedInstance] | None:
    """Read a task and its case if the user may see the case, with the task's instance locked for the step that
    completes it (None: not there, or not theirs to see). A refusal's rollback lets go of the lock."""
    statement, params = visible_task_statement(user, lock=True)
    found = db.session.execute(statement, {"task_id": task_id, **params}).first()
    if found is None:
        return None
    task, case, instance, spec_key = found
    return task, case, LockedInstance.of_task(task, instance, spec_key)


@dataclass
class TaskAnswer:
    """What a user sends to complete a task: the form's data, and a comment and files to add with it."""

    data: dict
    note: str = ""
    files: Sequence = ()  # (file name, content) pairs
    visibility: str | None = None  # the comment's and the files' (cases.operations.visibility_of)


def complete_task_as(
    user, task_id: int, answer, client_ip=None, max_file_bytes: int = 10 * 1024 * 1024
) -> tuple[Step, Case]:
    """Complete a task the user may see as the user, with the TaskAnswer `answer(task, case)` gives, comment and
    files included: all of it, or (on any refusal) none. Returns the step and the task's case.

    The task is read with its instance locked, in one statement, before `answer` checks what was sent (and may
    refuse it by raising); NotFound when the user may not see it.
    """
    found = lock_visible_task(user, task_id)
    if found is None:
        raise NotFound(_l("No such task, or it is not yours to see"))
    task, case, locked = found
    given = answer(task, case)
    step = submit_task(task.id, given.data, user, client_ip, locked)
    _add_notes(case, task.id, user, given, max_file_bytes)
    return step, case


def submit_task_with_notes(
    task: Task,
    form_data: dict,
    actor,
    note: str = "",
    files=(),
    client_ip=None,
    max_file_bytes: int = 10 * 1024 * 1024,
    visibility: str | None = None,
) -> Case:
    """Complete a task and add the comment and files sent with it: all of it, or (on any refusal) none; return its
    case. `visibility` is the comment's and the files' (see complete_task_as)."""
    case = case_for_instance(task.instance_id)
    submit_task(task.id, form_data, actor, client_ip)
    _add_notes(case, task.id, actor, TaskAnswer(form_data, note, files, visibility), max_file_bytes)
    return case


def _add_notes(case, task_id, actor, given: TaskAnswer, max_file_bytes) -> None:
    if (given.note or "").strip():
        add_comment(case, given.note, actor, task_id=task_id, visibility=given.visibility)
    for file_name, content in given.files:
        add_attachment(case, file_name, content, actor, max_file_bytes, task_id=task_id, visibility=given.visibility)
