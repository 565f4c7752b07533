"""the enterprise register's legal representative, contact, street and key-enterprise flag, and whether an entry
still waits for an admin's confirmation (a dispatcher registered it from a referral); a case's external reference
(the command centre's own ticket number)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-13 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMNs: a batch rebuild of `enterprise` would trip the foreign keys that point at it on SQLite
    op.add_column("enterprise", sa.Column("legal_representative", sa.String(50), nullable=True))
    op.add_column("enterprise", sa.Column("contact_person", sa.String(50), nullable=True))
    op.add_column("enterprise", sa.Column("contact_phone", sa.String(20), nullable=True))
    op.add_column("enterprise", sa.Column("street", sa.String(100), nullable=True))
    op.add_column("enterprise", sa.Column("key_enterprise", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column(
        "enterprise", sa.Column("awaiting_confirmation", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("case_record", sa.Column("external_ref", sa.String(60), nullable=True))
    op.create_index("ix_case_record_external_ref", "case_record", ["external_ref"])


def downgrade():
    op.drop_index("ix_case_record_external_ref", table_name="case_record")
    op.drop_column("case_record", "external_ref")
    for column in (
        "awaiting_confirmation",
        "key_enterprise",
        "street",
        "contact_phone",
        "contact_person",
        "legal_representative",
    ):
        op.drop_column("enterprise", column)
