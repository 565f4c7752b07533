"""Process versions, instances and their projections (tasks, timers, audit events)."""

import sqlalchemy as sa
from sqlalchemy.orm import deferred, relationship

from workflow_app.core.models import CreatedAtMixin, UTCDateTime
from workflow_app.core.row_writes import written_directly
from workflow_app.core.time import utcnow
from workflow_app.extensions import db

INSTANCE_STATUSES = ("running", "suspended", "error", "completed", "cancelled")
TASK_STATES = ("open", "completed", "cancelled")


class ProcessVersion(db.Model, CreatedAtMixin):
    """One deployed version of a process: its files and its parsed spec, never changed once stored (its cases rely
    on them; a change is a new version)."""

    __tablename__ = "process_version"
    __table_args__ = (sa.UniqueConstraint("process_id", "version", name="uq_process_version_process_id_version"),)
    id = sa.Column(sa.Integer, primary_key=True)
    process_id = sa.Column(sa.String(100), nullable=False, index=True)
    version = sa.Column(sa.Integer, nullable=False)
    name = sa.Column(sa.String(200), nullable=True)
    description = sa.Column(sa.Text, nullable=True)  # process_model.json's
    sha256 = sa.Column(sa.String(64), nullable=False)
    source_file = sa.Column(sa.String(255), nullable=False)
    # both large: loaded only when used (the parsed spec is cached per sha256)
    files = deferred(sa.Column(sa.JSON, nullable=False))  # {file name: text}: BPMN, DMN, JSON
    spec_json = deferred(sa.Column(sa.Text, nullable=False))  # {"spec": ..., "subprocess_specs": ...}
    lanes = sa.Column(sa.JSON, nullable=False, default=list)
    deployed_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)


class RetiredProcess(db.Model):
    """A process that takes no new cases: an administrator retired it; its running cases go on to their end, and
    reinstating it (deleting the row) lets new cases start again. By process id: every version, later ones too."""

    __tablename__ = "retired_process"
    process_id = sa.Column(sa.String(100), primary_key=True)
    retired_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    retired_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)


@written_directly
class ProcessInstance(db.Model, CreatedAtMixin):
    """A running (or finished) workflow; its state is serializer JSON without the spec."""

    __tablename__ = "process_instance"
    id = sa.Column(sa.Integer, primary_key=True)
    process_version_id = sa.Column(sa.ForeignKey("process_version.id"), nullable=False, index=True)
    process_id = sa.Column(sa.String(100), nullable=False, index=True)
    status = sa.Column(sa.String(20), nullable=False, default="running", index=True)
    org_unit_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False, index=True)
    # deferred: kilobytes of JSON that lists of tasks and cases never read; the engine's lock and the case
    # page load it with the row (undefer), anything else that reads it loads it on first access
    state_json = sa.orm.deferred(sa.Column(sa.Text, nullable=False))
    serializer_version = sa.Column(sa.String(10), nullable=False)
    lock_version = sa.Column(sa.Integer, nullable=False, default=1)
    current_step = sa.Column(sa.String(500), nullable=True)
    error_message = sa.Column(sa.Text, nullable=True)
    error_task_id = sa.Column(sa.String(36), nullable=True)
    started_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at = sa.Column(UTCDateTime(), nullable=True)

    # read-only relationships (here and on the engine's other tables): the code writes the *_id columns, and a
    # relationship the unit of work need not follow takes work off every flush of an engine step
    process_version = relationship("ProcessVersion", viewonly=True)
    org_unit = relationship("OrgUnit", viewonly=True)

    __mapper_args__ = {"version_id_col": lock_version}


@written_directly
class Task(db.Model, CreatedAtMixin):
    """A human task of an instance (user, manual or plain task), open or finished."""

    __tablename__ = "task"
    __table_args__ = (
        sa.UniqueConstraint("instance_id", "spiff_task_id", name="uq_task_instance_id_spiff_task_id"),
        # the group queue: open tasks of a role in a unit, by due date
        sa.Index("ix_task_queue", "state", "org_unit_id", "role", "due_at"),
        # ... and its unclaimed tasks in the page's order (due date, nulls last, then id): read in index order
        sa.Index(
            "ix_task_unclaimed_queue",
            "org_unit_id",
            "role",
            "due_at",
            "id",
            postgresql_where=sa.text("state = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("state = 'open' AND assignee_id IS NULL"),
        ),
        sa.Index("ix_task_assignee", "assignee_id", "state", "due_at"),
        sa.Index("ix_task_state_due_at", "state", "due_at"),  # open tasks by deadline (calendar recompute, sweeps)
        # the open tasks' assignees without their rows: the dashboard's counts by person (index-only)
        sa.Index(
            "ix_task_open_assignee",
            "id",
            "assignee_id",
            postgresql_where=sa.text("state = 'open'"),
            sqlite_where=sa.text("state = 'open'"),
        ),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    # looked up through the unique index on (instance_id, spiff_task_id), its leading column
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False)
    spiff_task_id = sa.Column(sa.String(36), nullable=False)
    bpmn_id = sa.Column(sa.String(200), nullable=False)
    name = sa.Column(sa.String(300), nullable=False)
    role = sa.Column(sa.String(60), nullable=True)
    org_unit_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False)
    assignee_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    claimed_at = sa.Column(UTCDateTime(), nullable=True)
    form_key = sa.Column(sa.String(100), nullable=True)
    sla = sa.Column(sa.String(20), nullable=True)
    sla_urgent = sa.Column(sa.String(20), nullable=True)
    due_at = sa.Column(UTCDateTime(), nullable=True)
    warn_at = sa.Column(UTCDateTime(), nullable=True)
    due_provisional = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )  # due_at uses a non-official year
    sla_state = sa.Column(sa.String(20), nullable=True)
    state = sa.Column(sa.String(20), nullable=False, default="open")
    completed_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    completed_at = sa.Column(UTCDateTime(), nullable=True)

    instance = relationship("ProcessInstance", viewonly=True)
    assignee = relationship("User", foreign_keys=[assignee_id], viewonly=True)
    completed_by = relationship("User", foreign_keys=[completed_by_id], viewonly=True)
    org_unit = relationship("OrgUnit", viewonly=True)


@written_directly
class Timer(db.Model):
    """A timer an instance waits on, with its due time; the worker fires due rows."""

    __tablename__ = "timer"
    __table_args__ = (sa.UniqueConstraint("instance_id", "spiff_task_id", name="uq_timer_instance_id_spiff_task_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    # looked up through the unique index on (instance_id, spiff_task_id), its leading column
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False)
    spiff_task_id = sa.Column(sa.String(36), nullable=False)
    bpmn_id = sa.Column(sa.String(200), nullable=False)
    due_at = sa.Column(UTCDateTime(), nullable=False, index=True)


class AuditEvent(db.Model):
    """Append-only history of an instance: who did what, when, with which data."""

    __tablename__ = "audit_event"
    # events of some kinds in a month (the ranking's send-backs, reopenings, satisfaction)
    __table_args__ = (sa.Index("ix_audit_event_kind_at", "kind", "at"),)
    id = sa.Column(sa.Integer, primary_key=True)
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=True, index=True)
    actor_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    kind = sa.Column(sa.String(40), nullable=False)
    task_bpmn_id = sa.Column(sa.String(200), nullable=True)
    task_name = sa.Column(sa.String(300), nullable=True)
    data = sa.Column(sa.JSON, nullable=True)
    at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, index=True)

    actor = relationship("User", viewonly=True)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _keep_audit_append_only(session, flush_context, instances):
    """Refuse to change or delete audit events (the history is append-only) and process versions (immutable)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("audit events are append-only")
        if isinstance(obj, ProcessVersion) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("process versions are immutable: deploy a new version")


class WorkerHeartbeat(db.Model):
    """A timer worker's last pass: when it beat, what its passes did, how long its sweeps took (readiness, metrics)."""

    __tablename__ = "worker_heartbeat"
    worker = sa.Column(sa.String(120), primary_key=True)  # host:pid of the worker process
    started_at = sa.Column(UTCDateTime(), nullable=False)
    beat_at = sa.Column(UTCDateTime(), nullable=False)
    passes = sa.Column(sa.BigInteger, nullable=False)
    timers_fired = sa.Column(sa.BigInteger, nullable=False)
    failures = sa.Column(sa.BigInteger, nullable=False)
    last_pass_seconds = sa.Column(sa.Float, nullable=False)
    sweep_seconds = sa.Column(sa.JSON, nullable=False)  # {sweep's name: seconds its last run took}
