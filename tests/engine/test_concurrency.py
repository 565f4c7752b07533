"""Two writers at once: one completion wins, a due timer fires once, the worker is prompt."""

import threading
import time

import pytest
import sqlalchemy as sa

from tests.conftest import let_time_pass
from workflow_app.core.errors import ConflictError
from workflow_app.engine.models import AuditEvent, ProcessInstance, Task
from workflow_app.engine.operations import complete_task
from workflow_app.engine.queries import open_tasks
from workflow_app.engine.worker import run_worker_pass, start_worker_thread
from workflow_app.extensions import db


def run_together(app, functions):
    """Run each function in its own thread and app context (own session), released at once."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(index, function):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = function()
                db.session.commit()
            except Exception as exc:  # collected and asserted by the test
                db.session.rollback()
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def one_won_and_the_other_was_told_who(results) -> None:
    """Assert that of two completions of one task one completed it and the other was refused, told by whom."""
    wins = [r for r in results if isinstance(r, Task)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    # PostgreSQL waits on the row lock, then sees who completed the task; SQLite's writer loses the version check
    if db.engine.dialect.name == "postgresql":
        assert "办理完成" in str(conflicts[0]) and "系统" not in str(conflicts[0])
    else:
        assert "办理完成" in str(conflicts[0]) or "同时被他人修改" in str(conflicts[0])


def test_two_concurrent_completions_one_wins_the_other_gets_a_conflict(app, case, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    lock_version = case.instance.lock_version
    for round_number in range(5):
        [task] = open_tasks(case.instance_id) if round_number == 0 else [None]
        if task is None:
            break
        task_id = task.id
        results = run_together(
            app,
            [
                lambda task_id=task_id: complete_task(task_id, {"amount": "1"}, alice.id).result,
                lambda task_id=task_id: complete_task(task_id, {"amount": "2"}, bob.id).result,
            ],
        )
        one_won_and_the_other_was_told_who(results)
    db.session.expire_all()
    completed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == "task_completed")).all()
    assert len(completed) == 1
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["review"]  # the next step, opened once
    assert db.session.get(ProcessInstance, case.instance_id).lock_version == lock_version + 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_racing_for_due_timers_fire_each_once(app, deploy, create_case):
    deploy("timer_interrupting.bpmn")
    cases = [create_case("timer_interrupting", {"timeout": "PT0.1S"}) for _ in range(8)]
    let_time_pass(0.3)
    results = run_together(app, [run_worker_pass, run_worker_pass])
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["fired"] for r in results) == 8
    db.session.expire_all()
    fired = db.session.execute(
        sa.select(AuditEvent.instance_id, sa.func.count())
        .where(AuditEvent.kind == "timer_fired")
        .group_by(AuditEvent.instance_id)
    ).all()
    assert sorted(fired) == sorted((c.instance_id, 1) for c in cases)
    escalations = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.bpmn_id == "escalated"))
    assert escalations == 8


def test_running_worker_fires_a_due_timer_within_5_seconds(app, deploy, create_case):
    deploy("intermediate_timer.bpmn")
    case = create_case("intermediate_timer", {"wait_for": "PT1S"})
    due = time.monotonic() + 1
    thread, stop = start_worker_thread(app)
    try:
        while time.monotonic() < due + 5:
            db.session.expire_all()
            if [t.bpmn_id for t in open_tasks(case.instance_id)] == ["visit"]:
                break
            time.sleep(0.1)
        latency = time.monotonic() - due
    finally:
        stop.set()
        thread.join(10)
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["visit"]
    assert latency < 5, f"fired {latency:.1f}s after due"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_completion_that_waited_for_the_lock_works_on_the_open_tasks_as_committed(
    app, deploy, create_case, create_user
):
    """Both branches of a fork completed at once: the second waits for the first's row lock, then closes only its own.

    PostgreSQL returns the rows joined to a locked row as they were before the wait; the step must not take
    the first branch for still open (it would close it a second time, with its own time).
    """
    deploy("parallel_gateway.bpmn")
    case = create_case("parallel_gateway")
    alice, bob = create_user("alice"), create_user("bob")
    a, b = sorted(open_tasks(case.instance_id), key=lambda t: t.bpmn_id)
    a_id, b_id, instance_id, alice_id, bob_id = a.id, b.id, case.instance_id, alice.id, bob.id
    db.session.commit()
    first_holds_lock, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with app.app_context():
            try:
                outcome["a_completed_at"] = complete_task(a_id, {}, alice_id).result.completed_at
                first_holds_lock.set()
                release.wait(10)
                db.session.commit()
            except Exception as exc:  # asserted below
                outcome["first"] = exc
                first_holds_lock.set()
            finally:
                db.session.remove()

    def second():
        with app.app_context():
            try:
                first_holds_lock.wait(10)
                complete_task(b_id, {}, bob_id)
                db.session.commit()
            except Exception as exc:  # asserted below
                outcome["second"] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    waiting = 0
    while not waiting and time.monotonic() < deadline:  # the second is inside its lock statement, snapshot taken
        waiting = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
        db.session.commit()
        time.sleep(0.02)
    release.set()
    for thread in threads:
        thread.join(30)
    assert waiting == 1, outcome
    assert "first" not in outcome and "second" not in outcome, outcome
    db.session.expire_all()
    rows = {t.bpmn_id: t for t in db.session.scalars(sa.select(Task).where(Task.instance_id == instance_id))}
    assert sorted(rows) == ["a", "b", "c"]
    assert (rows["a"].state, rows["a"].completed_by_id, rows["a"].completed_at) == (
        "completed",
        alice_id,
        outcome["a_completed_at"],
    )
    assert (rows["b"].state, rows["b"].completed_by_id) == ("completed", bob_id)
    assert rows["c"].state == "open"
    kinds = db.session.scalars(
        sa.select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ).all()
    assert kinds.count("task_completed") == 2 and "task_cancelled" not in kinds
