"""Submitting a task's form: the engine completes it, unless a domain handles that formKey itself.

Domains above `cases` (e.g. agreements) register handlers for the form keys whose completion
must also write their own records (an agreement drafted, signed, a payment recorded) in the
same transaction. The task page and the API call `submit_task`, so every path obeys the same rules.
"""
from flask_babel import lazy_gettext as _l

from workflow_app.cases.permissions import may_act_on
from workflow_app.core.errors import Forbidden, NotFound
from workflow_app.engine.models import Task
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db

TASK_HANDLERS = {}


def register_task_handler(form_key: str):
    """Register `handler(task, form_data, actor, client_ip)` for a formKey."""
    def decorate(handler):
        TASK_HANDLERS[form_key] = handler
        return handler
    return decorate


def submit_task(task_id: int, form_data: dict, actor, client_ip: str | None = None):
    """Complete a task with validated form data as `actor` (who must be allowed to act on it)."""
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_l("No such task"))
    if task.state == "open" and not may_act_on(actor, task):
        raise Forbidden(_l("You may not work on this task"))
    handler = TASK_HANDLERS.get(task.form_key)
    if handler is not None and task.state == "open":
        return handler(task, form_data, actor, client_ip)
    return complete_task(task.id, form_data, actor.id)
