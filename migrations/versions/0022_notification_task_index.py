"""notifications of a task found by the task: those still unread are settled when it is taken or done (issue 30.6)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:00:00

"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notification_task_unread", "notification", ["task_id", "read_at"], unique=False)


def downgrade():
    op.drop_index("ix_notification_task_unread", table_name="notification")
