"""The timer worker: fires due timers and runs the registered sweeps.

Each instance is fired in its own transaction under its row lock; on PostgreSQL a
worker skips instances another worker holds (`SKIP LOCKED`), so any number of workers
can run. A failing instance is rolled back, logged and stopped in error with the message (an
admin retries it from the repair page); the worker goes on with the others, whatever the failure
raised (only Ctrl-C stops it).
"""
import logging
import threading

from workflow_app.core.errors import DomainError
from workflow_app.core.time import utcnow
from workflow_app.engine.operations import CaseStopped, fire_timers, mark_instance_failed
from workflow_app.engine.queries import due_timer_instance_ids
from workflow_app.extensions import db

log = logging.getLogger(__name__)
SWEEPS = []


def register_sweep(function) -> None:
    """Run `function(now)` on every worker pass, in its own transaction (e.g. the SLA sweep)."""
    SWEEPS.append(function)


def run_worker_pass(now=None, limit: int = 100) -> dict:
    """Fire every due timer once and run the sweeps; return counts."""
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
    for sweep in SWEEPS:
        try:
            sweep(now)
            db.session.commit()
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - the next pass tries again
            db.session.rollback()
            failed += 1
            log.exception("sweep %s failed", getattr(sweep, "__name__", sweep))
    return {"instances": len(instance_ids), "fired": fired, "failed": failed}


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

