"""Writes of notifications: send, mark read."""
import sqlalchemy as sa

from workflow_app.core.time import utcnow
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification


def notify(user_ids, kind: str, data: dict, instance_id=None, task_id=None, clock_id=None, now=None) -> int:
    """Send one notification to each of `user_ids` (each user once); return how many were sent."""
    now = now or utcnow()
    sent = 0
    for user_id in dict.fromkeys(uid for uid in user_ids if uid is not None):
        db.session.add(Notification(user_id=user_id, kind=kind, data=data, instance_id=instance_id, task_id=task_id,
                                    clock_id=clock_id, created_at=now))
        sent += 1
    return sent


def mark_read(notification: Notification, now=None) -> None:
    if notification.read_at is None:
        notification.read_at = now or utcnow()


def mark_all_read(user_id: int, now=None) -> int:
    """Mark every unread notification of a user read; return how many."""
    result = db.session.execute(sa.update(Notification).where(Notification.user_id == user_id,
                                                              Notification.read_at.is_(None))
                                .values(read_at=now or utcnow()))
    return result.rowcount
