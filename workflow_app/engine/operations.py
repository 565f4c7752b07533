"""Writes: deploy processes, start instances, complete tasks, fire timers, deliver messages.

Every change to a running workflow locks the instance row, makes the operation's Step (engine.step: what the step
found and makes, handed to the signal receivers and returned to the caller), restores the workflow, applies the
change and runs engine steps (`_run_and_save`), then saves the state and syncs the projections, all in the caller's
transaction; the caller commits.

A step whose model code fails is saved with the failing task in error (SpiffWorkflow's own errors, which
an admin retries from that task). A step that fails any other way (the model's budget spent, task data
that cannot be stored, a value the database refuses, any exception) cannot be saved as it stands: the
operation rolls the transaction back, stops the case in error in a transaction of its own, commits that,
and raises CaseStopped, so that neither a web request nor the worker is left with a half-made step.
"""

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from forms import known_form_keys
from forms.schema_forms import schema_problems
from workflow_app.auth.queries import roles_without_users
from workflow_app.core.errors import ConflictError, DomainError, InvalidInput, NotFound
from workflow_app.core.reference import forget_on_commit
from workflow_app.core.row_writes import write_rows
from workflow_app.core.time import format_local, utcnow
from workflow_app.engine.limits import ModelBudget, ModelBudgetExceeded, ModelLimits, TaskDataRefused, check_task_data
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, RetiredProcess, Task, Timer
from workflow_app.engine.packages import add_source, folder_sources, zip_sources
from workflow_app.engine.parsing import DeployRefused, parse_sources
from workflow_app.engine.projections import (
    AUTOMATIC_SPECS,
    current_step_of,
    json_safe,
    ready_human_task_ids,
    record_automatic_steps,
    sync_projections,
)
from workflow_app.engine.queries import (
    DEPLOYED_KEPT,
    LATEST_KEPT,
    RETIRED_KEPT,
    instance_spec_key,
    is_retired,
    latest_version,
    newest_stored_version,
    open_tasks,
    process_label,
    retired_message,
)
from workflow_app.engine.scripting import budgeted_script_engine
from workflow_app.engine.serialization import (
    SERIALIZER_VERSION,
    STATE_READ_ERRORS,
    dump_workflow,
    load_specs,
    load_workflow,
    new_workflow,
    spec_has_timers,
)
from workflow_app.engine.signals import instance_started, instance_status_changed, projections_synced, timers_fired
from workflow_app.engine.step import LockedInstance, Step
from workflow_app.extensions import db


class CaseStopped(ConflictError):
    """A step failed in a way that cannot be saved; the case now waits in error for an administrator."""


class _StepFailure(Exception):
    """A step that cannot be saved: what went wrong, and the case it belongs to (None for a start)."""

    def __init__(self, message: str, instance_id: int | None = None):
        super().__init__(message)
        self.message = message
        self.instance_id = instance_id


# Failures of the database itself (a lost connection, a lock timeout) are no fault of the case.
_NOT_THE_CASE = (DomainError, StaleDataError, sa.exc.OperationalError, sa.exc.InterfaceError, KeyboardInterrupt)


def _engine_write(function):
    """Turn a lost optimistic-lock race into a ConflictError, and a step that cannot be saved into a case in error
    (see the module's docstring).

    The race shows at any flush as a StaleDataError.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StaleDataError:
            raise ConflictError(
                _l("This case was changed by someone else at the same time; reload and try again")
            ) from None
        except _StepFailure as failure:
            db.session.rollback()
            if failure.instance_id is None:
                raise ConflictError(_l("The process cannot start: %(problem)s", problem=failure.message)) from None
            mark_instance_failed(failure.instance_id, failure.message)
            db.session.commit()
            raise CaseStopped(
                _l(
                    "The case stopped with an error and waits for an administrator: %(problem)s",
                    problem=failure.message,
                )
            ) from None

    return wrapper


def _budget_spent(error: BaseException) -> ModelBudgetExceeded | None:
    """The ModelBudgetExceeded that SpiffWorkflow's error wraps (once per evaluation it passed through), if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ModelBudgetExceeded):
            return error
        seen.add(id(error))
        error = getattr(error, "exception", None) or error.__cause__ or error.__context__
    return None


def _failing_task(exc: BaseException, fallback=None):
    """The SpiffWorkflow task whose work raised `exc` (a timer's bad value, say), else `fallback`.

    Outside scripts the engine raises plain exceptions that do not say which task they came from; the
    innermost frame working on a task does.
    """
    found, traceback = fallback, exc.__traceback__
    while traceback is not None:
        for name in ("my_task", "task"):
            candidate = traceback.tb_frame.f_locals.get(name)
            if isinstance(candidate, SpiffTask):
                found = candidate
                break
        traceback = traceback.tb_next
    return found


def _failure_message(exc: BaseException, task=None) -> str:
    """One line an admin can act on: where the step failed and why."""
    task = _failing_task(exc, task)
    first_line = (str(exc).splitlines() or [""])[0]
    if isinstance(exc, sa.exc.StatementError):
        reason = _l("the database refused a value: %(problem)s", problem=str(exc.orig).splitlines()[0])
    elif isinstance(exc, (TaskDataRefused, ModelBudgetExceeded)):  # our own refusals say what they are
        reason = first_line
    else:
        reason = f"{type(exc).__name__}: {first_line}"
    where = (task.task_spec.bpmn_name or task.task_spec.bpmn_id) if task is not None else None
    return (f"{where}: {reason}" if where else str(reason))[:2000]


@dataclass
class DeployResult:
    created: list = field(default_factory=list)  # ProcessVersion rows added
    unchanged: list = field(default_factory=list)  # process ids whose newest version is identical
    warnings: list = field(default_factory=list)
    # (process id, file name, process id and version it was taken from): files not given, taken from a stored version
    kept: list = field(default_factory=list)


def read_sources(paths) -> dict[str, bytes]:
    """Collect .bpmn/.dmn/.json files from folders, .zip files and single files; raise InvalidInput for a bad path.

    Files of a package folder (one with process_model.json) are named "<folder>/<file>" (see engine.packages).
    """
    sources = {}
    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    for path in map(Path, paths):
        if path.is_dir():
            found = folder_sources(path)
        elif path.is_file() and path.suffix.lower() == ".zip":
            if path.stat().st_size > max_bytes:
                raise InvalidInput(
                    _l("%(name)s is larger than %(mb)d MB", name=str(path), mb=max_bytes // (1024 * 1024))
                )
            found = zip_sources(path.name, path.read_bytes(), max_bytes)
        elif path.is_file():
            found = {path.name: path.read_bytes()}
        else:
            raise InvalidInput(_l("No such file or folder: %(path)s", path=str(path)))
        for key, content in found.items():
            add_source(sources, key, content, str(path))
    return sources


def _stored_files(process_id: str) -> tuple[int, dict] | None:
    """(version, {file name: text}) of a process's newest stored version: what a deploy may take from it."""
    version = newest_stored_version(process_id)
    return (version.version, version.files) if version is not None else None


def deploy_sources(sources: dict[str, bytes], actor_id: int | None = None) -> DeployResult:
    """Validate and store new versions of the processes in `sources`; nothing is stored on error."""
    if not sources:
        raise InvalidInput(_l("No BPMN or DMN files were given"))
    try:
        parsed = parse_sources(sources, known_form_keys(), _stored_files, schema_problems)
    except DeployRefused as exc:
        raise InvalidInput(_l("The process files cannot be deployed"), details=exc.problems) from None
    result = DeployResult()
    lanes = set()
    for process in parsed:
        lanes.update(process.lanes)
        latest = newest_stored_version(process.process_id)
        if latest is not None and latest.sha256 == process.sha256:
            result.unchanged.append(process.process_id)
            continue
        version = ProcessVersion(
            process_id=process.process_id,
            version=(latest.version + 1) if latest else 1,
            name=process.name,
            description=process.description,
            sha256=process.sha256,
            source_file=process.source_file,
            files=process.files,
            spec_json=process.spec_json,
            lanes=process.lanes,
            deployed_by_id=actor_id,
        )
        db.session.add(version)
        result.created.append(version)
        result.kept.extend((process.process_id, *kept) for kept in process.kept)
    db.session.flush()
    forget_on_commit(db.session, DEPLOYED_KEPT, LATEST_KEPT)
    for version in result.created:
        db.session.add(
            AuditEvent(
                kind="process_deployed",
                actor_id=actor_id,
                at=utcnow(),
                data={"process_id": version.process_id, "version": version.version},
            )
        )
    for role in sorted(roles_without_users(lanes)) if lanes else []:
        result.warnings.append(
            str(
                _l(
                    "Lane '%(role)s': no user holds this role yet; its tasks wait in the "
                    "role's queue until someone does",
                    role=role,
                )
            )
        )
    return result


class ProcessRetired(ConflictError):
    """A new case of a retired process, refused (its running cases go on)."""

    def __init__(self, process_id: str):
        super().__init__(retired_message(process_id))


def retire_process(process_id: str, actor_id: int | None = None) -> RetiredProcess:
    """Let a process take no new cases; the cases already running go on to their end."""
    if latest_version(process_id) is None:
        raise NotFound(_l("No deployed process '%(id)s'", id=process_id))
    if is_retired(process_id):
        raise ConflictError(_l("%(process)s is already retired", process=process_label(process_id)))
    forget_on_commit(db.session, RETIRED_KEPT)
    retired = RetiredProcess(process_id=process_id, retired_at=utcnow(), retired_by_id=actor_id)
    db.session.add(retired)
    db.session.flush()
    return retired


def reinstate_process(process_id: str) -> None:
    """Let a retired process take new cases again (with its newest version)."""
    retired = db.session.get(RetiredProcess, process_id)
    if retired is None:
        raise ConflictError(_l("%(process)s is not retired", process=process_label(process_id)))
    forget_on_commit(db.session, RETIRED_KEPT)
    db.session.delete(retired)
    db.session.flush()


@_engine_write
def start_instance(process_id: str, data: dict, org_unit_id: int, actor_id: int | None = None) -> Step:
    """Start the newest version of a process with initial data, owned by an org unit; a retired process is refused.

    Returns the step (its instance: the new case's; opened, audit_rows: all the case has)."""
    version = latest_version(process_id)
    if version is None:
        raise NotFound(_l("No deployed process '%(id)s'", id=process_id))
    if is_retired(process_id):
        raise ProcessRetired(process_id)
    now = utcnow()
    workflow = new_workflow(load_specs(version.sha256, lambda: version.spec_json), dict(data))
    # run before the first INSERT, so that the row is written once with its state (no UPDATE right after)
    run = _Run()
    error = _run(workflow, run)
    _check_step_data(workflow, run)
    try:
        instance = ProcessInstance(
            process_version_id=version.id,
            process_id=process_id,
            status="running",
            org_unit_id=org_unit_id,
            state_json=dump_workflow(workflow),
            serializer_version=SERIALIZER_VERSION,
            current_step=current_step_of(workflow),
            started_by_id=actor_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(instance)
        write_rows(db.session)
        instance.spec_key = version.sha256
        step = Step(instance, now, actor_id, new=True, has_timers=spec_has_timers(version.sha256))
        instance_started.send(instance, step=step)
        step.record_audit(
            "instance_started",
            actor_id,
            data={"process_id": process_id, "version": version.version, "data": json_safe(data)},
        )
        _save(step, workflow, run, error)
    except _NOT_THE_CASE:
        raise
    except BaseException as exc:  # noqa: BLE001 - see _run_and_save
        raise _StepFailure(_failure_message(exc, run.task)) from exc
    return step.finish(instance)


def _lock_query(instance_id, skip_locked=False):
    return (
        sa.select(ProcessInstance, ProcessVersion.sha256, Task)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .outerjoin(Task, sa.and_(Task.instance_id == ProcessInstance.id, Task.state == "open"))
        .where(ProcessInstance.id == instance_id)
        .order_by(Task.id)
        .with_for_update(of=ProcessInstance, skip_locked=skip_locked)
        .options(sa.orm.undefer(ProcessInstance.state_json))
        .execution_options(populate_existing=True)
    )


# Built once: building and keying a statement cost more than running it (a step runs one of these).
_LOCK_BY_ID = _lock_query(sa.bindparam("instance_id"))
_LOCK_BY_ID_SKIP_LOCKED = _lock_query(sa.bindparam("instance_id"), skip_locked=True)
_task_of = sa.orm.aliased(Task)  # not the joined open tasks: the subquery must not correlate with them
_LOCK_BY_TASK = _lock_query(
    sa.select(_task_of.instance_id).where(_task_of.id == sa.bindparam("task_id")).scalar_subquery()
)


def _lock_instance(instance_id=None, skip_locked: bool = False, task_id=None) -> tuple[ProcessInstance | None, list]:
    """Load an instance row (or a task's instance row) FOR UPDATE, with its open task rows as they were read.

    PostgreSQL locks the row; SQLite serialises writers and the lock_version check catches the rest.
    The version's sha256 (the key of the cached spec) comes along in the same query, and so do the open
    tasks, one row each; `_open_rows` checks them against the workflow before a step relies on them.
    """
    if task_id is not None:
        rows = db.session.execute(_LOCK_BY_TASK, {"task_id": task_id}).all()
    else:
        rows = db.session.execute(
            _LOCK_BY_ID_SKIP_LOCKED if skip_locked else _LOCK_BY_ID, {"instance_id": instance_id}
        ).all()
    if not rows:
        return None, []
    instance, found_key, _task = rows[0]
    instance.spec_key = found_key
    return instance, [task for _instance, _key, task in rows if task is not None]


def _open_rows(instance, workflow, read_with_lock: list) -> list[Task]:
    """The instance's open task rows: those read with the lock if they match the tasks the workflow waits on.

    On PostgreSQL the rows joined to a locked row come from the snapshot taken before any wait for the
    lock (only the locked row is read again), so a step committed meanwhile shows here as a difference
    from the workflow, restored from the locked row; then they are read again.
    """
    if {r.spiff_task_id for r in read_with_lock} == ready_human_task_ids(workflow):
        return read_with_lock
    return open_tasks(instance.id)


def _restore(step: Step):
    """Restore the step's locked instance's workflow; check the step's open task rows against it (see `_open_rows`)."""
    workflow = _load(step.instance)
    step.open_rows = _open_rows(step.instance, workflow, step.open_rows)
    step.has_timers = spec_has_timers(instance_spec_key(step.instance))  # known once its spec is loaded
    return workflow


def _set_status(step: Step, status, data=None, workflow=None):
    instance = step.instance
    old = instance.status
    if old == status:
        return
    instance.status = status
    if status in ("completed", "cancelled"):
        instance.finished_at = step.now
    if status in ("running", "completed", "cancelled"):  # a suspended case remembers its error
        instance.error_message = instance.error_task_id = None
    step.record_audit(f"instance_{status}", step.actor_id, data=data)
    instance_status_changed.send(
        instance, step=step, old=old, new=status, workflow_data=dict(workflow.data) if workflow is not None else None
    )


class _Run:
    """One run of engine steps: when it began, the model code's budget, the task the engine last ran, and the
    automatic tasks it ran for the history."""

    def __init__(self):
        self.started = time.time()  # SpiffWorkflow stamps task state changes with time.time()
        self.budget = ModelBudget(ModelLimits.current())
        self.task = None
        self.automatic = []

    def will_run(self, task) -> None:
        self.task = task

    def did_run(self, task) -> None:
        # also the engine's own work: a call activity that calls itself never ticks a script (time is the measure
        # here: memory is read only where model code runs)
        self.budget.check(memory=False)
        if isinstance(task.task_spec, AUTOMATIC_SPECS):  # what they changed is read once the data is checked
            self.automatic.append(task)


def _run_and_save(step: Step, workflow, change=None, completed_spiff_id=None):
    """Apply `change`, run engine steps, then save state and projections (an engine error marks the case)."""
    run = _Run()
    try:
        error = _run(workflow, run, change)
        _save(step, workflow, run, error, completed_spiff_id)
    except _StepFailure as failure:
        failure.instance_id = step.instance.id
        raise
    except _NOT_THE_CASE:
        raise
    except BaseException as exc:  # noqa: BLE001 - whatever a model makes a step raise stops that case only
        raise _StepFailure(_failure_message(exc, run.task), step.instance.id) from exc


def _run(workflow, run: _Run, change=None) -> SpiffWorkflowException | None:
    """Apply `change` and run engine steps within the step's budget; return the engine's error, if any (the state
    stays where it stopped). Any other failure raises _StepFailure: such a state is not saved."""
    workflow.script_engine = budgeted_script_engine(run.budget)
    try:
        if change is not None:
            change(workflow)
        workflow.do_engine_steps(will_complete_task=run.will_run, did_complete_task=run.did_run)
    except SpiffWorkflowException as exc:
        return exc
    except _NOT_THE_CASE:
        raise
    except BaseException as exc:  # noqa: BLE001 - see _run_and_save
        raise _StepFailure(_failure_message(exc, run.task)) from exc
    return None


def _check_step_data(workflow, run: _Run) -> None:
    """Refuse (as a step failure) task data this run left that cannot be stored."""
    limits = run.budget.limits
    try:
        check_task_data(workflow.data, limits, "data")
        for task in (
            task
            for wf in (workflow, *workflow.subprocesses.values())
            for task in wf.tasks.values()
            if task.last_state_change >= run.started
        ):
            check_task_data(task.data, limits, "data")
    except TaskDataRefused as refused:
        raise _StepFailure(_failure_message(refused, run.task)) from None


def _save(step: Step, workflow, run: _Run, error=None, completed_spiff_id=None):
    """Record an engine error or the end of a run, then save state and projections (a new case's row was inserted
    with its state, checked before it was serialized)."""
    instance, now = step.instance, step.now
    if not step.new:
        _check_step_data(workflow, run)
    record_automatic_steps(step, run.automatic)
    completed = False
    if error is not None:
        failed = getattr(error, "task", None)
        where = failed.task_spec.bpmn_name or failed.task_spec.bpmn_id if failed is not None else "?"
        spent = _budget_spent(error)  # said plainly, without the words of each wrapping evaluation
        instance.error_message = f"{where}: {spent or error}"[:2000]
        instance.error_task_id = str(failed.id) if failed is not None else None
        _set_status(step, "error", {"message": instance.error_message})
    else:
        completed = workflow.is_completed()
        if instance.status == "error" and not completed:
            _set_status(step, "running")
    with db.session.no_autoflush:  # one UPDATE of the instance row, so one lock_version step
        if not step.new:
            instance.state_json = dump_workflow(workflow)
            instance.serializer_version = SERIALIZER_VERSION
            instance.updated_at = now
        sync_projections(step, workflow, completed_spiff_id)
        if completed:  # after the last task's events: the history ends here
            _set_status(step, "completed", workflow=workflow)
        projections_synced.send(instance, step=step, now=now)
    write_rows(db.session)


def _load(instance: ProcessInstance):
    version_id = instance.process_version_id
    return load_workflow(
        instance.state_json,
        instance_spec_key(instance),
        lambda: db.session.scalar(sa.select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id)),
    )


def _require_running(instance):
    if instance.status == "suspended":
        raise ConflictError(_l("The case is suspended; resume it first"))
    if instance.status in ("completed", "cancelled"):
        raise ConflictError(_l("The case is already closed"))
    if instance.status == "error":
        raise ConflictError(_l("The case is stopped by an error; an administrator must retry it first"))


def closed_task_conflict(row: Task) -> ConflictError:
    """The refusal for working on a task that is closed: who completed it and when, or when it was cancelled."""
    who = row.completed_by.display_name if row.completed_by else _l("the system")
    when = format_local(row.completed_at, "%Y-%m-%d %H:%M:%S") if row.completed_at else "?"
    if row.state == "completed":
        return ConflictError(_l("This task was already completed by %(who)s at %(when)s", who=who, when=when))
    return ConflictError(_l("This task was cancelled at %(when)s", when=when))


def _open_row(open_rows, task_id) -> Task:
    """The task's row among the open ones, or the refusal saying who closed it (read again: it may be stale)."""
    row = next((r for r in open_rows if r.id == task_id), None)
    if row is None:
        raise closed_task_conflict(db.session.get(Task, task_id, populate_existing=True))
    return row


@_engine_write
def complete_task(task_id: int, data: dict, actor_id: int | None, locked: LockedInstance | None = None) -> Step:
    """Complete an open human task with form data; a second completion gets a ConflictError.

    `locked`: the task's instance as the caller read it with its lock in this transaction (lock_instance_with), else
    the step locks and reads it. Returns the step; its result is the task's row, completed.
    """
    instance, open_rows = (locked.instance, locked.open_rows) if locked else _lock_instance(task_id=task_id)
    if instance is None:
        raise NotFound(_l("No such task"))
    _open_row(open_rows, task_id)  # refused before the workflow is loaded when it is closed already
    _require_running(instance)
    step = Step(instance, utcnow(), actor_id, open_rows)
    workflow = _restore(step)  # a writer that waited sees the other's step
    row = _open_row(step.open_rows, task_id)

    def change(workflow):
        spiff_task = workflow.get_task_from_id(UUID(row.spiff_task_id))
        if spiff_task is None or not spiff_task.has_state(TaskState.READY):
            raise ConflictError(_l("This task is no longer waiting for input"))
        spiff_task.data.update(data)
        spiff_task.run()

    step.record_audit("task_completed", actor_id, row.bpmn_id, row.name, json_safe(data))
    _run_and_save(step, workflow, change, completed_spiff_id=row.spiff_task_id)
    set_committed_value(row, "instance", instance)  # whoever shows the task next need not read the instance again
    return step.finish(row)


def _message_definitions(workflow, name):
    for spiff_task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(spiff_task.task_spec, "event_definition", None)
        candidates = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        for candidate in candidates:
            if isinstance(candidate, MessageEventDefinition) and candidate.name == name:
                yield candidate


@_engine_write
def deliver_message(instance_id: int, name: str, payload, actor_id: int | None = None) -> Step:
    """Deliver a message from outside to a case that waits for it."""
    instance, open_rows = _lock_instance(instance_id)
    if instance is None:
        raise NotFound(_l("No such case"))
    _require_running(instance)
    step = Step(instance, utcnow(), actor_id, open_rows)
    workflow = _restore(step)
    definition = next(_message_definitions(workflow, name), None)
    if definition is None:
        raise ConflictError(_l("The case is not waiting for the message '%(name)s'", name=name))

    def change(wf):
        try:
            wf.send_event(BpmnEvent(definition, payload=payload))
        except WorkflowException as exc:
            raise ConflictError(str(exc)) from None

    step.delivered = step.record_audit("message_received", actor_id, data={"name": name, "payload": json_safe(payload)})
    _run_and_save(step, workflow, change)
    return step.finish(instance)


@_engine_write
def fire_timers(instance_id: int, now=None, skip_locked: bool = False) -> list[str]:
    """Fire the due timers of one running instance; return the BPMN ids of those fired."""
    instance, open_rows = _lock_instance(instance_id, skip_locked=skip_locked)
    if instance is None or instance.status != "running":
        return []
    now = now or utcnow()
    due = db.session.scalars(sa.select(Timer).where(Timer.instance_id == instance.id, Timer.due_at <= now)).all()
    if not due:
        return []
    fired = [timer.bpmn_id for timer in due]  # refresh_timers fires every timer due by now; the step records each
    step = Step(instance, now, None, open_rows)
    workflow = _restore(step)
    waited = {timer.bpmn_id: _task_data(workflow, timer.spiff_task_id) for timer in due}
    _run_and_save(step, workflow, lambda wf: wf.refresh_timers())
    timers_fired.send(instance, step=step, fired=waited, now=now)
    return step.finish(fired).result


def _task_data(workflow, spiff_task_id: str) -> dict:
    spiff_task = workflow.get_task_from_id(UUID(spiff_task_id))
    return dict(spiff_task.data) if spiff_task is not None else {}


@_engine_write
def suspend_instance(instance_id: int, reason: str, actor_id: int | None) -> Step:
    step = _lock_for_admin(instance_id, reason, actor_id)
    if step.instance.status not in ("running", "error"):
        raise ConflictError(_l("Only a running case can be suspended"))
    _set_status(step, "suspended", {"reason": reason})
    db.session.flush()
    return step.finish(step.instance)


@_engine_write
def resume_instance(instance_id: int, reason: str, actor_id: int | None) -> Step:
    step = _lock_for_admin(instance_id, reason, actor_id)
    if step.instance.status != "suspended":
        raise ConflictError(_l("Only a suspended case can be resumed"))
    _set_status(step, "error" if step.instance.error_message else "running", {"reason": reason})
    db.session.flush()
    return step.finish(step.instance)


@_engine_write
def cancel_instance(instance_id: int, reason: str, actor_id: int | None) -> Step:
    step = _lock_for_admin(instance_id, reason, actor_id)
    instance = step.instance
    if instance.status in ("completed", "cancelled"):
        raise ConflictError(_l("The case is already closed"))
    workflow = _restore(step)
    workflow.cancel()
    _set_status(step, "cancelled", {"reason": reason})
    instance.state_json = dump_workflow(workflow)
    instance.updated_at = step.now
    sync_projections(step, workflow)
    projections_synced.send(instance, step=step, now=step.now)
    db.session.flush()
    return step.finish(instance)


@_engine_write
def retry_instance(instance_id: int, data_fix: dict | None, actor_id: int | None) -> Step:
    """Run the failed step of a case in error again, after an optional fix of its input data."""
    instance, open_rows = _lock_instance(instance_id)
    if instance is None:
        raise NotFound(_l("No such case"))
    if instance.status != "error":
        raise ConflictError(_l("Only a case stopped by an error can be retried"))
    step = Step(instance, utcnow(), actor_id, open_rows)
    if not instance.error_task_id:  # it failed outside any task (e.g. loading it to fire a timer): run it again
        try:
            workflow = _restore(step)
        except STATE_READ_ERRORS as exc:
            raise ConflictError(
                _l("The stored workflow state cannot be read: %(problem)s", problem=f"{type(exc).__name__}: {exc}")
            ) from None
        step.record_audit("instance_retried", actor_id, data={"data_fix": json_safe(data_fix or {})})

        def rerun(wf):  # a due timer whose step failed fires again, and its step runs in this one
            wf.data.update(data_fix or {})
            wf.refresh_timers()

        _run_and_save(step, workflow, rerun)
        return step.finish(instance)
    workflow = _restore(step)
    failed = workflow.get_task_from_id(UUID(instance.error_task_id))

    def change(wf):
        # The task re-inherits its parent's data when it becomes ready again, so the fix goes there.
        if data_fix and failed.parent is not None:
            failed.parent.data.update(data_fix)
        wf.reset_from_task_id(failed.id)

    step.record_audit("instance_retried", actor_id, data={"data_fix": json_safe(data_fix or {})})
    _run_and_save(step, workflow, change)
    return step.finish(instance)


@_engine_write
def mark_instance_failed(instance_id: int, message: str, now=None) -> ProcessInstance | None:
    """Stop a case that failed outside the engine's own error handling, with the message, for an admin to see."""
    instance, open_rows = _lock_instance(instance_id)
    if instance is None or instance.status not in ("running", "error"):
        return instance
    step = Step(instance, now or utcnow(), None, open_rows)
    instance.error_message = message[:2000]
    instance.error_task_id = None
    if instance.status == "error":  # a retry that failed again: the new reason replaces the old
        step.record_audit("instance_error", None, data={"message": instance.error_message})
    _set_status(step, "error", {"message": instance.error_message})
    db.session.flush()
    return step.finish(instance).result


def _lock_for_admin(instance_id, reason, actor_id) -> Step:
    if not (reason or "").strip():
        raise InvalidInput(_l("Give a reason"))
    instance, open_rows = _lock_instance(instance_id)
    if instance is None:
        raise NotFound(_l("No such case"))
    return Step(instance, utcnow(), actor_id, open_rows)
