"""The Prometheus metrics of /metrics: what each process counts as it serves, and what the database tells at a scrape.

Counted in the process (added up over gunicorn's processes when PROMETHEUS_MULTIPROC_DIR is set): request
durations by endpoint, responses by status, cases started, tasks closed and timers fired by the steps this process
ran (a step that is rolled back afterwards, e.g. a conflict, is counted too). Read from the database at each scrape:
open tasks by SLA state, due timers not fired yet and the oldest one's lateness, and each worker's heartbeat, pass
and sweep durations (whichever process or machine the worker runs in).
"""

import logging
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from workflow_app.engine.signals import instance_started, task_closed, timers_fired
from workflow_app.extensions import db
from workflow_app.monitoring.queries import due_timers, open_tasks_by_sla_state, worker_states

log = logging.getLogger(__name__)
PROCESS_REGISTRY = CollectorRegistry()
ProcessCollector(registry=PROCESS_REGISTRY)  # this process's CPU, memory and open files
REQUEST_SECONDS = Histogram(
    "workflow_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the view's name) and method",
    ["endpoint", "method"],
    registry=PROCESS_REGISTRY,
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter(
    "workflow_http_responses",
    "Responses by endpoint and status code",
    ["endpoint", "status"],
    registry=PROCESS_REGISTRY,
)
CASES_STARTED = Counter("workflow_cases_started", "Cases started, by process", ["process"], registry=PROCESS_REGISTRY)
TASKS_CLOSED = Counter(
    "workflow_tasks_closed",
    "Human tasks closed, by process and how (completed or cancelled)",
    ["process", "state"],
    registry=PROCESS_REGISTRY,
)
TIMERS_FIRED = Counter(
    "workflow_timers_fired", "Timers fired by this process's steps, by process", ["process"], registry=PROCESS_REGISTRY
)


_REQUEST_CHILDREN = {}  # (endpoint, method, status): its histogram and counter (labels() costs more than counting)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    children = _REQUEST_CHILDREN.get((endpoint, method, status))
    if children is None:
        children = _REQUEST_CHILDREN[endpoint, method, status] = (
            REQUEST_SECONDS.labels(endpoint, method),
            RESPONSES.labels(endpoint, str(status)),
        )
    children[0].observe(seconds)
    children[1].inc()


def _count_start(instance, **_):
    CASES_STARTED.labels(instance.process_id).inc()


def _count_closed_task(instance, task, **_):
    TASKS_CLOSED.labels(instance.process_id, task.state).inc()


def _count_fired_timers(instance, fired, **_):
    TIMERS_FIRED.labels(instance.process_id).inc(len(fired))


def count_engine_events() -> None:
    """Count the cases started, the tasks closed and the timers fired as the engine signals them."""
    instance_started.connect(_count_start)
    task_closed.connect(_count_closed_task)
    timers_fired.connect(_count_fired_timers)


class DatabaseCollector:
    """The metrics read from the database at a scrape (run in an app context)."""

    def __init__(self, now: datetime):
        self.now = now

    def collect(self):
        try:
            families = list(self._read())
        except sa.exc.SQLAlchemyError:
            log.warning("metrics: the database could not be read", exc_info=True)
            families = []
        finally:
            db.session.rollback()  # end the reads
        yield GaugeMetricFamily(
            "workflow_database_up", "1 when the scrape could read the database, else 0", value=int(bool(families))
        )
        yield from families

    def _read(self):
        tasks = GaugeMetricFamily(
            "workflow_open_tasks", "Open human tasks by the state of their SLA clock", labels=["sla_state"]
        )
        for state, count in open_tasks_by_sla_state(self.now).items():
            tasks.add_metric([state], count)
        yield tasks
        count, earliest = due_timers(self.now)
        yield GaugeMetricFamily(
            "workflow_due_timers", "Timers of running cases that are due and not fired yet", value=count
        )
        yield GaugeMetricFamily(
            "workflow_due_timer_lateness_seconds",
            "How long the most overdue unfired timer has been due (0 when none is)",
            value=(self.now - earliest).total_seconds() if earliest else 0,
        )
        yield from self._workers()

    def _workers(self):
        states = worker_states(self.now)
        beat = GaugeMetricFamily(
            "workflow_worker_last_heartbeat_timestamp_seconds",
            "When each timer worker last finished a pass (Unix time)",
            labels=["worker"],
        )
        age = GaugeMetricFamily(
            "workflow_worker_heartbeat_age_seconds", "Seconds since each worker's last pass", labels=["worker"]
        )
        stalled = GaugeMetricFamily(
            "workflow_worker_stalled",
            "1 when a worker's heartbeat is older than WORKER_HEARTBEAT_MAX_AGE_SECONDS",
            labels=["worker"],
        )
        passes = CounterMetricFamily(
            "workflow_worker_passes", "Passes each worker made since it started", labels=["worker"]
        )
        fired = CounterMetricFamily(
            "workflow_worker_timers_fired", "Timers each worker fired since it started", labels=["worker"]
        )
        failures = CounterMetricFamily(
            "workflow_worker_failures",
            "Cases stopped in error and sweeps failed in each worker's passes",
            labels=["worker"],
        )
        pass_seconds = GaugeMetricFamily(
            "workflow_worker_pass_duration_seconds", "How long each worker's last pass took", labels=["worker"]
        )
        sweep_seconds = GaugeMetricFamily(
            "workflow_worker_sweep_duration_seconds",
            "How long each sweep took in each worker's last pass",
            labels=["worker", "sweep"],
        )
        for state in states:
            row, name = state.heartbeat, state.heartbeat.worker
            beat.add_metric([name], row.beat_at.timestamp())
            age.add_metric([name], state.age.total_seconds())
            stalled.add_metric([name], int(state.stalled))
            passes.add_metric([name], row.passes)
            fired.add_metric([name], row.timers_fired)
            failures.add_metric([name], row.failures)
            pass_seconds.add_metric([name], row.last_pass_seconds)
            for sweep, seconds in sorted(row.sweep_seconds.items()):
                sweep_seconds.add_metric([name, sweep], seconds)
        running = GaugeMetricFamily(
            "workflow_workers_running",
            "Workers whose heartbeat is recent; 0 means timers do not fire (alert on it)",
            value=sum(not state.stalled for state in states),
        )
        yield from (running, beat, age, stalled, passes, fired, failures, pass_seconds, sweep_seconds)


def exposition(now: datetime, multiprocess_dir: str = "") -> bytes:
    """The metrics in Prometheus' text format: this process's (or all processes' from `multiprocess_dir`), then the
    database's."""
    if multiprocess_dir:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=multiprocess_dir)
    else:
        counted = PROCESS_REGISTRY
    read = CollectorRegistry(auto_describe=False)
    read.register(DatabaseCollector(now))
    return generate_latest(counted) + generate_latest(read)
