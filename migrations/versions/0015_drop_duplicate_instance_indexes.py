"""the task and timer tables lose their index on instance_id alone: the unique index on (instance_id,
spiff_task_id) serves every lookup by instance, and each step that writes a task row (an INSERT, or an UPDATE
of its state, which is indexed, so never a HOT update) maintained both

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:00:00

"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("task", "timer"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_instance_id")


def downgrade():
    for table in ("task", "timer"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_instance_id", ["instance_id"], unique=False)
