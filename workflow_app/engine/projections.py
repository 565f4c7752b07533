"""Keep the task, timer and instance rows in step with the workflow state."""

import json
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
from workflow_app.engine.models import Task, Timer
from workflow_app.engine.serialization import catches_timer
from workflow_app.engine.signals import task_closed, task_opened
from workflow_app.engine.step import Step, audit_row, write_audit_rows
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


def _task_org_unit_id(step: Step, spiff_task, properties: dict) -> int:
    """The unit whose queue a task goes to: the one whose code the data's `orgUnitField` names (a loan's bank), else
    `orgUnit` (`city` or a code), else the case's."""
    instance = step.instance
    field = properties.get("orgUnitField")
    if field:
        code = spiff_task.data.get(field)
        unit = find_org_unit(code) if isinstance(code, str) and code else None
        if unit is not None:
            return unit.id
        # a model or data error must not stop the case: the task goes to orgUnit's queue, where supervisors see it
        step.record_audit(
            "org_unit_unresolved",
            None,
            spiff_task.task_spec.bpmn_id,
            data={"field": field, "value": str(code)[:100] if code is not None else None},
        )
    wanted = properties.get("orgUnit")
    if not wanted:
        return instance.org_unit_id
    unit = find_city_unit() if wanted == "city" else find_org_unit(wanted)
    return unit.id if unit is not None else instance.org_unit_id


def _assignee_id(step: Step, spiff_task, properties):
    """Evaluate a task's `assignee` property (an expression giving a user name) to a user id."""
    expression = properties.get("assignee")
    if not expression:
        return None
    try:
        username = spiff_task.workflow.script_engine.evaluate(spiff_task, expression)
    except Exception as exc:  # a model error must not stop the case: the task goes to the queue
        step.record_audit(
            "assignee_unresolved",
            None,
            spiff_task.task_spec.bpmn_id,
            data={"expression": expression, "error": str(exc)[:300]},
        )
        return None
    user = find_user(str(username)) if username else None
    if username and (user is None or not user.active):
        step.record_audit(
            "assignee_unresolved",
            None,
            spiff_task.task_spec.bpmn_id,
            data={"expression": expression, "user": str(username)},
        )
        return None
    return user.id if user else None


def _same_person_id(step: Step, row: Task, step_id: str, rows) -> int | None:
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
                    Task.instance_id == step.instance.id,
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
    step.record_audit("same_person_unavailable", None, row.bpmn_id, row.name, {"person": user.display_name})
    return None


def record_audit(instance, kind, actor_id, now, task_bpmn_id=None, task_name=None, data=None) -> dict:
    """Write an audit event of an instance at once; return its row. (An engine step records its own with
    Step.record_audit, written with the step.)"""
    row = audit_row(instance, kind, actor_id, now, task_bpmn_id, task_name, data)
    write_audit_rows([row])
    return row


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


def record_automatic_steps(step: Step, spiff_tasks) -> None:
    """Record the automatic tasks an engine step ran (`AUTOMATIC_SPECS`), in order, each with the variables it changed.

    The task that caught a message delivered from outside in this step (`step.delivered`, not written yet)
    completes that message's row instead of recording another.
    """
    delivered = step.delivered
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
        step.record_audit(kind, None, task_spec.bpmn_id, name, data or None)


def _follow_case_org_unit(step: Step, ready):
    instance = step.instance
    for spiff_task in ready:
        code = spiff_task.data.get(CASE_ORG_UNIT_KEY)
        if not code:
            continue
        unit = find_org_unit(str(code))
        if unit is not None and unit.id != instance.org_unit_id:
            step.record_audit("org_unit_changed", step.actor_id, data={"org_unit": unit.code})
            instance.org_unit_id = unit.id
        return


def sync_projections(step: Step, workflow, completed_spiff_id=None):
    """Bring the step's case's task rows, timer rows and current step up to date with its workflow.

    The step's open task rows are those it found (checked against the workflow); the caller sends
    `projections_synced` once the step's status change (if any) is made too.
    """
    instance, now, actor_id = step.instance, step.now, step.actor_id
    ready = ready_human_tasks(workflow)
    _follow_case_org_unit(step, ready)
    ready_by_id = {str(t.id): t for t in ready}
    open_rows = {row.spiff_task_id: row for row in step.open_rows}

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
            step.record_audit("task_cancelled", None, row.bpmn_id, row.name)
        task_closed.send(
            instance,
            step=step,
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
            org_unit_id=_task_org_unit_id(step, spiff_task, properties),
            form_key=properties.get("formKey"),
            sla=properties.get("sla"),
            sla_urgent=properties.get("slaUrgent"),
            assignee_id=_assignee_id(step, spiff_task, properties),
            state="open",
            created_at=now,
        )
        if row.assignee_id is None and properties.get("samePersonAs"):
            row.assignee_id = _same_person_id(step, row, properties["samePersonAs"], open_rows.values())
        db.session.add(row)
        step.opened.append(row)
        step.record_audit("task_opened", None, row.bpmn_id, row.name, {"role": row.role})
        task_opened.send(
            instance,
            step=step,
            task=row,
            workflow_data=spiff_task.data,
            properties=properties,
            now=now,
            evaluate=_evaluator(spiff_task),
        )

    instance.current_step = _step_names(ready)
    if step.has_timers:
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
