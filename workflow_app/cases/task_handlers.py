"""Submitting a task's form: the engine completes it, unless the task's model names an operation that does.

Domains above `cases` (e.g. agreements) register named operations for the steps whose completion must also write
their own records (an agreement drafted, signed, a payment recorded) in the same transaction; a user task names
its operation in its `operation` property, and deploying refuses a name no domain registered. The task page and
the API call `submit_task`, so every path obeys the same rules.
"""

from flask_babel import lazy_gettext as _l

from workflow_app.cases.permissions import may_act_on
from workflow_app.core.errors import Forbidden, NotFound
from workflow_app.engine.models import Task
from workflow_app.engine.operations import complete_task
from workflow_app.engine.parsing import OPERATION, OPERATION_NAMES
from workflow_app.engine.queries import model_property
from workflow_app.engine.step import LockedInstance
from workflow_app.extensions import db

TASK_HANDLERS = {}


def register_task_handler(name: str):
    """Register `handler(task, form_data, actor, client_ip)` as the operation `name`, which a user task's model names
    in its `operation` property."""

    def decorate(handler):
        TASK_HANDLERS[name] = handler
        OPERATION_NAMES.add(name)
        return handler

    return decorate


def task_operation(task: Task) -> str | None:
    """The operation a task's model names (a task of an older version: the one its process's newest version names
    for the step, see engine.queries.model_property)."""
    return model_property(task.instance, task.bpmn_id, OPERATION)


def submit_task(
    task_id: int, form_data: dict, actor, client_ip: str | None = None, locked: LockedInstance | None = None
):
    """Complete a task with validated form data as `actor` (who must be allowed to act on it); return the step.

    `locked`: the task's instance as the caller read it with its lock in this transaction, which the engine's step
    takes as its own (a named operation's step locks and reads it again)."""
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_l("No such task"))
    if task.state == "open" and not may_act_on(actor, task):
        raise Forbidden(_l("You may not work on this task"))
    handler = TASK_HANDLERS.get(task_operation(task)) if task.state == "open" else None
    if handler is not None:
        return handler(task, form_data, actor, client_ip)
    return complete_task(task.id, form_data, actor.id, locked)
