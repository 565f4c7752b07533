"""The reliability tests run the real servers (gunicorn, `flask worker`) on a fresh PostgreSQL database."""

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import TestingConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


@pytest.fixture
def postgres_required():
    engine = sa.create_engine(TestingConfig.TEST_POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {TestingConfig.TEST_POSTGRES_URL}: {str(exc.orig).splitlines()[0]}"
        if TestingConfig.REQUIRE_POSTGRES:
            pytest.fail(reason + " (REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    finally:
        engine.dispose()


@pytest.fixture
def live_stack(postgres_required, tmp_path):
    """A factory of live stacks, stopped (and their databases dropped) after the test."""
    from live_stack import LiveStack

    stacks = []

    def start(**kwargs):
        stack = LiveStack("postgresql", log_dir=tmp_path, **kwargs)
        stacks.append(stack)
        return stack

    yield start
    for stack in stacks:
        stack.stop()
