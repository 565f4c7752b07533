"""The engine's step: one operation's change to one case, as an object the operation hands on and returns.

An engine operation (engine.operations) makes a Step once it holds the case's row (locked, or just inserted),
passes it to every signal receiver (`step=`) and returns it. What the step found (the locked instance, its open
task rows, the clocks a receiver read) and what it made (the task rows it opened, the audit rows it recorded, its
result) live here, in plain sight of whoever gets it, and end with it: nothing of a step is kept in the session.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, Task
from workflow_app.extensions import db

# Audit rows are written with Core, not as ORM objects: nothing reads them back in the step that writes
# them, and the unit of work cost more than the rest of a step's writes together.
_AUDIT_INSERT = sa.insert(AuditEvent.__table__)


def write_audit_rows(rows: list[dict]) -> None:
    """Insert audit rows (dicts of AuditEvent's columns) in one statement; their ids follow the list's order."""
    db.session.connection().execute(_AUDIT_INSERT, rows)


def audit_row(instance, kind, actor_id, now, task_bpmn_id=None, task_name=None, data=None) -> dict:
    return {
        "instance_id": instance.id,
        "actor_id": actor_id,
        "kind": kind,
        "task_bpmn_id": task_bpmn_id,
        "task_name": task_name,
        "data": data,
        "at": now,
    }


def lock_instance_with(statement):
    """`statement`, which reads a Task joined to its ProcessInstance, made to read that instance as a step needs it and
    lock it: FOR UPDATE, fresh, with its state and its version's key (the last two columns; see
    LockedInstance.of_task). A caller that reads a task to complete it takes the lock in its own read this way and
    hands the LockedInstance to complete_task: one statement instead of two."""
    return (
        statement.add_columns(ProcessInstance, ProcessVersion.sha256)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .with_for_update(of=ProcessInstance)
        .options(sa.orm.undefer(ProcessInstance.state_json))
        .execution_options(populate_existing=True)
    )


@dataclass
class LockedInstance:
    """An instance row read FOR UPDATE in this transaction (fresh, its state undeferred, its spec's key noted),
    with the open task rows read with it: the step on it takes this instead of locking and reading again.

    The task rows may be as they were before the wait for the lock (PostgreSQL reads again only the locked row);
    the step checks them against the workflow restored from the locked row, as it checks those its own lock reads.
    """

    instance: ProcessInstance
    open_rows: list[Task]

    @classmethod
    def of_task(cls, task: Task, instance: ProcessInstance, spec_key: str) -> "LockedInstance":
        """What a read of `task` with its instance locked (lock_instance_with) gives a step."""
        instance.spec_key = spec_key
        return cls(instance, [task] if task.state == "open" else [])


@dataclass(eq=False)
class Step:
    """One engine operation's change to one case.

    Audit rows recorded with `record_audit` while the step runs are written together, in one INSERT whose ids keep
    the order recorded, when the operation ends well (`finish`), and not at all when it fails; rows recorded after
    it finished are written at once. `audit_rows` holds them all, in order.
    """

    instance: ProcessInstance
    now: datetime
    actor_id: int | None = None
    # the instance's open task rows as the step found them (checked against the workflow before they are relied on)
    open_rows: list[Task] = field(default_factory=list)
    new: bool = False  # the case starts in this step: its row was inserted with its state, and it has no rows yet
    has_timers: bool = True  # its process has timer events (a step of one without need not look at the timer table)
    delivered: dict | None = (
        None  # the audit row of a message delivered from outside, which its catching task completes
    )
    # the instance's running clocks and its case clock, once a receiver read them (sla.clocks; new ones added)
    clocks: list | None = None
    opened: list[Task] = field(default_factory=list)  # the task rows it opened, in order (their state now)
    audit_rows: list[dict] = field(default_factory=list)  # the audit rows it recorded, in order
    result: Any = None  # what the operation made: the completed task's row, the ids of the timers fired...
    finished: bool = False

    def record_audit(self, kind, actor_id=None, task_bpmn_id=None, task_name=None, data=None, at=None) -> dict:
        """Record an audit event of the step's case (at the step's time unless `at`); return its row, which may be
        completed until the step finishes."""
        row = audit_row(self.instance, kind, actor_id, self.now if at is None else at, task_bpmn_id, task_name, data)
        self.audit_rows.append(row)
        if self.finished:
            write_audit_rows([row])
        return row

    def finish(self, result=None) -> "Step":
        """End the step well: note its result and write the audit rows it recorded."""
        self.result = result
        if not self.finished and self.audit_rows:
            write_audit_rows(self.audit_rows)
        self.finished = True
        return self
