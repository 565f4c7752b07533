"""the case list from indexes: newest first (created_at, id); and its search on PostgreSQL: trigram indexes
on the case number, the case title and the enterprise name (pg_trgm), which serve `ILIKE '%text%'`

Without the extension (a server without PostgreSQL's contrib modules, or a database user that may not
create it) the indexes are left out with a warning: the search then reads the whole case table, as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21 14:30:00

"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_case_record_number_trgm", "case_record", "number"),
    ("ix_case_record_title_trgm", "case_record", "title"),
    ("ix_enterprise_name_trgm", "enterprise", "name"),
]


def _trigrams_available(bind) -> bool:
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        logging.getLogger("alembic.runtime.migration").warning(
            "pg_trgm is not available (%s); the case search will read the whole case table",
            str(exc.orig).strip().splitlines()[0],
        )
        return False
    savepoint.commit()
    return True


def upgrade():
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index("ix_case_record_created_at_id", ["created_at", "id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams_available(bind):
        return
    for name, table, column in INDEXES:
        op.create_index(
            name, table, [column], unique=False, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("ix_case_record_created_at_id")
