"""A throw-away PostgreSQL database for a benchmark run (created fresh, dropped at the end)."""

import os

import sqlalchemy as sa


def create_postgres_database(prefix: str):
    """Create an empty database named after the prefix and this process; return (url, admin engine, name)."""
    from config import TestingConfig

    admin = sa.create_engine(TestingConfig.TEST_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(TestingConfig.TEST_POSTGRES_URL).set(database=name)
    return url.render_as_string(hide_password=False), admin, name


def drop_postgres_database(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
