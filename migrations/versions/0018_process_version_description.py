"""a process version's description: process_model.json's, for packages deployed with one

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-12 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("process_version", sa.Column("description", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("process_version", "description")  # SQLite 3.35 and later drop a plain column in place
