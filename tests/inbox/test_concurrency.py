"""Two completions of one task at once through the task page's and the API's path: the task is read with its
instance locked (inbox.operations.lock_visible_task), and the step is handed that lock as its own."""

import sqlalchemy as sa

from tests.conftest import statements_run
from tests.engine.test_concurrency import one_won_and_the_other_was_told_who, run_together
from workflow_app.engine.models import AuditEvent, ProcessInstance, Task
from workflow_app.engine.operations import complete_task
from workflow_app.engine.queries import open_tasks
from workflow_app.extensions import db
from workflow_app.inbox.operations import lock_visible_task


def test_two_completions_read_with_the_lock_one_wins_the_other_is_told_who(app, case, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    [task] = open_tasks(case.instance_id)
    task_id, lock_version = task.id, case.instance.lock_version

    def complete_as(user_id, amount):
        def run():
            user = db.session.get(type(alice), user_id)
            found, _case, locked = lock_visible_task(user, task_id)
            with_lock = db.session.scalars(sa.select(Task).where(Task.id == task_id)).all()
            assert with_lock == [found]
            return complete_task(task_id, {"amount": amount}, user.id, locked).result

        return run

    results = run_together(app, [complete_as(alice.id, "1"), complete_as(bob.id, "2")])
    # PostgreSQL: the loser waited on the lock with a task row read before the wait (still "open"); the workflow
    # restored from the locked row tells it the task is done, and by whom
    one_won_and_the_other_was_told_who(results)
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_completed"))
        == 1
    )
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["review"]
    assert db.session.get(ProcessInstance, case.instance_id).lock_version == lock_version + 1


def test_a_completion_after_a_locked_read_does_not_lock_and_read_again(app, case, user):
    [task] = open_tasks(case.instance_id)
    db.session.commit()
    _task, _case, locked = lock_visible_task(user, task.id)
    with statements_run() as seen:
        complete_task(task.id, {"amount": "1"}, user.id, locked)
    assert [s for s, _ in seen if "process_instance" in s] == []  # neither locked nor read again
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["review"]
