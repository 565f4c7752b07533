"""The timer worker: fires due timers and runs the registered sweeps.

Each instance is fired in its own transaction under its row lock; on PostgreSQL a
worker skips instances another worker holds (`SKIP LOCKED`), so any number of workers
can run. A failing instance is rolled back, logged and stopped in error with the message (an
admin retries it from the repair page); the worker goes on with the others, whatever the failure
raised (only Ctrl-C stops it). Each pass ends with the worker's heartbeat (`worker_heartbeat`): /readyz,
/metrics and the admin page tell from it that the worker is alive and what its passes and sweeps take.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from workflow_app.core.errors import DomainError
from workflow_app.core.time import utcnow
from workflow_app.engine.models import WorkerHeartbeat
from workflow_app.engine.operations import CaseStopped, fire_timers, mark_instance_failed
from workflow_app.engine.queries import due_timer_instance_ids
from workflow_app.extensions import db

log = logging.getLogger(__name__)
SWEEPS = []
SWEEP_LABELS = {}  # {a sweep's function name (its key in the heartbeat and the metrics): what the admin page calls it}
# The heartbeats of workers that stopped are kept this long (the admin page shows when they stopped), then deleted
KEEP_STOPPED_WORKERS = timedelta(days=1)


class WorkerTally:
    """What this process's worker passes did since it started: its heartbeat row holds these totals."""

    def __init__(self):
        self.name = f"{socket.gethostname()}:{os.getpid()}"[:120]
        self.started_at = utcnow()
        self.passes = self.timers_fired = self.failures = 0
        self.beaten = False


_tally = None


def _this_process_tally() -> WorkerTally:
    global _tally
    if _tally is None or _tally.name != f"{socket.gethostname()}:{os.getpid()}"[:120]:  # a forked process starts afresh
        _tally = WorkerTally()
    return _tally


def register_sweep(function, label=None) -> None:
    """Run `function(now)` on every worker pass, in its own transaction (e.g. the SLA sweep); `label` names it."""
    if function not in SWEEPS:  # each app built (tests build many) registers its domains' sweeps again
        SWEEPS.append(function)
    SWEEP_LABELS[function.__name__] = label or function.__name__


def run_worker_pass(now=None, limit: int = 100) -> dict:
    """Fire every due timer once and run the sweeps, then record the heartbeat; return counts."""
    began = time.perf_counter()
    now = now or utcnow()
    instance_ids = due_timer_instance_ids(now, limit)
    db.session.rollback()  # end the read; each instance gets its own transaction
    fired, failed = 0, 0
    for instance_id in instance_ids:
        try:
            fired += len(fire_timers(instance_id, now, skip_locked=True))
            db.session.commit()
        except CaseStopped as stopped:  # stopped in error and committed already
            db.session.rollback()
            failed += 1
            log.warning("instance %s stopped in error: %s", instance_id, stopped)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a broken instance must not stop the others
            db.session.rollback()
            failed += 1
            log.exception("firing timers of instance %s failed", instance_id)
            _mark_failed(instance_id, exc, now)
    sweep_seconds = {}
    for sweep in SWEEPS:
        sweep_began = time.perf_counter()
        try:
            sweep(now)
            db.session.commit()
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - the next pass tries again
            db.session.rollback()
            failed += 1
            log.exception("sweep %s failed", sweep.__name__)
        sweep_seconds[sweep.__name__] = round(time.perf_counter() - sweep_began, 6)
    _record_heartbeat(fired, failed, time.perf_counter() - began, sweep_seconds)
    return {"instances": len(instance_ids), "fired": fired, "failed": failed}


def _record_heartbeat(fired: int, failed: int, pass_seconds: float, sweep_seconds: dict) -> None:
    """Store this worker's totals and its pass's durations (its own transaction; a failure is logged, not raised)."""
    tally = _this_process_tally()
    tally.passes, tally.timers_fired, tally.failures = (
        tally.passes + 1,
        tally.timers_fired + fired,
        tally.failures + failed,
    )
    values = dict(
        started_at=tally.started_at,
        beat_at=utcnow(),
        passes=tally.passes,
        timers_fired=tally.timers_fired,
        failures=tally.failures,
        last_pass_seconds=round(pass_seconds, 6),
        sweep_seconds=sweep_seconds,
    )
    table = WorkerHeartbeat.__table__
    try:
        updated = db.session.execute(table.update().where(table.c.worker == tally.name).values(**values)).rowcount
        if not updated:
            db.session.execute(table.insert().values(worker=tally.name, **values))
        if not tally.beaten:  # once per process: forget workers that stopped long ago
            db.session.execute(table.delete().where(table.c.beat_at < values["beat_at"] - KEEP_STOPPED_WORKERS))
        db.session.commit()
        tally.beaten = True
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.exception("recording the worker's heartbeat failed")


def _mark_failed(instance_id, exc, now) -> None:
    """Stop the case in error (so that an admin sees why, and the worker stops retrying it every pass)."""
    try:
        mark_instance_failed(instance_id, f"timer: {type(exc).__name__}: {exc}", now)
        db.session.commit()
    except DomainError:
        db.session.rollback()
    except Exception:
        db.session.rollback()
        log.exception("could not mark instance %s as failed", instance_id)


def run_worker(app, stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Run worker passes until `stop` is set."""
    poll = poll_seconds if poll_seconds is not None else app.config["WORKER_POLL_SECONDS"]
    while not stop.is_set():
        with app.app_context():
            try:
                run_worker_pass()
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - the worker outlives any one pass
                log.exception("worker pass failed")
            finally:
                db.session.remove()
        stop.wait(poll)


def start_worker_thread(app) -> tuple[threading.Thread, threading.Event]:
    """Start the in-process worker (the one-command demo and tests)."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(app, stop), name="timer-worker", daemon=True)
    thread.start()
    return thread, stop
