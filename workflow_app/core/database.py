"""Engine settings that differ per database."""
import time

import sqlalchemy as sa

from workflow_app.extensions import db


def configure_engine_events(app) -> None:
    """SQLite: WAL, foreign keys, a busy timeout (a web app with a worker thread); a server: test idle connections."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            _ping_connections_after_idle(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
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


def _ping_connections_after_idle(engine, idle_seconds: float) -> None:
    """Test a pooled connection on checkout when it was unused for `idle_seconds`; replace it if the server dropped it.

    SQLAlchemy's pool_pre_ping tests every checkout: one more round trip for every request. A connection
    returned moments ago is alive, short of a server restart in between, which fails that request and
    makes the pool drop every older connection (SQLAlchemy invalidates the pool on a disconnect).
    """
    @sa.event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # a new connection, or one in use moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa.exc.InvalidatePoolError() from exc  # the pool connects afresh and forgets older connections
            raise
