"""Reads of the staff's home page: the day's counts, the latest notifications and the timers coming up."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from workflow_app.auth.scopes import units_below
from workflow_app.cases.models import Case
from workflow_app.cases.queries import sees_every_case, visible_case_clause
from workflow_app.core.counts import read_counts_with_top_bar
from workflow_app.engine.models import ProcessInstance, Timer
from workflow_app.engine.waits import TimerWait, describe_timer
from workflow_app.extensions import db
from workflow_app.inbox.queries import queue_counts_of, queue_deadline_counts_of
from workflow_app.notifications.models import Notification
from workflow_app.supervision.queries import open_notice_count_of

DAY_QUEUES = ("mine", "group")  # the queues the home page counts: what waits for me and for my group
UPCOMING_DAYS = 7  # the home page's look ahead at the timers due (the upcoming page takes 1..UPCOMING_DAYS_MAX)
UPCOMING_DAYS_MAX = 90
UPCOMING_LISTED = 200  # rows of the upcoming page at most (the home page shows the first few)


def day_counts(user, now, oversees: bool) -> dict[str, int]:
    """The counts of the day for the user, with the top bar's in one statement: each of DAY_QUEUES open, overdue
    and due today ("mine", "mine_overdue", "mine_due_today", ...), and the open supervision notices of their units
    ("notices", for supervisors and admins)."""
    counts = {**queue_counts_of(user, DAY_QUEUES), **queue_deadline_counts_of(user, DAY_QUEUES, now)}
    if oversees:
        counts["notices"] = open_notice_count_of(user)
    return read_counts_with_top_bar(counts)


def latest_unread_notifications(user_id: int, limit: int = 5) -> list[Notification]:
    """The user's unread notifications, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            # read_at (all null here) too: then PostgreSQL reads ix_notification_user_unread backwards, without a sort
            .order_by(Notification.read_at.desc(), Notification.created_at.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class UpcomingTimer:
    """A timer of a case the user may see, due soon: what the case waits for and until when."""

    wait: TimerWait
    case: Case
    instance: ProcessInstance


def upcoming_timers(user, now, days: int, limit: int = UPCOMING_LISTED) -> list[UpcomingTimer]:
    """The timers of the running cases in the user's unit and below (those the user may see) due within `days`
    days from `now` (and those due already, which the worker is about to fire), soonest first."""
    statement = (
        sa.select(Timer, Case, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .join(Case, Case.instance_id == Timer.instance_id)
        .where(ProcessInstance.status == "running", Timer.due_at <= now + timedelta(days=days))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    if not sees_every_case(user):
        statement = statement.where(
            ProcessInstance.org_unit_id.in_(sorted(units_below(user.org_unit_id))), visible_case_clause(user)
        )
    return [
        UpcomingTimer(describe_timer(instance, timer), case, instance)
        for timer, case, instance in db.session.execute(statement)
    ]
