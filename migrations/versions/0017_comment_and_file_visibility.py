"""who sees a comment or a file: 'internal' (the bureau's staff only) or 'shared' (the case's enterprise too)

What a bureau expects of the rows already there: what the enterprise could see until now, and is its own, stays
visible to it; the rest becomes internal. So the comments and files that an enterprise's users wrote or uploaded
(payment proofs, documents sent with its steps) are 'shared', and those of the bureau's staff are 'internal':
the staff were told that their notes and files were for those handling the case, although the portal listed
(and served) their files to the enterprise. A handler who wants the enterprise to have one of them uploads it
again as shared (an item's visibility is not changed afterwards). The downgrade drops the columns: every row is
then as visible as before 0017.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# (table, the column naming who wrote the row)
WRITTEN_BY = (("case_comment", "author_id"), ("attachment", "uploaded_by_id"))


def upgrade():
    user = sa.table("user_account", sa.column("id"), sa.column("enterprise_id"))
    enterprise_users = sa.select(user.c.id).where(user.c.enterprise_id.is_not(None))
    for table_name, writer in WRITTEN_BY:
        # a plain ADD COLUMN, also on SQLite: the attachment table is referenced (by installment), so no copy of it
        op.add_column(
            table_name, sa.Column("visibility", sa.String(length=10), server_default="internal", nullable=False)
        )
        table = sa.table(table_name, sa.column(writer), sa.column("visibility"))
        op.execute(table.update().where(table.c[writer].in_(enterprise_users)).values(visibility="shared"))


def downgrade():
    for table_name, _writer in WRITTEN_BY:
        op.drop_column(table_name, "visibility")  # SQLite 3.35 and later drop a plain column in place
