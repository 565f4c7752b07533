"""What a submitted step did, said to whoever submitted it: the outcome chosen, and where the case went next.

Built from what the step produced (the tasks it opened, who holds them or whose queue they wait in, the case's
state), the same for every process: the words come from the model (step names, the choices' titles).
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from forms.schema_html import outcome_title
from workflow_app.auth.queries import role_label
from workflow_app.auth.scopes import unit_name
from workflow_app.cases.permissions import ENTERPRISE_ROLE
from workflow_app.core.time import format_local
from workflow_app.engine.models import Task
from workflow_app.engine.queries import instance_timers
from workflow_app.extensions import db


def opened_by(task: Task) -> list[Task]:
    """The open tasks that completing `task` opened (in the same engine step: opened when it was completed)."""
    if task.completed_at is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Task)
            .where(Task.instance_id == task.instance_id, Task.state == "open", Task.created_at == task.completed_at)
            .order_by(Task.id)
        )
    )


def _holder(task: Task, user) -> str:
    if task.assignee_id is not None and task.assignee_id == user.id:
        return _("in your own tasks")
    if task.assignee is not None:
        return _("with %(who)s", who=task.assignee.display_name)
    if task.role == ENTERPRISE_ROLE:
        return _("waiting for the enterprise")
    return _("in the queue of %(role)s, %(unit)s", role=role_label(task.role), unit=unit_name(task.org_unit_id))


def _sentences(said: list[str]) -> str:
    text = said[0]
    for sentence in said[1:]:
        text = _("%(sentence)s %(next)s", sentence=text, next=sentence)
    return text


def submission_message(task: Task, case, form, data: dict, user, opened: list[Task] | None = None) -> str:
    """What to tell `user` who just completed `task` of `case` with `data` (through the JSON Schema `form`, or None):
    what they chose, and the steps the case went on to with who holds them, or that it is closed or waits.

    `opened`: the task rows the step opened, when the caller holds them (an engine Step's); else they are read."""
    outcome = outcome_title(form, data) if form is not None else None
    if outcome:
        said = [_("“%(step)s” of case %(number)s: %(outcome)s.", step=task.name, number=case.number, outcome=outcome)]
    else:
        said = [_("“%(step)s” of case %(number)s has been submitted.", step=task.name, number=case.number)]
    instance = task.instance
    if instance.status == "completed":
        said.append(_("The case is closed."))
        return _sentences(said)
    if instance.status != "running":
        return _sentences(said)  # the page says why it stopped
    opened = [row for row in opened if row.state == "open"] if opened is not None else opened_by(task)
    if opened:
        steps = _("; ").join(
            _("“%(step)s”, %(holder)s", step=next_task.name, holder=_holder(next_task, user)) for next_task in opened
        )
        said.append(_("Next: %(steps)s.", steps=steps))
        return _sentences(said)
    still_open = db.session.scalars(
        sa.select(Task.name).where(Task.instance_id == task.instance_id, Task.state == "open").distinct()
    ).all()
    if still_open:
        said.append(_("Still open: %(steps)s.", steps=_("; ").join(f"“{name}”" for name in still_open)))
        return _sentences(said)
    timers = instance_timers(task.instance_id)
    if timers:
        said.append(_("The case now waits until %(when)s.", when=format_local(timers[0].due_at, "%Y-%m-%d %H:%M")))
    return _sentences(said)
