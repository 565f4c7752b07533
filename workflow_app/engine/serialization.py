"""Workflow state <-> JSON, with the spec stored once per process version.

The serializer's workflow converter is replaced by one that leaves `spec` and
`subprocess_specs` out when saving and takes already-restored specs when loading, so
a step neither writes nor re-parses the whole process definition.
"""

import json
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from workflow_app.engine import spiff_patches  # noqa: F401  (must run before any workflow is used)
from workflow_app.engine.scripting import SCRIPT_ENGINE


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Serialize a workflow without its specs; restore it with specs handed in."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        specs = dct.pop("_specs", None)
        if specs is None:  # a full serialization (e.g. one that needed migrating)
            return super().from_dict(dct)
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# what restoring a broken stored state raises (bad JSON, a missing key, a spec it does not fit)
STATE_READ_ERRORS = (SpiffWorkflowException, ValueError, KeyError, TypeError, AttributeError)


def _registry():
    registry = DefaultRegistry()
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return registry


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = SpecFreeWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config, _registry()))
# A plain serializer for specs (the spec converters are the same in both configurations).
SPEC_SERIALIZER = SERIALIZER

_spec_cache: dict[str, tuple] = {}
_timer_free: set[str] = set()  # spec keys whose processes contain no timer event at all


def dump_specs(spec, subprocess_specs) -> str:
    """Return the JSON stored on a ProcessVersion for a parsed process."""
    return json.dumps(
        {
            "spec": SPEC_SERIALIZER.to_dict(spec),
            "subprocess_specs": {name: SPEC_SERIALIZER.to_dict(s) for name, s in subprocess_specs.items()},
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def load_specs(spec_key: str, read_spec_json) -> tuple:
    """Return (spec, subprocess_specs) of a process version, restored once per process.

    `spec_key` is the version's sha256; `read_spec_json()` is called only on a cache miss,
    so the (large) spec column is not read on every step.
    """
    specs = _spec_cache.get(spec_key)
    if specs is None:
        dct = json.loads(read_spec_json())
        specs = (
            SPEC_SERIALIZER.from_dict(dct["spec"]),
            {name: SPEC_SERIALIZER.from_dict(s) for name, s in dct["subprocess_specs"].items()},
        )
        if not any(
            catches_timer(task_spec) for s in [specs[0], *specs[1].values()] for task_spec in s.task_specs.values()
        ):
            _timer_free.add(spec_key)
        _spec_cache[spec_key] = specs
    return specs


def catches_timer(task_spec) -> bool:
    """Whether a task spec waits on a timer (alone or among the events of an event-based gateway)."""
    definition = getattr(task_spec, "event_definition", None)
    return any(isinstance(d, TimerEventDefinition) for d in getattr(definition, "event_definitions", [definition]))


def spec_has_timers(spec_key: str) -> bool:
    """Whether any timer event exists in a (loaded) process version; timer-free ones skip the timer table."""
    return spec_key not in _timer_free


def new_workflow(specs, data: dict) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    return workflow


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state without its spec."""
    return SERIALIZER.serialize_json(workflow)


def top_task_states(state_json: str, spec_key: str, read_spec_json) -> list[tuple[str | None, int]] | None:
    """(BPMN id, TaskState) of each task of the top workflow, read from the stored state without restoring it.

    For pages that only show which steps ran (restoring builds every task object: most of a case page's
    engine time). None for a state in an older format: restore it with load_workflow instead.
    """
    dct = json.loads(state_json)
    if dct.get(SERIALIZER.VERSION_KEY) != SERIALIZER_VERSION:
        return None
    task_specs = load_specs(spec_key, read_spec_json)[0].task_specs
    return [
        (getattr(task_specs.get(task["task_spec"]), "bpmn_id", None), task["state"]) for task in dct["tasks"].values()
    ]


def top_end_event(state_json: str, spec_key: str, read_spec_json) -> str | None:
    """The BPMN id of the end event the top workflow completed through (the last one reached), read from the stored
    state without restoring it; None when it reached none (e.g. cancelled before its end)."""
    from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
    from SpiffWorkflow.util.task import TaskState

    dct = json.loads(state_json)
    if dct.get(SERIALIZER.VERSION_KEY) == SERIALIZER_VERSION:
        task_specs = load_specs(spec_key, read_spec_json)[0].task_specs
        ends = [
            (task.get("last_state_change") or 0, task_specs.get(task["task_spec"]))
            for task in dct["tasks"].values()
            if task["state"] & TaskState.COMPLETED
        ]
    else:  # an older stored format: restored (and migrated) by the library
        workflow = load_workflow(state_json, spec_key, read_spec_json)
        ends = [
            (task.last_state_change or 0, task.task_spec)
            for task in workflow.get_tasks(state=TaskState.COMPLETED)
            if task.workflow is workflow
        ]
    ends = [(when, spec) for when, spec in ends if isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None)]
    return max(ends, key=lambda end: end[0])[1].bpmn_id if ends else None


def load_workflow(state_json: str, spec_key: str, read_spec_json) -> BpmnWorkflow:
    """Restore a workflow from its stored state and its version's spec."""
    dct = json.loads(state_json)
    if dct.get(SERIALIZER.VERSION_KEY) != SERIALIZER_VERSION:
        # Older format: rebuild the full serialization so the library's migrations can run.
        full = json.loads(read_spec_json())
        dct.update(spec=full["spec"], subprocess_specs=full["subprocess_specs"])
        SERIALIZER.migrate(dct)
    else:
        dct.pop(SERIALIZER.VERSION_KEY)
        dct["_specs"] = load_specs(spec_key, read_spec_json)
    workflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow
