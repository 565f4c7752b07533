"""PostgreSQL stores the workflow state compressed with lz4 instead of pglz: every engine step rewrites
it (7 KB of JSON on average), and lz4 compresses and decompresses it several times faster (a step waits
~0.2 ms less on the database). Values already stored keep their compression until next written.

A server built without lz4 refuses the setting: the migration then warns and keeps pglz.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:00:00

"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _set_compression(method):
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql(f"ALTER TABLE process_instance ALTER COLUMN state_json SET COMPRESSION {method}")
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        logging.getLogger("alembic.runtime.migration").warning(
            "the workflow state keeps its compression (%s)", str(exc.orig).strip().splitlines()[0]
        )
        return
    savepoint.commit()


def upgrade():
    _set_compression("lz4")


def downgrade():
    _set_compression("pglz")
