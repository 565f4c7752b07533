"""Pooled PostgreSQL connections: one the server dropped while idle is replaced unseen; busy ones are not pinged;
statements are prepared and kept; cursors describe their results only when asked."""

import time

import pytest
import sqlalchemy as sa

from workflow_app.extensions import db


def _backend_pid() -> int:
    return db.session.scalar(sa.text("SELECT pg_backend_pid()"))


def _drop_backend(pid: int) -> None:
    """End a server process from another connection, as a server restart or an idle timeout would."""
    outside = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")  # not the app's pool
    try:
        with outside.connect() as other:
            assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
            for _ in range(50):  # the backend needs a moment to go
                if not other.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                    return
                time.sleep(0.05)
    finally:
        outside.dispose()


@pytest.fixture
def idle_seconds(app):
    return app.config["DATABASE_PING_AFTER_IDLE_SECONDS"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(app, idle_seconds):
    db.session.remove()
    db.engine.dispose()  # one pooled connection: the one this test drops
    pid = _backend_pid()
    db.session.remove()  # back in the pool
    _drop_backend(pid)
    time.sleep(idle_seconds + 0.1)
    assert _backend_pid() != pid  # no error: the idle connection was tested and replaced


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_used_moments_ago_is_not_tested_and_one_failure_renews_the_pool(app, idle_seconds):
    """The cost side of not pinging busy connections, pinned: a restart shows once, then the pool starts afresh."""
    assert idle_seconds >= 1  # the test needs the connection to count as busy for a moment
    db.session.remove()
    db.engine.dispose()
    pid = _backend_pid()
    db.session.remove()
    _drop_backend(pid)
    with pytest.raises(sa.exc.OperationalError):
        _backend_pid()  # not pinged: the dropped connection is used
    db.session.rollback()
    db.session.remove()
    assert _backend_pid() != pid  # the failure made the pool connect afresh


def _prepared_statements() -> list[str]:
    return list(db.session.scalars(sa.text("SELECT statement FROM pg_prepared_statements")))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_statement_read_in_many_requests_is_prepared_once_and_kept(app, org_unit):
    """A transaction that only read ends with COMMIT: psycopg's prepared statements survive it (a ROLLBACK
    forgets them), so PostgreSQL plans a page's statements once per connection, not once per request."""
    db.session.remove()
    db.engine.dispose()
    query = "SELECT name FROM org_unit WHERE id = :id"
    for _ in range(6):  # psycopg prepares a statement on its fifth run on a connection
        assert db.session.scalar(sa.text(query), {"id": org_unit.id}) == org_unit.name
        db.session.remove()  # the end of a request: the session rolls back
    assert any("FROM org_unit WHERE id = $1" in text for text in _prepared_statements())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_transaction_that_wrote_is_still_rolled_back(app, org_unit):
    db.session.remove()
    db.engine.dispose()
    for _ in range(6):
        db.session.scalar(sa.text("SELECT name FROM org_unit WHERE id = :id"), {"id": org_unit.id})
        db.session.remove()
    db.session.execute(sa.text("UPDATE org_unit SET name = 'renamed' WHERE id = :id"), {"id": org_unit.id})
    db.session.remove()  # not committed: the rollback undoes the write
    assert db.session.scalar(sa.text("SELECT name FROM org_unit WHERE id = :id"), {"id": org_unit.id}) == org_unit.name
    db.session.execute(
        sa.text(
            "WITH changed AS (UPDATE org_unit SET name = 'renamed' WHERE id = :id RETURNING id) "
            "SELECT count(*) FROM changed"
        ),
        {"id": org_unit.id},
    )
    db.session.remove()  # a write that does not start with UPDATE counts as one too
    assert db.session.scalar(sa.text("SELECT name FROM org_unit WHERE id = :id"), {"id": org_unit.id}) == org_unit.name


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_failed_read_is_rolled_back(app, org_unit):
    db.session.remove()
    with pytest.raises(sa.exc.DataError):
        db.session.execute(sa.text("SELECT 1 / 0"))
    db.session.remove()  # the transaction is aborted: rolled back, and the connection serves the next request
    assert db.session.scalar(sa.text("SELECT name FROM org_unit WHERE id = :id"), {"id": org_unit.id}) == org_unit.name


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(app_for_database):
    """DATABASE_PREPARED_STATEMENTS=0 (PgBouncer's transaction pooling): nothing is prepared, however often run."""
    from config import TestingConfig
    from workflow_app import create_app

    config = type(
        "BehindPgBouncer",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": app_for_database.config["SQLALCHEMY_DATABASE_URI"],
            "DATABASE_PREPARED_STATEMENTS": False,
        },
    )
    pooled = create_app(config)
    with pooled.app_context():
        try:
            for _ in range(8):
                assert (
                    db.session.scalar(
                        sa.text("SELECT count(*) FROM org_unit WHERE level = :level"), {"level": "county"}
                    )
                    is not None
                )
            assert not any("FROM org_unit WHERE level" in text for text in _prepared_statements())
        finally:
            db.session.remove()
            db.engine.dispose()


def _psycopg_columns(query: str, params: dict) -> list[tuple]:
    """The (name, type oid) of a query's columns as a plain psycopg cursor describes them."""
    import psycopg

    url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as plain:
        cursor = plain.execute(query, params)
        return [(column.name, column.type_code) for column in cursor.description]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_cursor_describes_its_result_as_psycopg_does_when_asked(app, org_unit):
    query = "SELECT id, name, level, parent_id FROM org_unit WHERE id = %(id)s"
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute(query, {"id": org_unit.id})
    description = cursor.description
    assert [(column.name, column.type_code) for column in description] == _psycopg_columns(query, {"id": org_unit.id})
    assert len(description) == 4 and description[1:3][0].name == "name" and description[-1].name == "parent_id"
    cursor.execute("UPDATE org_unit SET name = name WHERE id = %(id)s", {"id": org_unit.id})
    assert cursor.description is None  # no rows: as psycopg's
    cursor.execute("SELECT")
    assert list(cursor.description) == []  # rows of no columns: an empty description, not None (psycopg's "SELECT ;")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_description_read_late_refuses_to_describe_the_next_result(app):
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute("SELECT 1 AS one")
    description = cursor.description
    cursor.execute("SELECT 'x' AS other, 2 AS two")
    with pytest.raises(RuntimeError, match="after the cursor ran another statement"):
        description[0]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_cached_statement_makes_no_column_objects(app, org_unit, monkeypatch):
    """SQLAlchemy knows a cached statement's columns: their Column objects are never made (the point of it)."""
    import psycopg._cursor_base as cursor_base

    made = []

    class CountedColumn(cursor_base.Column):
        def __init__(self, *args):
            made.append(1)
            super().__init__(*args)

    monkeypatch.setattr(cursor_base, "Column", CountedColumn)
    query = sa.select(sa.table("org_unit", sa.column("id"), sa.column("name"))).where(sa.column("id") == org_unit.id)
    db.session.execute(query).all()  # compiled and its columns learnt: made here
    made.clear()
    rows = db.session.execute(query).all()
    assert [tuple(row._mapping) for row in rows] == [("id", "name")] and rows[0].name == org_unit.name
    assert made == []
