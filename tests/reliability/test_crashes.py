"""kill -9 of the timer worker and of a gunicorn worker in the middle of steps, then restart: every case is
consistent (stored workflow, task rows, timer rows, status and audit agree) and goes on to its end."""

import os
import signal
import threading
import time

import requests
import sqlalchemy as sa
from live_stack import one_step_bpmn

CASES_WITH_TIMERS = 150


def _count(stack, sql):
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(sql))
    finally:
        engine.dispose()


def _session(token):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_of_the_worker_and_of_a_web_worker_leaves_every_case_consistent(live_stack):
    stack = live_stack(
        clients=4,
        sources={"one_step.bpmn": one_step_bpmn(), "timed_step.bpmn": one_step_bpmn("timed_step", timer="PT3S")},
    )
    stack.start_web("gunicorn", workers=2)
    session = _session(stack.tokens[0])
    for _ in range(CASES_WITH_TIMERS):  # their timers come due together, three seconds on
        assert session.post(f"{stack.url}/api/v1/cases", json={"process": "timed_step"}).status_code == 201
    stack.start_worker()

    # clients start cases and complete tasks all along; some of their requests die with the web worker
    stop, interrupted = threading.Event(), []

    def client(token):
        own = _session(token)
        while not stop.is_set():
            try:
                own.post(f"{stack.url}/api/v1/cases", json={"process": "one_step"}, timeout=30)
                items = own.get(f"{stack.url}/api/v1/tasks", params={"queue": "group"}, timeout=30).json()["items"]
                if items:
                    own.post(f"{stack.url}/api/v1/tasks/{items[-1]['id']}/complete", json={"data": {}}, timeout=30)
            except (requests.ConnectionError, ValueError) as exc:
                interrupted.append(type(exc).__name__)

    threads = [threading.Thread(target=client, args=(token,)) for token in stack.tokens[1:]]
    for thread in threads:
        thread.start()

    # the worker is killed while it fires the timers (some fired, some not)
    _wait_for(
        lambda: 0 < _count(stack, "SELECT count(*) FROM timer") < CASES_WITH_TIMERS - 5,
        30,
        "the worker to start firing",
    )
    os.kill(stack.worker.pid, signal.SIGKILL)
    stack.worker.wait()
    left = _count(stack, "SELECT count(*) FROM timer")
    assert left > 0, "the worker finished before it could be killed"

    # a web worker is killed while the clients are at it; gunicorn starts another
    time.sleep(0.5)
    victims = stack.web_worker_pids()
    assert len(victims) == 2
    os.kill(victims[0], signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join()

    # restart: the timers that were left fire, and every open task can be completed
    stack.start_worker()
    _wait_for(lambda: _count(stack, "SELECT count(*) FROM timer") == 0, 60, "the restarted worker")
    while True:
        items = session.get(f"{stack.url}/api/v1/tasks", params={"queue": "group", "per_page": 100}).json()["items"]
        if not items:
            break
        for item in items:
            assert session.post(f"{stack.url}/api/v1/tasks/{item['id']}/complete", json={"data": {}}).status_code == 200
    check = stack.flask("processes", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert _count(stack, "SELECT count(*) FROM process_instance WHERE status <> 'completed'") == 0
    assert _count(stack, "SELECT count(*) FROM process_instance") >= CASES_WITH_TIMERS + 10
    assert _count(stack, "SELECT count(*) FROM audit_event WHERE kind = 'timer_fired'") == CASES_WITH_TIMERS
    assert _count(stack, "SELECT count(*) FROM audit_event WHERE kind = 'task_completed'") == _count(
        stack, "SELECT count(*) FROM task WHERE state = 'completed'"
    )
