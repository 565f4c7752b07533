"""An engine step's rows written with plain statements: the objects end as the ORM's flush would leave them."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import statements_run
from workflow_app.cases.models import Case, Comment
from workflow_app.cases.operations import start_case
from workflow_app.core.row_writes import write_rows
from workflow_app.engine.models import ProcessInstance, Task
from workflow_app.extensions import db
from workflow_app.sla.models import SlaClock

WRITTEN = (ProcessInstance, Task, SlaClock, Case)


def _columns(obj) -> dict:
    return {prop.key: getattr(obj, prop.key) for prop in sa.inspect(type(obj)).column_attrs}


def test_a_started_case_s_rows_are_persistent_clean_and_hold_what_the_database_holds(deploy, org_unit):
    deploy("sla_deadline.bpmn")
    added = []  # held here: the session holds its clean objects only weakly
    sa.event.listen(db.session(), "transient_to_pending", lambda _session, obj: added.append(obj))
    case = start_case("sla_deadline", {"priority": "urgent"}, org_unit.id, None, "A case")
    written = [obj for obj in added if isinstance(obj, WRITTEN)]
    assert {type(obj) for obj in written} == set(WRITTEN)  # the task's clock among them, and the case clock
    assert not db.session.new and not db.session.dirty
    with statements_run() as seen:
        before = {(type(obj), obj.id): _columns(obj) for obj in written}  # nothing expired, nothing to load
    assert seen == []
    [task_clock] = [obj for obj in written if isinstance(obj, SlaClock) and obj.kind == "task"]
    [task] = [obj for obj in written if isinstance(obj, Task)]
    assert task_clock.task_id == task.id and task_clock.task is task  # the key taken from the object it named
    assert task.state == "open" and task.due_provisional is False  # a Python-side default, as the ORM sets it
    assert case.instance.lock_version == 1 and case.priority == "normal"
    db.session.commit()
    db.session.expire_all()
    after = {(type(obj), obj.id): _columns(db.session.get(type(obj), obj.id)) for obj in written}
    assert after == before


def test_a_change_is_written_with_the_version_checked_and_the_object_left_clean(case):
    instance = case.instance
    version = instance.lock_version
    instance.current_step = "Elsewhere"
    write_rows(db.session)
    assert instance.lock_version == version + 1 and not db.session.dirty
    assert not sa.inspect(instance).attrs.current_step.history.has_changes()
    db.session.commit()
    table = ProcessInstance.__table__
    row = db.session.execute(
        sa.select(table.c.lock_version, table.c.current_step).where(table.c.id == instance.id)
    ).one()
    assert tuple(row) == (version + 1, "Elsewhere")


def test_a_change_to_a_row_another_transaction_changed_since_is_refused_and_writes_nothing(case):
    instance = case.instance
    table = ProcessInstance.__table__
    # another transaction's step, committed after this one read the row
    db.session.execute(
        table.update()
        .where(table.c.id == instance.id)
        .values(lock_version=table.c.lock_version + 1, current_step="Theirs")
    )
    instance.current_step = "Mine"
    with pytest.raises(StaleDataError):
        write_rows(db.session)
    db.session.rollback()
    assert db.session.scalar(sa.select(table.c.current_step).where(table.c.id == instance.id)) != "Mine"


def test_with_another_model_pending_the_orm_writes_everything(case, user):
    [task] = db.session.scalars(sa.select(Task).where(Task.instance_id == case.instance_id)).all()
    task.name = "Renamed"
    comment = Comment(case_id=case.id, task_id=task.id, author_id=user.id, body="note")
    db.session.add(comment)
    write_rows(db.session)
    assert comment.id is not None and not db.session.new and not db.session.dirty
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Task, task.id).name == "Renamed"
    assert db.session.get(Comment, comment.id).body == "note"


def test_a_deletion_is_left_to_the_orm_with_the_rest(deploy, create_case):
    deploy("sla_deadline.bpmn")
    case = create_case("sla_deadline")
    [task] = db.session.scalars(sa.select(Task).where(Task.instance_id == case.instance_id)).all()
    [clock] = db.session.scalars(sa.select(SlaClock).where(SlaClock.task_id == task.id)).all()
    task.name = "Renamed"
    db.session.delete(clock)
    write_rows(db.session)
    assert not db.session.dirty and not db.session.deleted
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Task, task.id).name == "Renamed" and db.session.get(SlaClock, clock.id) is None


def test_a_rollback_forgets_the_new_rows_and_expires_the_changed_ones(case, org_unit):
    instance = case.instance
    instance.current_step = "Rolled back"
    write_rows(db.session)
    other_case = start_case("straight_line", {}, org_unit.id, None, "Another")
    new_instance = other_case.instance
    db.session.rollback()
    assert sa.inspect(new_instance).transient and sa.inspect(other_case).transient  # as after a flush rolled back
    assert instance.current_step != "Rolled back"  # read afresh
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_a_row_that_names_another_object_or_none_takes_its_key(deploy, create_case):
    deploy("sla_deadline.bpmn")
    first, second = create_case("sla_deadline"), create_case("sla_deadline")
    [task] = db.session.scalars(sa.select(Task).where(Task.instance_id == first.instance_id)).all()
    [other] = db.session.scalars(sa.select(Task).where(Task.instance_id == second.instance_id)).all()
    [clock] = db.session.scalars(sa.select(SlaClock).where(SlaClock.task_id == task.id)).all()
    clocks = SlaClock.__table__
    db.session.execute(clocks.delete().where(clocks.c.task_id == other.id))  # a task has one clock at most
    clock.task = other
    write_rows(db.session)
    assert clock.task_id == other.id
    clock.task = None
    write_rows(db.session)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(SlaClock, clock.id).task_id is None
