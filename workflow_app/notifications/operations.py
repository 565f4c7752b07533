"""Writes of notifications: send, mark read."""

import sqlalchemy as sa

from workflow_app.core.time import utcnow
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification


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
