"""a user's session version, which every session and "keep me signed in" cookie carries: signing out, a password
change and an administrator's password reset raise it, so that the sessions and cookies issued before end; and
the sign-in failures of one user name from one address in one index (the throttle counts them)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_username_ip_at", ["username", "ip", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_username_ip_at")
    # not in a batch: on SQLite a batch copies the table, and dropping the old one breaks the keys that refer to it
    op.drop_column("user_account", "session_version")
