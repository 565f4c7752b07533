"""Who may act on a task: the rule the inbox, the task page and the API all apply."""

import sqlalchemy as sa

from workflow_app.cases.models import Case
from workflow_app.extensions import db

ENTERPRISE_ROLE = "enterprise"


def may_act_on(user, task) -> bool:
    """The assignee may; an unassigned task is open to holders of its role in its org unit.

    Tasks in the enterprise lane belong to the case's enterprise: only that enterprise's
    users may act on them, whatever unit they sit in.
    """
    if not user.is_active or task.state != "open":
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.role == ENTERPRISE_ROLE:
        if ENTERPRISE_ROLE not in user.role_names or user.enterprise_id is None:
            return False  # bureau staff: no need to read whose case it is
        enterprise_id = db.session.scalar(sa.select(Case.enterprise_id).where(Case.instance_id == task.instance_id))
        return user.enterprise_id == enterprise_id
    return task.role in user.role_names and task.org_unit_id == user.org_unit_id
