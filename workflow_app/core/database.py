"""Engine settings that differ per database."""
import sqlalchemy as sa

from workflow_app.extensions import db


def configure_engine_events(app) -> None:
    """Make SQLite behave for a web app with a worker thread: WAL, foreign keys, a busy timeout."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: consistent after any crash; only a power cut may lose the last commits
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
