"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow_app.core.models import made_on
from workflow_app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,  # the trigram indexes exist on PostgreSQL only
            "include_object": lambda item, *_: made_on(item, connection.dialect.name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
