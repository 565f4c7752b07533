"""Reads of process versions, instances, tasks, timers and audit events."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.core.errors import NotFound
from workflow_app.core.reference import kept
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, RetiredProcess, Task, Timer
from workflow_app.engine.process_facts import ProcessFacts, read_facts
from workflow_app.extensions import db


@dataclass(frozen=True)
class DeployedVersion:
    """The newest version of a deployed process, kept between requests as plain values (see core.reference)."""

    id: int
    process_id: str
    version: int
    name: str | None
    sha256: str
    source_file: str
    created_at: datetime

    @property
    def spec_json(self) -> str:
        """The parsed spec as stored (read when the spec cache has no entry for `sha256`)."""
        return db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.id == self.id))


def latest_version(process_id: str) -> DeployedVersion | None:
    """The newest version of a process (from the kept list of newest versions)."""
    return next((v for v in list_latest_versions() if v.process_id == process_id), None)


def newest_stored_version(process_id: str) -> ProcessVersion | None:
    """The newest version of a process as stored now (what deploying compares with)."""
    return db.session.scalar(
        sa.select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


_newest = (
    sa.select(ProcessVersion.process_id, sa.func.max(ProcessVersion.version).label("version"))
    .group_by(ProcessVersion.process_id)
    .subquery()
)
_LATEST_VERSIONS = (  # built once
    sa.select(*(getattr(ProcessVersion, name) for name in DeployedVersion.__dataclass_fields__))
    .join(
        _newest, sa.and_(ProcessVersion.process_id == _newest.c.process_id, ProcessVersion.version == _newest.c.version)
    )
    .order_by(ProcessVersion.process_id)
)
LATEST_KEPT = "latest_versions"  # its name in core.reference


def list_latest_versions() -> list[DeployedVersion]:
    """Return the newest version of every deployed process, by process id (kept between requests: every start
    reads it)."""
    return list(kept(LATEST_KEPT, lambda: tuple(DeployedVersion(*row) for row in db.session.execute(_LATEST_VERSIONS))))


DEPLOYED_KEPT = "deployed_process_ids"  # its name in core.reference


def deployed_process_ids() -> list[str]:
    """The ids of the deployed processes, sorted (kept between requests)."""
    return kept(
        DEPLOYED_KEPT,
        lambda: list(
            db.session.scalars(sa.select(ProcessVersion.process_id).distinct().order_by(ProcessVersion.process_id))
        ),
    )


RETIRED_KEPT = "retired_process_ids"  # its name in core.reference


def retired_process_ids() -> frozenset[str]:
    """The ids of the retired processes, which take no new cases (kept between requests: the start lists read it)."""
    return kept(RETIRED_KEPT, lambda: frozenset(db.session.scalars(sa.select(RetiredProcess.process_id))))


def is_retired(process_id: str) -> bool:
    """Whether a process is retired, as stored now (what starting a case checks)."""
    return db.session.get(RetiredProcess, process_id) is not None


def retired_message(process_id: str):
    """What a person who tries to start a retired process reads."""
    return _l(
        "%(process)s is retired: it takes no new cases (the cases already running go on to their end).",
        process=process_label(process_id),
    )


def startable_versions() -> list[DeployedVersion]:
    """The newest version of every deployed process that takes new cases (not retired): what start lists offer."""
    retired = retired_process_ids()
    return [version for version in list_latest_versions() if version.process_id not in retired]


_facts_cache: dict[str, ProcessFacts] = {}  # by version sha256, like the specs


def process_facts(version) -> ProcessFacts:
    """What a process version is, from its model: label, case-number prefix, title, who may start it, ...
    (engine.process_facts); read once per version from its cached spec."""
    facts = _facts_cache.get(version.sha256)
    if facts is None:
        from workflow_app.engine.serialization import load_specs

        spec = load_specs(version.sha256, lambda: version.spec_json)[0]
        description = db.session.scalar(sa.select(ProcessVersion.description).where(ProcessVersion.id == version.id))
        facts = _facts_cache[version.sha256] = read_facts(spec, version.process_id, version.name, description)
    return facts


def latest_process_facts(process_id: str) -> ProcessFacts | None:
    """The facts of a process's newest version; None when it is not deployed."""
    version = latest_version(process_id)
    return process_facts(version) if version is not None else None


def process_label(process_id: str) -> str:
    """The label people read for a process: its newest version's name, else its id."""
    version = latest_version(process_id)
    if version is None:
        return process_id
    return (version.name or "").strip() or process_id


FORM_SCHEMA, FORM_UI_SCHEMA = "formJsonSchemaFilename", "formUiSchemaFilename"  # as engine.parsing names them


def _form_files(task_spec) -> tuple[str | None, str | None]:
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    if not properties.get(FORM_SCHEMA):
        return None, None
    return properties[FORM_SCHEMA], properties.get(FORM_UI_SCHEMA) or None


def _spec_json_of(sha256: str) -> str:
    return db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.sha256 == sha256).limit(1))


def spec_form_files(spec_key: str, bpmn_id: str) -> tuple[str | None, str | None]:
    """(JSON Schema file, ui schema file) that the task or event `bpmn_id` of a version (by its sha256) names."""
    from workflow_app.engine.serialization import load_specs

    spec, subprocess_specs = load_specs(spec_key, lambda: _spec_json_of(spec_key))
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(bpmn_id)
        if task_spec is not None:
            return _form_files(task_spec)
    return None, None


def task_form_files(task_row: Task) -> tuple[str | None, str | None]:
    """(JSON Schema file, ui schema file) that a task row's user task names, from its version's cached spec;
    (None, None) for a task without a JSON Schema form."""
    if task_row.form_key:  # a task has one form (deploy refuses both), and WTForms tasks need not load the spec
        return None, None
    from workflow_app.engine.serialization import load_specs

    instance = task_row.instance
    key = getattr(instance, "spec_key", None) or instance.process_version.sha256
    spec, subprocess_specs = load_specs(key, lambda: _spec_json_of(key))
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(task_row.bpmn_id)
        if task_spec is not None:
            return _form_files(task_spec)
    return None, None


def start_form_files(version) -> tuple[str | None, str | None]:
    """(JSON Schema file, ui schema file) that a process version's start event names; (None, None) if none does.

    `version` is a ProcessVersion or a DeployedVersion."""
    from workflow_app.engine.serialization import load_specs

    spec = load_specs(version.sha256, lambda: version.spec_json)[0]
    starts = (ts for ts in spec.task_specs.values() if type(ts).__name__ == "StartEvent")
    return next((files for files in map(_form_files, starts) if files[0]), (None, None))


_version_files: dict[tuple[str, str], dict] = {}  # (sha256, file name) -> parsed JSON: a version never changes
_form_key_files: dict[tuple[str, str], tuple] = {}  # (sha256, formKey) -> (schema file, ui file): the same


def form_key_files(process_id: str, form_key: str) -> tuple[str, str, str | None] | None:
    """(sha256, schema file, ui schema file or None) of the JSON Schema form that the newest deployed version of a
    process puts in place of an old formKey (process_model.json's form_keys); None when it names none."""
    from workflow_app.engine.packages import FORM_KEYS, PACKAGE_MODEL, ui_schema_name

    newest = latest_version(process_id)
    if newest is None:
        return None
    key = (newest.sha256, form_key)
    if key not in _form_key_files:
        files = (
            db.session.scalar(sa.select(ProcessVersion.files).where(ProcessVersion.sha256 == newest.sha256).limit(1))
            or {}
        )
        try:
            model = json.loads(files[PACKAGE_MODEL]) if PACKAGE_MODEL in files else {}
        except ValueError:  # stored by deploying, which read it: never seen
            model = {}
        name = (model.get(FORM_KEYS) or {}).get(form_key) if isinstance(model, dict) else None
        found = isinstance(name, str) and name in files
        _form_key_files[key] = (
            (name, ui_schema_name(name) if ui_schema_name(name) in files else None) if found else (None, None)
        )
    name, ui_name = _form_key_files[key]
    return (newest.sha256, name, ui_name) if name else None


def version_json(version: int | str, file_name: str) -> dict:
    """A JSON file of a process version (by id or sha256), parsed once per process; shared: do not change it.

    NotFound when the version has no such file.
    """
    sha256 = (
        version
        if isinstance(version, str)
        else db.session.scalar(sa.select(ProcessVersion.sha256).where(ProcessVersion.id == version))
    )
    found = _version_files.get((sha256, file_name))
    if found is None:
        files = db.session.scalar(sa.select(ProcessVersion.files).where(ProcessVersion.sha256 == sha256).limit(1))
        if sha256 is None or files is None or file_name not in files:
            raise NotFound(_l("The process version has no file %(name)s", name=file_name))
        found = _version_files[(sha256, file_name)] = json.loads(files[file_name])
    return found


def count_instances_by_version() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(ProcessInstance.process_version_id, sa.func.count()).group_by(ProcessInstance.process_version_id)
    )
    return dict(rows.all())


def get_instance(instance_id: int) -> ProcessInstance | None:
    return db.session.get(ProcessInstance, instance_id)


_OPEN_TASKS = (
    sa.select(Task)
    .where(Task.instance_id == sa.bindparam("instance_id"), Task.state == "open")
    .order_by(Task.id)
    .execution_options(populate_existing=True)
)  # built once: every step reads it


def open_tasks(instance_id: int) -> list[Task]:
    """Open tasks of an instance, read fresh from the database (not from the session's cache)."""
    return list(db.session.scalars(_OPEN_TASKS, {"instance_id": instance_id}))


_INSTANCE_TASKS = sa.select(Task).where(Task.instance_id == sa.bindparam("instance_id")).order_by(Task.id)


def instance_tasks(instance_id: int) -> list[Task]:
    return list(db.session.scalars(_INSTANCE_TASKS, {"instance_id": instance_id}))


def instance_timers(instance_id: int) -> list[Timer]:
    return list(db.session.scalars(sa.select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at)))


_AUDIT_TRAIL = (
    sa.select(AuditEvent).where(AuditEvent.instance_id == sa.bindparam("instance_id")).order_by(AuditEvent.id)
)


def audit_trail(instance_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(_AUDIT_TRAIL, {"instance_id": instance_id}))


def due_timer_instance_ids(now, limit: int = 50) -> list[int]:
    """Return running instances that have a timer due at `now`, most overdue first.

    The due timers are read in the order of their index and their instances kept once each (not
    grouped and sorted by the database: the claim stays an index range scan however many are due).
    """
    instance_ids = db.session.scalars(
        sa.select(Timer.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.due_at <= now, ProcessInstance.status == "running")
        .order_by(Timer.due_at)
        .limit(limit)
    )
    return list(dict.fromkeys(instance_ids))


def next_timer_due():
    return db.session.scalar(
        sa.select(sa.func.min(Timer.due_at))
        .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(ProcessInstance.status == "running")
    )


def load_stored_workflows(instance_ids) -> None:
    """Read the stored workflows of these (already loaded) instances in one statement, not one each on first use."""
    if instance_ids:
        db.session.scalars(
            sa.select(ProcessInstance)
            .where(ProcessInstance.id.in_(instance_ids))
            .options(sa.orm.undefer(ProcessInstance.state_json))
        ).all()


def current_data(instance: ProcessInstance) -> dict:
    """Return the workflow data as of the latest step (the end data once completed)."""
    from workflow_app.engine.serialization import load_workflow

    version = instance.process_version
    workflow = load_workflow(instance.state_json, version.sha256, lambda: version.spec_json)
    if workflow.is_completed():
        return dict(workflow.data)
    task = workflow.last_task or workflow.task_tree
    return dict(task.data)


class DataOnFirstRead(Mapping):
    """A task's case's current data, loaded from the stored workflow only when first read.

    Task forms get one: most never look at the case, and loading the workflow is the costliest read
    of a completion.
    """

    def __init__(self, task: Task):
        self._task, self._data = task, None

    def _loaded(self) -> dict:
        if self._data is None:
            self._data = current_data(self._task.instance)
        return self._data

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self):
        return len(self._loaded())


def instance_spec_key(instance: ProcessInstance) -> str:
    """The key of an instance's cached spec (its version's sha256): noted on the row when it was read with it."""
    key = getattr(instance, "spec_key", None)
    if key is None:
        key = instance.spec_key = db.session.scalar(
            sa.select(ProcessVersion.sha256).where(ProcessVersion.id == instance.process_version_id)
        )
    return key


def _instance_specs(instance: ProcessInstance) -> tuple:
    from workflow_app.engine.serialization import load_specs

    version_id = instance.process_version_id
    return load_specs(
        instance_spec_key(instance),
        lambda: db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id)),
    )


def _spec_key_and_reader(instance: ProcessInstance) -> tuple:
    """(spec key, reader of the spec JSON) of an instance's version; its row is read once per version in the
    session, not once per instance (pages ask this of many instances)."""
    key = getattr(instance, "spec_key", None) or instance.process_version.sha256
    version_id = instance.process_version_id
    return key, lambda: db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id))


def step_properties(instance: ProcessInstance, bpmn_id: str) -> dict[str, str]:
    """The spiffworkflow:properties of a task or event (by BPMN id) of the instance's version, from its cached
    spec; {} when the version has no such step."""
    from workflow_app.engine.serialization import load_specs

    spec, subprocess_specs = load_specs(*_spec_key_and_reader(instance))
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(bpmn_id)
        if task_spec is not None:
            return (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return {}


def model_property(instance: ProcessInstance, bpmn_id: str, name: str) -> str | None:
    """A property of a step (by BPMN id) as the instance's version says it, else as the newest version of its process
    says it for the step of that id: a case of an older version, whose model did not have the property yet, follows
    what its process says now (as its forms of old formKeys follow the newest package's form_keys)."""
    value = step_properties(instance, bpmn_id).get(name)
    if value is not None:
        return value
    newest = latest_version(instance.process_id)
    if newest is None or newest.id == instance.process_version_id:
        return None
    from workflow_app.engine.serialization import load_specs

    spec, subprocess_specs = load_specs(newest.sha256, lambda: newest.spec_json)
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(bpmn_id)
        if task_spec is not None:
            return (getattr(task_spec, "extensions", None) or {}).get("properties", {}).get(name)
    return None


def ended_through(instance: ProcessInstance) -> str | None:
    """The BPMN id of the end event through which a completed case's top-level process ended (the last one it
    reached); None for a case that has not completed."""
    if instance.status != "completed":
        return None
    from workflow_app.engine.serialization import top_end_event

    return top_end_event(instance.state_json, *_spec_key_and_reader(instance))


def task_instructions(task: Task) -> str | None:
    """A task row's spiffworkflow:instructionsForEndUser, from its version's cached spec (None if it has none)."""
    spec, subprocess_specs = _instance_specs(task.instance)
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(task.bpmn_id)
        if task_spec is not None:
            return (getattr(task_spec, "extensions", None) or {}).get("instructionsForEndUser")
    return None


def task_data(task: Task) -> dict:
    """The data of a task row's workflow task as it is now ({} if the workflow no longer has that task)."""
    from uuid import UUID

    from workflow_app.engine.serialization import load_workflow

    instance = task.instance
    workflow = load_workflow(
        instance.state_json, instance_spec_key(instance), lambda: instance.process_version.spec_json
    )
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    return dict(spiff_task.data) if spiff_task is not None else {}


class TaskDataOnFirstRead(DataOnFirstRead):
    """A task's own data (not its case's latest), loaded from the stored workflow only when first read."""

    def _loaded(self) -> dict:
        if self._data is None:
            self._data = task_data(self._task)
        return self._data


def stored_data_or_problem(instance: ProcessInstance) -> tuple[dict | None, str | None]:
    """The workflow data, or (None, why it cannot be read) when the stored state is broken (the repair page)."""
    from workflow_app.engine.serialization import STATE_READ_ERRORS

    try:
        return current_data(instance), None
    except STATE_READ_ERRORS as exc:
        return None, f"{type(exc).__name__}: {exc}"


def step_states(instance: ProcessInstance) -> dict[str, list[str]]:
    """Return the BPMN ids of the steps done and the steps active now (for the diagram)."""
    from SpiffWorkflow.util.task import TaskState

    from workflow_app.engine.serialization import load_workflow, top_task_states

    version = instance.process_version
    states = top_task_states(instance.state_json, version.sha256, lambda: version.spec_json)
    if states is None:  # an older stored format: restored (and migrated) by the library
        workflow = load_workflow(instance.state_json, version.sha256, lambda: version.spec_json)
        states = [
            (getattr(task.task_spec, "bpmn_id", None), task.state)
            for task in workflow.get_tasks()
            if task.workflow is workflow
        ]
    running = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    done = {bpmn_id for bpmn_id, state in states if bpmn_id and state & TaskState.COMPLETED}
    active = {bpmn_id for bpmn_id, state in states if bpmn_id and not state & TaskState.COMPLETED and state & running}
    return {"done": sorted(done - active), "active": sorted(active)}


def diagram_source(version: ProcessVersion) -> str | None:
    """Return the BPMN XML of the version's main file (the one that defines the process)."""
    return (version.files or {}).get(version.source_file)


def instance_inconsistencies(instance: ProcessInstance) -> list[str]:
    """What disagrees between an instance's stored workflow, its task and timer rows, its status and its audit.

    Empty for a consistent instance; used after crashes (`flask processes check`) and by the crash tests.
    """
    from workflow_app.engine.projections import ready_human_tasks, waiting_timers
    from workflow_app.engine.serialization import STATE_READ_ERRORS, load_workflow, spec_has_timers

    version = instance.process_version
    try:
        workflow = load_workflow(instance.state_json, version.sha256, lambda: version.spec_json)
    except STATE_READ_ERRORS as exc:
        return [f"stored workflow cannot be read: {type(exc).__name__}: {exc}"]
    problems = []
    rows = db.session.scalars(sa.select(Task).where(Task.instance_id == instance.id)).all()
    open_ids = {row.spiff_task_id for row in rows if row.state == "open"}
    ready_ids = {str(t.id) for t in ready_human_tasks(workflow)}
    if instance.status in ("running", "suspended", "error") and open_ids != ready_ids:
        problems.append(f"open task rows {sorted(open_ids)} != ready user tasks {sorted(ready_ids)}")
    if instance.status in ("completed", "cancelled") and open_ids:
        problems.append(f"{instance.status} but task rows are open: {sorted(open_ids)}")
    timer_ids = set(db.session.scalars(sa.select(Timer.spiff_task_id).where(Timer.instance_id == instance.id)))
    waiting = (
        set(waiting_timers(workflow)) if instance.status != "cancelled" and spec_has_timers(version.sha256) else set()
    )
    if timer_ids != waiting:
        problems.append(f"timer rows {sorted(timer_ids)} != waiting timers {sorted(waiting)}")
    # cancelling a case cancels its workflow's unfinished tasks, which leaves it finished like a completed one
    if (instance.status in ("completed", "cancelled")) != workflow.is_completed():
        problems.append(
            f"status {instance.status} but the workflow is {'' if workflow.is_completed() else 'not '}finished"
        )
    counts = dict(
        db.session.execute(
            sa.select(AuditEvent.kind, sa.func.count())
            .where(AuditEvent.instance_id == instance.id)
            .group_by(AuditEvent.kind)
        ).all()
    )
    for kind, state in (("task_opened", None), ("task_completed", "completed"), ("task_cancelled", "cancelled")):
        rows_in_state = sum(1 for row in rows if state is None or row.state == state)
        if counts.get(kind, 0) != rows_in_state:
            problems.append(
                f"{counts.get(kind, 0)} {kind} audit events but {rows_in_state} task rows{' ' + state if state else ''}"
            )
    return problems
