"""What a case waits for besides people: the timers it waits on, named as its model names them, with their due times.

A case in a timer's wait (the referral's 30-day follow-up period) has no open task: the pages say what it waits
for and until when from its timer rows and the timer events of its version's cached spec.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from workflow_app.engine.models import ProcessInstance, ProcessVersion, Timer
from workflow_app.engine.process_facts import PORTAL_WAITING
from workflow_app.extensions import db


@dataclass(frozen=True)
class TimerWait:
    """A timer a case waits on: the event's name in the model (its id when it has none) and when it is due."""

    instance_id: int
    bpmn_id: str
    label: str
    due_at: datetime
    on_task: bool  # a boundary timer: a deadline of one of the case's open tasks, not a wait of the case itself
    portal_waiting: str | None  # the event's portalWaiting: what the enterprise is told while the case waits


def _timer_event(instance: ProcessInstance, bpmn_id: str):
    """The task spec of a timer event (by BPMN id) in the instance's version, or None."""
    from workflow_app.engine.serialization import load_specs

    key = getattr(instance, "spec_key", None) or instance.process_version.sha256
    version_id = instance.process_version_id
    spec, subprocess_specs = load_specs(
        key, lambda: db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id))
    )
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(bpmn_id)
        if task_spec is not None:
            return task_spec
    return None


def describe_timer(instance: ProcessInstance, timer: Timer) -> TimerWait:
    """A timer row as people read it: its event's name and properties from the instance's model."""
    event = _timer_event(instance, timer.bpmn_id)
    properties = ((getattr(event, "extensions", None) or {}).get("properties") or {}) if event is not None else {}
    label = ((getattr(event, "bpmn_name", None) or "").strip() if event is not None else "") or timer.bpmn_id
    on_task = event is not None and any(kind.__name__ == "BoundaryEvent" for kind in type(event).__mro__)
    return TimerWait(
        instance_id=timer.instance_id,
        bpmn_id=timer.bpmn_id,
        label=label,
        due_at=timer.due_at,
        on_task=on_task,
        portal_waiting=(properties.get(PORTAL_WAITING) or "").strip() or None,
    )


def timer_waits(instances: Iterable[ProcessInstance]) -> dict[int, list[TimerWait]]:
    """The timers each of these instances waits on, soonest first, by instance id (one statement for all)."""
    by_id = {instance.id: instance for instance in instances}
    found: dict[int, list[TimerWait]] = {}
    if not by_id:
        return found
    for timer in db.session.scalars(
        sa.select(Timer).where(Timer.instance_id.in_(sorted(by_id))).order_by(Timer.due_at, Timer.id)
    ):
        found.setdefault(timer.instance_id, []).append(describe_timer(by_id[timer.instance_id], timer))
    return found


def case_waits(instance: ProcessInstance) -> list[TimerWait]:
    """The timers one instance waits on, soonest first (none once it has ended)."""
    if instance.status in ("completed", "cancelled"):
        return []
    return timer_waits([instance]).get(instance.id, [])
