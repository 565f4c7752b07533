"""Engine settings that differ per database."""

import time
import weakref
from collections.abc import Sequence

import psycopg
import sqlalchemy as sa
from psycopg.pq import ExecStatus

from workflow_app.extensions import db


def configure_engine_events(app) -> None:
    """SQLite: WAL, foreign keys, a busy timeout (a web app with a worker thread); a server: test idle connections,
    keep prepared statements, describe results on demand."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            _ping_connections_after_idle(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
            if engine.dialect.driver == "psycopg":
                _describe_columns_on_demand(engine)
                if app.config["DATABASE_PREPARED_STATEMENTS"]:
                    _end_reads_with_commit(engine)
                else:
                    _never_prepare(engine)
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


def _describe_columns_on_demand(engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _use_cursor(dbapi_connection, _record):
        dbapi_connection.cursor_factory = CursorDescribingOnDemand


class _Description(Sequence):
    """A result's columns, made when one is first read (from the result the cursor held when asked)."""

    __slots__ = ("_cursor", "_result", "_columns")

    def __init__(self, cursor, result):
        self._cursor, self._result, self._columns = cursor, result, None

    def __len__(self):
        return self._result.nfields

    def __getitem__(self, index):
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("a cursor's description was read after the cursor ran another statement")
            self._columns = psycopg.Cursor.description.fget(self._cursor)
        return self._columns[index]


class CursorDescribingOnDemand(psycopg.Cursor):
    """A psycopg cursor whose `description` makes its column objects when one is first read, not at every statement.

    SQLAlchemy reads `cursor.description` after every statement that returns rows, but for a statement from its
    compiled cache it only checks that it is not None: the result's columns are known already. psycopg builds a
    Column object per column at each read (a task row has 20): 4.9% of an API lifecycle's instructions (callgrind).
    """

    __slots__ = ()

    @property
    def description(self):
        result = self.pgresult
        if result is not None and (result.nfields or result.status in _RETURNS_ROWS):
            return _Description(self, result)
        return None


_RETURNS_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)  # as psycopg's description


def _never_prepare(engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _no_prepared_statements(dbapi_connection, _record):
        dbapi_connection.prepare_threshold = None


def _end_reads_with_commit(engine) -> None:
    """End a transaction that only read with COMMIT instead of ROLLBACK, so psycopg keeps its prepared statements.

    psycopg prepares a statement on the server once a connection has run it five times, and forgets all of
    them at every ROLLBACK (a rolled-back transaction may have dropped what they refer to). A request that
    reads ends with the session's rollback, so no statement ever reached five and PostgreSQL planned each
    one afresh: 2.5 ms for the inbox's page of tasks, more than running it. For a transaction that ran
    nothing but SELECTs, COMMIT and ROLLBACK end it alike; one that wrote anything is still rolled back.
    """
    from psycopg.pq import TransactionStatus

    @sa.event.listens_for(engine, "begin")
    def _start_reading(conn):
        conn.info["wrote"] = False

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _parameters, _context, _executemany):
        if not statement.lstrip()[:6].upper() == "SELECT":  # INSERT, UPDATE, SAVEPOINT, a CTE, ...: a write
            conn.info["wrote"] = True

    @sa.event.listens_for(engine, "rollback")
    def _commit_reads(conn):
        if conn.invalidated or conn.closed:
            return
        dbapi_connection = conn.connection.dbapi_connection
        if (
            conn.info.get("wrote", True) is False
            and dbapi_connection.pgconn.transaction_status == TransactionStatus.INTRANS
        ):
            dbapi_connection.commit()  # the rollback that follows finds no transaction and does nothing


def plan_each_time() -> None:
    """Have PostgreSQL plan this transaction's statements for their values, not reuse a generic plan.

    For the aggregates over a window of time, whose best plan depends on how much of the table the window
    covers. A SELECT, so the transaction still counts as one that only read; run once per transaction (the
    dashboard's three aggregates each ask).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    transaction = db.session.connection().get_transaction()
    if transaction not in _planning_each_time:
        db.session.execute(sa.select(sa.func.set_config("plan_cache_mode", "force_custom_plan", True)))
        _planning_each_time.add(transaction)


_planning_each_time = weakref.WeakSet()  # the transactions plan_each_time has set up


# What to do when a session's transaction ends, kept with the session (the one place the app keeps anything in
# session.info): a change that a transaction makes to data kept outside it (core.reference) is forgotten then.
_AT_TRANSACTION_END = "at_transaction_end"


def call_when_transaction_ends(session, action) -> None:
    """Call `action()` once the session's transaction ends, by commit or by rollback."""
    session.info.setdefault(_AT_TRANSACTION_END, []).append(action)


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _transaction_ended(session, *_args) -> None:
    for action in session.info.pop(_AT_TRANSACTION_END, ()):
        action()
