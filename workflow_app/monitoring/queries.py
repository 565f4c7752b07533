"""Reads for /readyz, /metrics and the admin page: the database, the schema's revision, workers, tasks and timers."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from workflow_app.engine.models import ProcessInstance, Task, Timer, WorkerHeartbeat
from workflow_app.extensions import db


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class WorkerState:
    """A worker's heartbeat as the admin page shows it."""

    heartbeat: WorkerHeartbeat
    age: timedelta
    stalled: bool


@lru_cache(maxsize=4)
def migration_heads(directory: str) -> frozenset:
    """The revisions the migrations in `directory` end at (read once per process: the files do not change)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def readiness_checks(now: datetime) -> list[Check]:
    """Check that the database answers, its schema is at the migrations' head and a worker beat recently."""
    try:
        stored = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        return [
            Check("database", False, reason),
            Check("migrations", False, "not checked"),
            Check("worker", False, "not checked"),
        ]
    heads = migration_heads(current_app.extensions["migrate"].directory)
    migrations = Check(
        "migrations",
        stored == set(heads),
        f"database at {', '.join(sorted(stored)) or 'no revision'}, code at {', '.join(sorted(heads))}",
    )
    latest = db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.beat_at)))
    db.session.rollback()  # end the read: the probe holds no transaction
    max_age = current_app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"]
    if latest is None:
        worker = Check("worker", False, "no worker has recorded a heartbeat")
    else:
        age = (now - latest).total_seconds()
        worker = Check("worker", age <= max_age, f"last heartbeat {age:.0f} s ago (stalled after {max_age:.0f} s)")
    return [Check("database", True, "reachable"), migrations, worker]


def worker_states(now: datetime) -> list[WorkerState]:
    """Every worker's heartbeat, the latest first, with its age and whether it counts as stalled."""
    max_age = timedelta(seconds=current_app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"])
    beats = db.session.scalars(sa.select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()))
    return [WorkerState(beat, now - beat.beat_at, now - beat.beat_at > max_age) for beat in beats]


def open_tasks_by_sla_state(now: datetime) -> dict[str, int]:
    """Count the open tasks by their clock's state at `now`: on_track, at_risk, overdue, none (no deadline)."""
    state = sa.case(
        (Task.due_at.is_(None), "none"),
        (Task.due_at <= now, "overdue"),
        (Task.warn_at <= now, "at_risk"),
        else_="on_track",
    )
    states = sa.select(state.label("sla_state")).where(Task.state == "open").subquery()
    counts = dict.fromkeys(("on_track", "at_risk", "overdue", "none"), 0)
    counts.update(db.session.execute(sa.select(states.c.sla_state, sa.func.count()).group_by(states.c.sla_state)).all())
    return counts


def due_timers(now: datetime) -> tuple[int, datetime | None]:
    """The number of timers of running cases that are due at `now` and not fired yet, and the earliest one's due time."""
    return tuple(
        db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Timer.due_at))
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(Timer.due_at <= now, ProcessInstance.status == "running")
        ).one()
    )
