"""Writes of notifications: send, mark read; and what the engine's steps tell people (issue 30.6): a task assigned
to them or arriving in their group's queue, a task waiting for their enterprise, their enterprise's case decided."""

import sqlalchemy as sa

from workflow_app.auth.models import Role, User, user_role
from workflow_app.cases.permissions import ENTERPRISE_ROLE
from workflow_app.core.time import utcnow
from workflow_app.engine.process_facts import PORTAL_OUTCOME, PORTAL_TODO, render_text
from workflow_app.engine.queries import ended_through, step_properties
from workflow_app.engine.signals import instance_status_changed, task_closed, task_opened
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.queries import CASE_DECIDED, ENTERPRISE_TODO, TASK_ASSIGNED, TASK_IN_QUEUE, TASK_KINDS


def send_notifications(messages: list[dict], now=None) -> int:
    """Send many notifications in one INSERT; each message names `user_ids`, `kind`, `data` and what it is about."""
    now = now or utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": message["kind"],
            "data": message["data"],
            "instance_id": message.get("instance_id"),
            "task_id": message.get("task_id"),
            "clock_id": message.get("clock_id"),
            "created_at": now,
        }
        for message in messages
        for user_id in dict.fromkeys(uid for uid in message["user_ids"] if uid is not None)
    ]
    if rows:
        db.session.execute(sa.insert(Notification.__table__), rows)
    return len(rows)


def mark_read(notification: Notification, now=None) -> None:
    if notification.read_at is None:
        notification.read_at = now or utcnow()


def mark_all_read(user_id: int, now=None) -> int:
    """Mark every unread notification of a user read; return how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return result.rowcount


# Whom a task's opening tells: its assignee; else the enterprise's users for a task of its lane; else the active
# holders of its role in its unit, once each (whoever takes it settles the others' notices: settle_task_notices)
_QUEUE_MEMBERS = (
    sa.select(User.id)
    .join(user_role, user_role.c.user_id == User.id)
    .join(Role, Role.id == user_role.c.role_id)
    .where(Role.name == sa.bindparam("role"), User.org_unit_id == sa.bindparam("org_unit_id"), User.active.is_(True))
    .order_by(User.id)
)
_ENTERPRISE_USERS = (
    sa.select(User.id)
    .where(User.enterprise_id == sa.bindparam("enterprise_id"), User.active.is_(True))
    .order_by(User.id)
)


def _enterprise_id(data: dict) -> int | None:
    """The case's enterprise, as its data holds it from the start (the case's row may not be written yet)."""
    enterprise = data.get("enterprise")
    value = enterprise.get("id") if isinstance(enterprise, dict) else None
    return value if isinstance(value, int) else None


def _add(user_ids, kind: str, instance_id: int, task, data: dict, now) -> None:
    """Add one notice per user as rows of the running step (written with its task rows: the task's id is taken then)."""
    for user_id in dict.fromkeys(user_ids):
        db.session.add(
            Notification(user_id=user_id, kind=kind, instance_id=instance_id, task=task, data=data, created_at=now)
        )


def _tell_of_opened_task(instance, task=None, workflow_data=None, properties=None, now=None, **_):
    """Tell whoever may do a task that has just opened that it waits for them."""
    data = workflow_data or {}
    facts = {"case": str(data.get("case_number") or ""), "step": task.name}
    with db.session.no_autoflush:  # the step's rows are written at its end, with these
        if task.assignee_id is not None:
            _add([task.assignee_id], TASK_ASSIGNED, instance.id, task, facts, now)
        elif task.role == ENTERPRISE_ROLE:
            enterprise_id = _enterprise_id(data)
            if enterprise_id is None:
                return
            users = db.session.scalars(_ENTERPRISE_USERS, {"enterprise_id": enterprise_id}).all()
            todo = render_text((properties or {}).get(PORTAL_TODO) or "", data)
            _add(users, ENTERPRISE_TODO, instance.id, task, {**facts, "todo": todo}, now)
        else:
            users = db.session.scalars(_QUEUE_MEMBERS, {"role": task.role, "org_unit_id": task.org_unit_id}).all()
            _add(users, TASK_IN_QUEUE, instance.id, task, facts, now)


def _settle_closed_task(instance, task=None, now=None, **_):
    """A task done or cancelled: its notices still unread tell nothing to do any more."""
    if task.id is not None:
        settle_task_notices(task.id, now)


def settle_task_notices(task_id: int, now=None, except_user_id: int | None = None) -> None:
    """Mark read the unread notices of a task that no longer waits for their readers (someone took it, or it is
    done); `except_user_id` keeps its holder's. A plain UPDATE on the connection: inside an engine step nothing is
    flushed before the step's rows are written."""
    statement = (
        sa.update(Notification.__table__)
        .where(
            Notification.task_id == task_id,
            Notification.read_at.is_(None),
            Notification.kind.in_(TASK_KINDS),
        )
        .values(read_at=now or utcnow())
    )
    if except_user_id is not None:
        statement = statement.where(Notification.user_id != except_user_id)
    db.session.connection().execute(statement)


def _tell_of_decided_case(instance, old=None, new=None, workflow_data=None, now=None, **_):
    """Tell the enterprise's users that its case has ended, in the words of the end event it ended through
    (portalOutcome)."""
    data = workflow_data or {}
    enterprise_id = _enterprise_id(data)
    if new != "completed" or enterprise_id is None:
        return
    end_event = ended_through(instance)
    source = step_properties(instance, end_event).get(PORTAL_OUTCOME) if end_event else None
    with db.session.no_autoflush:
        users = db.session.scalars(_ENTERPRISE_USERS, {"enterprise_id": enterprise_id}).all()
        facts = {"case": str(data.get("case_number") or ""), "outcome": render_text(source or "", data)}
        _add(users, CASE_DECIDED, instance.id, None, facts, now or utcnow())


def tell_assignee(task, case_number: str, now=None) -> None:
    """Tell the person a task was just given to (by a supervisor) that it waits for them; the others' notices of it
    are settled."""
    now = now or utcnow()
    settle_task_notices(task.id, now, except_user_id=task.assignee_id)
    _add([task.assignee_id], TASK_ASSIGNED, task.instance_id, task, {"case": case_number, "step": task.name}, now)


def follow_the_engine() -> None:
    """Tell people of the tasks the engine's steps open for them and of their enterprise's cases that end."""
    task_opened.connect(_tell_of_opened_task)
    task_closed.connect(_settle_closed_task)
    instance_status_changed.connect(_tell_of_decided_case)
