"""payment proofs of installments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("installment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof_attachment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proof_uploaded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_installment_proof_attachment_id_attachment"),
            "attachment",
            ["proof_attachment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("installment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_installment_proof_attachment_id_attachment"), type_="foreignkey")
        batch_op.drop_column("proof_uploaded_at")
        batch_op.drop_column("proof_attachment_id")
