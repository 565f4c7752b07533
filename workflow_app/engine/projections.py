"""Keep the task, timer and instance rows in step with the workflow state."""

import json
from contextlib import contextmanager
from uuid import UUID

import sqlalchemy as sa
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.util.task import TaskState

from workflow_app.auth.models import User
from workflow_app.auth.queries import find_city_unit, find_org_unit, find_user
from workflow_app.core.transaction_info import transaction_key
from workflow_app.engine.models import AuditEvent, ProcessInstance, Task, Timer
from workflow_app.engine.serialization import catches_timer
from workflow_app.engine.signals import task_closed, task_opened
from workflow_app.extensions import db

# A task may set this data key to an org unit code to move the case (e.g. routing to a county).
CASE_ORG_UNIT_KEY = "case_org_unit"


def json_safe(data):
    """Return a JSON-storable copy of task data (Decimal, dates and UUIDs as text)."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


def task_properties(spiff_task) -> dict:
    return (spiff_task.task_spec.extensions or {}).get("properties", {})


def ready_human_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def ready_human_task_ids(workflow) -> set[str]:
    """The ids of the human tasks a workflow waits on, from its task maps (cheaper than walking the task tree)."""
    return {
        str(task.id)
        for wf in (workflow, *workflow.subprocesses.values())
        for task in wf.tasks.values()
        if task.state == TaskState.READY and task.task_spec.manual
    }


def waiting_timers(workflow) -> dict[str, tuple]:
    """Return {spiff task id: (bpmn id, due datetime)} for every timer the workflow waits on."""
    timers = {}
    for spiff_task in workflow.get_tasks(state=TaskState.WAITING):
        if not catches_timer(spiff_task.task_spec):
            continue
        value = spiff_task.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value["next"] if value.get("cycles") != 0 else None
        if value:
            timers[str(spiff_task.id)] = (spiff_task.task_spec.bpmn_id, TimerEventDefinition.get_datetime(value))
    return timers


def _evaluator(spiff_task):
    """Return a function that evaluates a property's expression on the task's data (as it opens or completes)."""

    def evaluate(expression):
        return spiff_task.workflow.script_engine.evaluate(spiff_task, expression)

    return evaluate


def _task_org_unit_id(instance: ProcessInstance, spiff_task, properties: dict, now) -> int:
    """The unit whose queue a task goes to: the one whose code the data's `orgUnitField` names (a loan's bank), else
    `orgUnit` (`city` or a code), else the case's."""
    field = properties.get("orgUnitField")
    if field:
        code = spiff_task.data.get(field)
        unit = find_org_unit(code) if isinstance(code, str) and code else None
        if unit is not None:
            return unit.id
        # a model or data error must not stop the case: the task goes to orgUnit's queue, where supervisors see it
        record_audit(
            instance,
            "org_unit_unresolved",
            None,
            now,
            spiff_task.task_spec.bpmn_id,
            data={"field": field, "value": str(code)[:100] if code is not None else None},
        )
    wanted = properties.get("orgUnit")
    if not wanted:
        return instance.org_unit_id
    unit = find_city_unit() if wanted == "city" else find_org_unit(wanted)
    return unit.id if unit is not None else instance.org_unit_id


def _assignee_id(instance, spiff_task, properties, now):
    """Evaluate a task's `assignee` property (an expression giving a user name) to a user id."""
    expression = properties.get("assignee")
    if not expression:
        return None
    try:
        username = spiff_task.workflow.script_engine.evaluate(spiff_task, expression)
    except Exception as exc:  # a model error must not stop the case: the task goes to the queue
        record_audit(
            instance,
            "assignee_unresolved",
            None,
            now,
            spiff_task.task_spec.bpmn_id,
            data={"expression": expression, "error": str(exc)[:300]},
        )
        return None
    user = find_user(str(username)) if username else None
    if username and (user is None or not user.active):
        record_audit(
            instance,
            "assignee_unresolved",
            None,
            now,
            spiff_task.task_spec.bpmn_id,
            data={"expression": expression, "user": str(username)},
        )
        return None
    return user.id if user else None


def _same_person_id(instance, row: Task, step_id: str, rows, now) -> int | None:
    """The user who last completed the step `step_id` of this case (the task's samePersonAs), if they may still do
    `row`'s task (active, with its lane's role in its unit); else None: the task waits in its group's queue (and the
    history says who could not take it: same_person_unavailable).

    `rows`: the task rows this step has in hand (the one just completed among them, not written yet)."""
    done = [r.completed_by_id for r in rows if r.bpmn_id == step_id and r.state == "completed" and r.completed_by_id]
    if done:
        user_id = done[-1]
    else:
        with db.session.no_autoflush:  # what this step changed is in `rows`; an earlier round's rows are stored
            user_id = db.session.scalar(
                sa.select(Task.completed_by_id)
                .where(
                    Task.instance_id == instance.id,
                    Task.bpmn_id == step_id,
                    Task.state == "completed",
                    Task.completed_by_id.is_not(None),
                )
                .order_by(Task.completed_at.desc(), Task.id.desc())
                .limit(1)
            )
    if user_id is None:
        return None  # nobody did that step in this case (the case came another way): the group's queue
    user = db.session.get(User, user_id)
    if user.active and row.role in user.role_names and user.org_unit_id == row.org_unit_id:
        return user.id
    record_audit(instance, "same_person_unavailable", None, now, row.bpmn_id, row.name, {"person": user.display_name})
    return None


# Audit rows are written with Core, not as ORM objects: nothing reads them back in the step that writes
# them, and the unit of work cost more than the rest of a step's writes together.
_AUDIT_INSERT = sa.insert(AuditEvent.__table__)
_AUDIT_BATCH = "engine_audit_batch"  # session.info key: the audit rows of the running engine operation


# What this transaction wrote of each instance: the task rows it opened and the audit rows, in the order written.
# A response about a case started in this transaction shows them without reading them back.
_WRITTEN = transaction_key("engine_written")  # session.info: {instance id: ([Task], [audit row])}


def _written(instance_id: int) -> tuple[list, list]:
    return db.session.info.setdefault(_WRITTEN, {}).setdefault(instance_id, ([], []))


def rows_written(instance_id: int) -> tuple[list[Task], list[dict]] | None:
    """The task rows opened (with their state now) and the audit rows written for an instance in this transaction,
    both in the order made; None if this transaction wrote none. For an instance started in this transaction,
    that is all it has."""
    return db.session.info.get(_WRITTEN, {}).get(instance_id)


def _write_audit(rows: list[dict]) -> None:
    db.session.connection().execute(_AUDIT_INSERT, rows)
    for row in rows:
        _written(row["instance_id"])[1].append(row)


def record_audit(instance, kind, actor_id, now, task_bpmn_id=None, task_name=None, data=None) -> dict:
    """Append an audit event of an instance: at once, or at the end of the engine operation that records it.

    Returns the row; inside an engine operation, it may still be completed until the operation ends.
    """
    row = {
        "instance_id": instance.id,
        "actor_id": actor_id,
        "kind": kind,
        "task_bpmn_id": task_bpmn_id,
        "task_name": task_name,
        "data": data,
        "at": now,
    }
    batch = db.session.info.get(_AUDIT_BATCH)
    if batch is None:
        _write_audit([row])
    else:
        batch.append(row)
    return row


@contextmanager
def audit_batch():
    """Write the audit events recorded inside in one INSERT when the block ends well (inner blocks join outer ones).

    Their ids keep the order in which they were recorded; on an error nothing is written.
    """
    if _AUDIT_BATCH in db.session.info:
        yield
        return
    batch = db.session.info[_AUDIT_BATCH] = []
    try:
        yield
    finally:
        db.session.info.pop(_AUDIT_BATCH, None)
    if batch:
        _write_audit(batch)


# The automatic steps the history shows (issue 28.7): the task specs they run as. SpiffWorkflow's bookkeeping specs
# (the process's Start and End, joins) are none of these; the checks in `automatic_step` narrow them down further.
AUTOMATIC_SPECS = (ScriptTask, BusinessRuleTaskMixin, ExclusiveGateway, InclusiveGateway, CatchingEvent)
AUTOMATIC_KINDS = ("script_run", "decision_made", "branch_taken", "timer_fired", "message_received")
# A value the history keeps of a variable is cut to this many characters of JSON (a script may make a long list).
HISTORY_VALUE_CHARS = 500


def _history_value(value):
    """`value` as the history keeps it: as json_safe would store it, cut to HISTORY_VALUE_CHARS."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if not isinstance(value, (dict, list, tuple)):
        value = str(value)  # Decimal, dates and the like, as json_safe stores them
    if isinstance(value, str):
        return value if len(value) <= HISTORY_VALUE_CHARS else value[:HISTORY_VALUE_CHARS] + "…"
    text = json.dumps(value, default=str, ensure_ascii=False)
    return json.loads(text) if len(text) <= HISTORY_VALUE_CHARS else text[:HISTORY_VALUE_CHARS] + "…"


def changed_variables(spiff_task) -> dict:
    """What running the task changed in its data, against the data it got from its parent:
    {"changed": {name: new value}, "removed": [names]}, each left out when empty."""
    before = spiff_task.parent.data if spiff_task.parent is not None else {}
    after = spiff_task.data
    changes = {}
    changed = {
        name: _history_value(value) for name, value in after.items() if name not in before or before[name] != value
    }
    if changed:
        changes["changed"] = changed
    removed = [name for name in before if name not in after]
    if removed:
        changes["removed"] = removed
    return changes


def _caught_event(task_spec) -> tuple[str, dict] | None:
    definition = task_spec.event_definition
    for candidate in getattr(definition, "event_definitions", [definition]):
        if isinstance(candidate, TimerEventDefinition):
            return "timer_fired", {}
        if isinstance(candidate, MessageEventDefinition):
            return "message_received", {"name": candidate.name}
    return None


def automatic_step(spiff_task) -> tuple[str, dict] | None:
    """(audit kind, data) of an automatic task that ran, for the history; None for one the history leaves out.

    A gateway with one way out chose nothing; an event-based gateway's choice is the event caught after it.
    """
    task_spec = spiff_task.task_spec
    if task_spec.bpmn_id is None:
        return None
    if isinstance(task_spec, ScriptTask):
        return "script_run", {}
    if isinstance(task_spec, BusinessRuleTaskMixin):
        names = dict.fromkeys(
            (output.name or output.label or "").split(".")[0] for output in task_spec.dmnEngine.decision_table.outputs
        )
        return "decision_made", {
            "outputs": {name: _history_value(spiff_task.data[name]) for name in names if name in spiff_task.data}
        }
    if isinstance(task_spec, (ExclusiveGateway, InclusiveGateway)):
        if len(task_spec.outputs) < 2:
            return None
        conditions = {name: condition.args[0] for condition, name in task_spec.cond_task_specs if condition is not None}
        return "branch_taken", {
            "to": [
                {
                    "step": child.task_spec.bpmn_id,
                    "name": child.task_spec.bpmn_name or child.task_spec.bpmn_id,
                    "condition": conditions.get(child.task_spec.name),
                }
                for child in spiff_task.children
            ]
        }
    if isinstance(task_spec, CatchingEvent) and not isinstance(task_spec, EventBasedGateway):
        return _caught_event(task_spec)
    return None


def record_automatic_steps(instance, spiff_tasks, now, delivered: dict | None = None) -> None:
    """Record the automatic tasks an engine step ran (`AUTOMATIC_SPECS`), in order, each with the variables it changed.

    `delivered`: the audit row of a message delivered from outside in this step (still in the operation's batch);
    the task that caught it completes that row instead of recording another.
    """
    for spiff_task in spiff_tasks:
        found = automatic_step(spiff_task)
        if found is None:
            continue
        kind, data = found
        data.update(changed_variables(spiff_task))
        task_spec = spiff_task.task_spec
        name = task_spec.bpmn_name or task_spec.bpmn_id
        if (
            kind == "message_received"
            and delivered is not None
            and delivered["task_bpmn_id"] is None
            and delivered["data"]["name"] == data["name"]
        ):
            data.pop("name")
            delivered.update(task_bpmn_id=task_spec.bpmn_id, task_name=name, data={**delivered["data"], **data})
            delivered = None
            continue
        record_audit(instance, kind, None, now, task_spec.bpmn_id, name, data or None)


def _follow_case_org_unit(instance, ready, actor_id, now):
    for spiff_task in ready:
        code = spiff_task.data.get(CASE_ORG_UNIT_KEY)
        if not code:
            continue
        unit = find_org_unit(str(code))
        if unit is not None and unit.id != instance.org_unit_id:
            record_audit(instance, "org_unit_changed", actor_id, now, data={"org_unit": unit.code})
            instance.org_unit_id = unit.id
        return


def sync_projections(
    instance: ProcessInstance, workflow, now, actor_id=None, completed_spiff_id=None, open_rows=None, has_timers=True
):
    """Bring task rows, timer rows and the instance's current step up to date.

    The caller sends `projections_synced` once the step's status change (if any) is made too.
    `open_rows` may pass the instance's open task rows when the caller already holds them;
    `has_timers=False` (a process without any timer event) skips the timer table.
    """
    ready = ready_human_tasks(workflow)
    _follow_case_org_unit(instance, ready, actor_id, now)
    ready_by_id = {str(t.id): t for t in ready}
    if open_rows is None:
        open_rows = db.session.scalars(sa.select(Task).where(Task.instance_id == instance.id, Task.state == "open"))
    open_rows = {row.spiff_task_id: row for row in open_rows}

    for spiff_id, row in open_rows.items():
        if spiff_id in ready_by_id:
            continue
        spiff_task = workflow.get_task_from_id(UUID(spiff_id))
        finished = spiff_task is not None and spiff_task.has_state(TaskState.COMPLETED)
        row.state = "completed" if finished else "cancelled"
        row.completed_at = now
        if spiff_id == completed_spiff_id:
            row.completed_by_id = actor_id
        if row.state == "cancelled":
            record_audit(instance, "task_cancelled", None, now, row.bpmn_id, row.name)
        task_closed.send(
            instance,
            task=row,
            now=now,
            actor_id=actor_id,
            properties=task_properties(spiff_task) if spiff_task is not None else {},
            evaluate=_evaluator(spiff_task) if finished else None,
        )

    for spiff_id, spiff_task in ready_by_id.items():
        if spiff_id in open_rows:
            continue
        properties = task_properties(spiff_task)
        row = Task(
            instance_id=instance.id,
            spiff_task_id=spiff_id,
            bpmn_id=spiff_task.task_spec.bpmn_id,
            name=spiff_task.task_spec.bpmn_name or spiff_task.task_spec.bpmn_id,
            role=spiff_task.task_spec.lane,
            org_unit_id=_task_org_unit_id(instance, spiff_task, properties, now),
            form_key=properties.get("formKey"),
            sla=properties.get("sla"),
            sla_urgent=properties.get("slaUrgent"),
            assignee_id=_assignee_id(instance, spiff_task, properties, now),
            state="open",
            created_at=now,
        )
        if row.assignee_id is None and properties.get("samePersonAs"):
            row.assignee_id = _same_person_id(instance, row, properties["samePersonAs"], open_rows.values(), now)
        db.session.add(row)
        _written(instance.id)[0].append(row)
        record_audit(instance, "task_opened", None, now, row.bpmn_id, row.name, {"role": row.role})
        task_opened.send(
            instance,
            task=row,
            workflow_data=spiff_task.data,
            properties=properties,
            now=now,
            evaluate=_evaluator(spiff_task),
        )

    instance.current_step = _step_names(ready)
    if has_timers:
        _sync_timers(instance, workflow)


def current_step_of(workflow) -> str | None:
    """The names of the human tasks a workflow waits on, as the case list shows them."""
    return _step_names(ready_human_tasks(workflow))


def _step_names(ready) -> str | None:
    names = [t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in ready]
    return ", ".join(dict.fromkeys(names))[:500] or None


def _sync_timers(instance, workflow):
    timers = waiting_timers(workflow)
    existing = {
        row.spiff_task_id: row for row in db.session.scalars(sa.select(Timer).where(Timer.instance_id == instance.id))
    }
    for spiff_id, row in existing.items():
        if spiff_id not in timers:
            db.session.delete(row)
        elif row.due_at != timers[spiff_id][1]:
            row.due_at = timers[spiff_id][1]
    for spiff_id, (bpmn_id, due) in timers.items():
        if spiff_id not in existing:
            db.session.add(Timer(instance_id=instance.id, spiff_task_id=spiff_id, bpmn_id=bpmn_id, due_at=due))
