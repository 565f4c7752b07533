"""the dashboard's reads from indexes: running task clocks with every column the counts need, the ranking's
audit events by kind and time

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN_TASK_CLOCK = "kind = 'task' AND stopped_at IS NULL"
# what the counts by county, section and person read besides the key (PostgreSQL answers from the index)
COUNTED = ["warn_at", "paused_since", "org_unit_id", "section", "task_id"]


def upgrade():
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clock_open_task_due")
        batch_op.create_index(
            "ix_sla_clock_open_task_due",
            ["due_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_TASK_CLOCK),
            sqlite_where=sa.text(OPEN_TASK_CLOCK),
            postgresql_include=COUNTED,
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_kind_at", ["kind", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_kind_at")
    with op.batch_alter_table("sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clock_open_task_due")
        batch_op.create_index(
            "ix_sla_clock_open_task_due",
            ["due_at", "id"],
            unique=False,
            postgresql_where=sa.text(OPEN_TASK_CLOCK),
            sqlite_where=sa.text(OPEN_TASK_CLOCK),
        )
