"""Reads about a step done again: what the same step answered last time, and the send-back or reopening that opened it.

The model says what a send-back and a reopening are (a task's `sendBack` and `reopen` properties; sla.clocks records
`sent_back` and `reopened` events when they hold); the task they open is opened in the same engine step, so it has the
event's time as its own creation time.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from workflow_app.cases.models import Case, Comment
from workflow_app.cases.queries import described_audit_events
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.extensions import db

RETURN_KINDS = ("sent_back", "reopened")


@dataclass
class Return:
    """The send-back or reopening that opened a task: which step did it, who, when, and what that step answered."""

    kind: str  # "sent_back" or "reopened"
    step: str
    actor: str | None
    at: datetime
    described: list = field(default_factory=list)  # (label, value) pairs of the sending step's answer
    notes: list = field(default_factory=list)  # the comments written with it (a reason may be put there too)


def _opening_events(tasks) -> sa.Select:
    return sa.select(AuditEvent).where(
        AuditEvent.kind.in_(RETURN_KINDS), AuditEvent.instance_id.in_({task.instance_id for task in tasks})
    )


def return_kinds(tasks) -> dict[int, str]:
    """{task id: "sent_back" or "reopened"} for those of the open `tasks` that a send-back or a reopening opened."""
    tasks = [task for task in tasks if task.state == "open"]
    if not tasks:
        return {}
    opened_by: dict = {}
    for event in db.session.scalars(_opening_events(tasks).order_by(AuditEvent.id)):
        # a send-back says more than a reopening recorded with it
        if opened_by.get((event.instance_id, event.at)) != "sent_back":
            opened_by[(event.instance_id, event.at)] = event.kind
    return {
        task.id: opened_by[(task.instance_id, task.created_at)]
        for task in tasks
        if (task.instance_id, task.created_at) in opened_by
    }


def task_return(task: Task) -> Return | None:
    """The send-back or reopening that opened `task` (an open one), with the sending step's answer; None if neither
    did."""
    if task.state != "open":
        return None
    events = [
        event
        for event in db.session.scalars(
            _opening_events([task]).where(AuditEvent.at == task.created_at).order_by(AuditEvent.id)
        )
    ]
    if not events:
        return None
    event = next((e for e in events if e.kind == "sent_back"), events[0])
    answer = next(
        (
            entry
            for entry in reversed(described_audit_events(task.instance_id, ("task_completed",)))
            if entry.item.task_bpmn_id == event.task_bpmn_id and entry.item.at == event.at
        ),
        None,
    )
    sender = db.session.scalar(
        sa.select(Task.id)
        .where(Task.instance_id == task.instance_id, Task.bpmn_id == event.task_bpmn_id, Task.completed_at == event.at)
        .limit(1)
    )
    notes = (
        db.session.scalars(
            sa.select(Comment.body)
            .join(Case, Case.id == Comment.case_id)
            .where(Case.instance_id == task.instance_id, Comment.task_id == sender)
            .order_by(Comment.id)
        ).all()
        if sender is not None
        else []
    )
    return Return(
        kind=event.kind,
        step=event.task_name or event.task_bpmn_id or "",
        actor=event.actor.display_name if event.actor else None,
        at=event.at,
        described=answer.described if answer else [],
        notes=list(notes),
    )


def last_answer(task: Task) -> dict | None:
    """What the same step (the same BPMN element) last submitted in this case, in the task's unit, before `task`
    opened; None the first time. Another unit's answer is not offered (a county that takes over a returned case
    starts afresh)."""
    earlier = db.session.scalar(
        sa.select(Task.completed_at)
        .where(
            Task.instance_id == task.instance_id,
            Task.bpmn_id == task.bpmn_id,
            Task.state == "completed",
            Task.org_unit_id == task.org_unit_id,
            Task.id != task.id,
            Task.completed_at <= task.created_at,
        )
        .order_by(Task.completed_at.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    data = db.session.scalar(
        sa.select(AuditEvent.data)
        .where(
            AuditEvent.instance_id == task.instance_id,
            AuditEvent.kind == "task_completed",
            AuditEvent.task_bpmn_id == task.bpmn_id,
            AuditEvent.at <= earlier,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return data if isinstance(data, dict) else None
