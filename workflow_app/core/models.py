"""Column types and mixins shared by every domain's models."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from workflow_app.core.time import utcnow


class UTCDateTime(TypeDecorator):
    """Store a UTC timestamp; always hand back an aware UTC datetime.

    SQLite keeps no zone, so values are normalised to naive UTC on the way in and
    marked UTC on the way out; PostgreSQL gets `timestamptz`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class CreatedAtMixin:
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)


def as_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime for an aware or naive-UTC value."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def trigram_index(name: str, table_column: str) -> sa.Index:
    """A PostgreSQL trigram index, which serves `column ILIKE '%text%'`; SQLite gets none (its search reads the table)."""
    return sa.Index(
        name,
        table_column,
        postgresql_using="gin",
        postgresql_ops={table_column: "gin_trgm_ops"},
        info={"only_on": "postgresql"},
    ).ddl_if(dialect="postgresql")


def made_on(schema_object, dialect_name: str) -> bool:
    """Whether the migrations make this schema object on a database of this dialect (see `trigram_index`)."""
    only_on = getattr(schema_object, "info", {}).get("only_on")
    return only_on is None or only_on == dialect_name
