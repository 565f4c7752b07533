"""A notification to one user; its text is made from `kind` and `data` in the reader's language."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from workflow_app.core.models import UTCDateTime
from workflow_app.core.row_writes import written_directly
from workflow_app.extensions import db


@written_directly  # an engine step tells people of the tasks it opens: written with the step's rows
class Notification(db.Model):
    """One message to one user about a case (and maybe a task or a supervision notice)."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "created_at"),
        # a task taken or done: the notices of it that are still unread are settled (notifications.operations)
        sa.Index("ix_notification_task_unread", "task_id", "read_at"),
        # a clock's ladder step notifies each user once, even when two sweeps race
        sa.UniqueConstraint("user_id", "clock_id", "kind", name="uq_notification_user_id_clock_id_kind"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    kind = sa.Column(sa.String(30), nullable=False)  # one of notifications.queries.NOTIFICATION_KINDS
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=True)
    task_id = sa.Column(sa.ForeignKey("task.id", ondelete="SET NULL"), nullable=True)
    clock_id = sa.Column(sa.Integer, nullable=True)  # the SLA clock that caused it (no FK: sla sits above)
    data = sa.Column(sa.JSON, nullable=False, default=dict)  # the facts the message names (case number, step, ...)
    created_at = sa.Column(UTCDateTime(), nullable=False)
    read_at = sa.Column(UTCDateTime(), nullable=True)

    task = relationship("Task")
