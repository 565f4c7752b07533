"""each timer worker's heartbeat: its last pass, counts and sweep durations (readiness, metrics, the admin page)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-14 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passes", sa.BigInteger(), nullable=False),
        sa.Column("timers_fired", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("last_pass_seconds", sa.Float(), nullable=False),
        sa.Column("sweep_seconds", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeat")),
    )


def downgrade():
    op.drop_table("worker_heartbeat")
