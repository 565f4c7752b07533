"""running clocks of open tasks that count nothing are removed: a task without a deadline, a phase or a
pausing lane gets no clock any more, and its completion no longer reads the clocks to stop one, so such a
clock made before would run on after its task closed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pausing = tuple(current_app.config.get("SLA_PAUSE_LANES", ("enterprise",)))
    clock = sa.table(
        "sla_clock",
        sa.column("kind"),
        sa.column("sla"),
        sa.column("phase"),
        sa.column("stopped_at"),
        sa.column("task_id"),
    )
    task = sa.table("task", sa.column("id"), sa.column("role"), sa.column("state"))
    plain_open_tasks = sa.select(task.c.id).where(
        task.c.state == "open", sa.or_(task.c.role.is_(None), task.c.role.not_in(pausing))
    )
    op.execute(
        clock.delete().where(
            clock.c.kind == "task",
            clock.c.sla.is_(None),
            clock.c.phase.is_(None),
            clock.c.stopped_at.is_(None),
            clock.c.task_id.in_(plain_open_tasks),
        )
    )


def downgrade():
    pass  # the removed clocks counted nothing; code before 0012 reads a missing one as none
