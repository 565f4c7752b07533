"""indexes for the pages at scale: the unclaimed queue in page order, finished phases by month, running
clocks and open notices in page order

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UNCLAIMED = "state = 'open' AND assignee_id IS NULL"
OPEN_TASK_CLOCK = "kind = 'task' AND stopped_at IS NULL"
OPEN_NOTICE = "acknowledged_at IS NULL"


def upgrade():
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_unclaimed_queue",
            ["org_unit_id", "role", "due_at", "id"],
            unique=False,
            postgresql_where=sa.text(UNCLAIMED),
            sqlite_where=sa.text(UNCLAIMED),
        )
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_clock_phase_stopped",
            ["kind", "phase", "stopped_at"],
            unique=False,
            postgresql_include=["due_at", "org_unit_id"],
        )
        batch_op.create_index(
            "ix_sla_clock_open_task_due",
            ["due_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_TASK_CLOCK),
            sqlite_where=sa.text(OPEN_TASK_CLOCK),
        )
    with op.batch_alter_table("supervision_notice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_notice_open_issued",
            ["issued_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_NOTICE),
            sqlite_where=sa.text(OPEN_NOTICE),
        )


def downgrade():
    with op.batch_alter_table("supervision_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_notice_open_issued")
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clock_open_task_due")
        batch_op.drop_index("ix_sla_clock_phase_stopped")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_unclaimed_queue")
