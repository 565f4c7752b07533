"""Reads of notifications: a user's list, the unread count, and each one's text in the reader's language."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from workflow_app.cases.models import Case
from workflow_app.core.pagination import Page, paginate
from workflow_app.core.time import format_local
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification

# what the engine's steps tell people (notifications.operations): a task to do, and how an enterprise's case ended
TASK_ASSIGNED = "task_assigned"  # to the person a task was given to
TASK_IN_QUEUE = "task_in_queue"  # to each member of the group whose queue a task arrived in
ENTERPRISE_TODO = "enterprise_todo"  # to each user of the enterprise a task of its lane waits for
CASE_DECIDED = "case_decided"  # to each user of the enterprise whose case ended
TASK_KINDS = (TASK_ASSIGNED, TASK_IN_QUEUE, ENTERPRISE_TODO)
NOTIFICATION_KINDS = (
    *TASK_KINDS,
    CASE_DECIDED,
    "task_at_risk",
    "task_overdue",
    "supervision_notice",
    "supervision_escalated",
    "installment_due_soon",
    "installment_missed",
    "agreement_defaulted",
)


_UNREAD_COUNT = (
    sa.select(sa.func.count())
    .select_from(Notification)
    .where(Notification.user_id == sa.bindparam("unread_user_id"), Notification.read_at.is_(None))
    .scalar_subquery()
)


def unread_count(user_id: int) -> tuple:
    """The count of a user's unread notifications, for core.counts.read_counts."""
    return _UNREAD_COUNT, {"unread_user_id": user_id}


def notifications_page(user_id: int, number: int, per_page: int, unread_only: bool = False) -> Page:
    """A user's notifications, unread first, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    return paginate(query.options(selectinload(Notification.task)), number, per_page, scalars=True)


def own_notification(user_id: int, notification_id: int) -> Notification | None:
    return db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )


def notice_case_id(notification: Notification) -> int | None:
    """The case a notification is about (an engine step's notices name its instance: the case may not have had its
    row yet when they were written)."""
    case_id = (notification.data or {}).get("case_id")
    if case_id or notification.instance_id is None:
        return case_id
    return db.session.scalar(sa.select(Case.id).where(Case.instance_id == notification.instance_id))


def _due(data) -> str:
    try:
        return format_local(datetime.fromisoformat(data.get("due", "")))
    except ValueError:
        return ""


def notification_text(notification: Notification) -> str:
    """Say what the notification is about, in the reader's language."""
    data = notification.data or {}
    facts = {
        "case": data.get("case", ""),
        "step": data.get("step", ""),
        "due": _due(data),
        "notice": data.get("notice", ""),
    }
    if notification.kind == "task_at_risk":
        return _("Case %(case)s: the step “%(step)s” is at risk; it is due %(due)s.", **facts)
    if notification.kind == "task_overdue":
        return _(
            "Case %(case)s: the step “%(step)s” is overdue since %(due)s; a supervision notice has been issued.",
            **facts,
        )
    if notification.kind == "supervision_notice":
        return _("Supervision notice %(notice)s: case %(case)s, step “%(step)s”, overdue since %(due)s.", **facts)
    if notification.kind == "supervision_escalated":
        return _(
            "Escalated to the city: supervision notice %(notice)s, case %(case)s, step “%(step)s”, "
            "overdue since %(due)s.",
            **facts,
        )
    if notification.kind in ("installment_due_soon", "installment_missed", "agreement_defaulted"):
        return _installment_text(notification.kind, data)
    if notification.kind in (*TASK_KINDS, CASE_DECIDED):
        return _work_text(notification.kind, data, facts)
    return _("Case %(case)s: %(step)s", **facts)


def _work_text(kind, data, facts) -> str:
    if kind == TASK_ASSIGNED:
        return _("Case %(case)s: the step “%(step)s” is assigned to you.", **facts)
    if kind == TASK_IN_QUEUE:
        return _("Case %(case)s: the step “%(step)s” waits in your group's queue.", **facts)
    if kind == ENTERPRISE_TODO:
        if data.get("todo"):  # the model's words (portalTodo), as the portal shows them
            return _("Case %(case)s: %(todo)s", case=facts["case"], todo=data["todo"])
        return _("Case %(case)s: please complete “%(step)s”.", **facts)
    if data.get("outcome"):  # the end event's words (portalOutcome)
        return _("Case %(case)s has been decided: %(outcome)s", case=facts["case"], outcome=data["outcome"])
    return _("Case %(case)s has been closed.", **facts)


def _installment_text(kind, data) -> str:
    facts = {
        "case": data.get("case", ""),
        "seq": data.get("seq", ""),
        "amount": data.get("amount", ""),
        "day": data.get("day", ""),
        "grace": data.get("grace", ""),
    }
    if kind == "installment_due_soon":
        return _("Agreement %(case)s: installment %(seq)s, %(amount)s yuan, is due on %(day)s.", **facts)
    if kind == "installment_missed":
        return _(
            "Agreement %(case)s: installment %(seq)s, %(amount)s yuan, was due on %(day)s and is not recorded "
            "as paid. Pay it by %(grace)s; after that the agreement ends and late fees are no longer waived.",
            **facts,
        )
    return _(
        "Agreement %(case)s has ended: installment %(seq)s was not paid by the end of its grace period, so "
        "late fees are no longer waived.",
        **facts,
    )
