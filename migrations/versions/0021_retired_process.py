"""retired processes: ids an administrator retired (no new cases; running ones finish)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_process",
        sa.Column("process_id", sa.String(length=100), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["retired_by_id"], ["user_account.id"], name=op.f("fk_retired_process_retired_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_retired_process")),
    )


def downgrade():
    op.drop_table("retired_process")
