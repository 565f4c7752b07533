"""The working-day calendar: which years are entered, and their exceptions to Monday-Friday.

A year's row says how far it can be trusted ("official": the State Council's notice;
"provisional": entered before the notice, e.g. a guess to plan with). Its days hold ONLY
the exceptions: holidays that fall on a weekday (kind "holiday") and weekend days that are
working days (调休, kind "adjusted_workday"). Every other Monday-Friday is a working day
and every other Saturday/Sunday is not.
"""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from workflow_app.core.models import UTCDateTime
from workflow_app.core.row_writes import written_directly
from workflow_app.core.time import utcnow
from workflow_app.extensions import db

YEAR_STATUSES = ("official", "provisional")
DAY_KINDS = ("holiday", "adjusted_workday")


class CalendarYear(db.Model):
    """A year of the working-day calendar as entered (or loaded from the built-in data)."""

    __tablename__ = "calendar_year"
    year = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    status = sa.Column(sa.String(20), nullable=False)  # one of YEAR_STATUSES
    source = sa.Column(sa.Text, nullable=True)  # e.g. 国办发明电〔2025〕7号, or the built-in package and version
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)

    updated_by = relationship("User")


class CalendarDay(db.Model):
    """One exception to Monday-Friday: a weekday holiday or a working weekend day."""

    __tablename__ = "calendar_day"
    date = sa.Column(sa.Date, primary_key=True)
    is_workday = sa.Column(sa.Boolean, nullable=False)
    kind = sa.Column(sa.String(20), nullable=False)  # one of DAY_KINDS
    year = sa.Column(sa.ForeignKey("calendar_year.year", ondelete="CASCADE"), nullable=False, index=True)
    note = sa.Column(sa.String(100), nullable=True)  # e.g. 国庆节


CLOCK_KINDS = ("task", "phase", "case")
# the escalation ladder: what a clock's `level` says has been done (each step exactly once)
LEVEL_NONE, LEVEL_WARNED, LEVEL_NOTICE, LEVEL_ESCALATED = 0, 1, 2, 3
PAUSE_REASONS = ("enterprise", "suspended")


@written_directly
class SlaClock(db.Model):
    """A running (or stopped) SLA clock: of a human task, of a phase of a case, or of a whole case.

    `due_at` is the effective deadline: the SLA's deadline from `started_at`, moved on by the
    working time spent paused and by approved extensions (`extension_days`). `next_escalation_at`
    is when the sweep must look at the clock next (NULL: never: stopped, paused, at the top of the
    ladder, or a clock that does not escalate); the sweep finds its work through that index alone.
    """

    __tablename__ = "sla_clock"
    __table_args__ = (
        sa.UniqueConstraint("task_id", name="uq_sla_clock_task_id"),
        sa.Index("ix_sla_clock_next_escalation_at", "next_escalation_at"),
        # open work by deadline (supervision lists and counts), and finished clocks by month (ranking)
        sa.Index("ix_sla_clock_running", "kind", "stopped_at", "due_at"),
        # running task clocks in the work list's order (partial: "IS NULL" does not fix a column for the order),
        # with what the dashboard's counts read (PostgreSQL answers them from the index alone)
        sa.Index(
            "ix_sla_clock_open_task_due",
            "due_at",
            "id",
            postgresql_where=sa.text("kind = 'task' AND stopped_at IS NULL"),
            sqlite_where=sa.text("kind = 'task' AND stopped_at IS NULL"),
            postgresql_include=["warn_at", "paused_since", "org_unit_id", "section", "task_id"],
        ),
        sa.Index("ix_sla_clock_instance", "instance_id", "kind"),
        # finished phases by month (the dashboard's trend): read from the index alone on PostgreSQL
        sa.Index(
            "ix_sla_clock_phase_stopped", "kind", "phase", "stopped_at", postgresql_include=["due_at", "org_unit_id"]
        ),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False)
    task_id = sa.Column(sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=True)
    kind = sa.Column(sa.String(10), nullable=False)  # one of CLOCK_KINDS
    phase = sa.Column(sa.String(60), nullable=True)  # a phase clock's name (e.g. "handling")
    process_id = sa.Column(sa.String(100), nullable=False)
    org_unit_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False, index=True)  # the unit answerable
    section = sa.Column(sa.String(60), nullable=True)  # the responsible section, when the case names one
    sla = sa.Column(sa.String(20), nullable=True)  # the SLA text that runs (e.g. "5wd"); NULL: measured only
    escalates = sa.Column(sa.Boolean, nullable=False, default=True)
    escalate_after = sa.Column(sa.String(20), nullable=True)  # overdue this long → the city (default: config)
    started_at = sa.Column(UTCDateTime(), nullable=False)
    counted_from = sa.Column(
        UTCDateTime(), nullable=False
    )  # the SLA counts from here (a task joining a phase: its start)
    stopped_at = sa.Column(UTCDateTime(), nullable=True)
    base_due_at = sa.Column(UTCDateTime(), nullable=True)  # the deadline before pauses and extensions
    due_at = sa.Column(UTCDateTime(), nullable=True)
    warn_at = sa.Column(UTCDateTime(), nullable=True)
    due_provisional = sa.Column(sa.Boolean, nullable=False, default=False)
    paused_since = sa.Column(UTCDateTime(), nullable=True)
    pause_reason = sa.Column(sa.String(20), nullable=True)  # one of PAUSE_REASONS while paused
    pauses = sa.Column(sa.JSON, nullable=False, default=list)  # [{"from", "to", "reason"}] (ISO UTC)
    paused_seconds = sa.Column(sa.Integer, nullable=False, default=0)  # in the SLA's own time (working or calendar)
    extension_days = sa.Column(sa.Integer, nullable=False, default=0)
    extensions = sa.Column(sa.JSON, nullable=False, default=list)  # [{"days", "reason", "by", "at"}]
    send_backs = sa.Column(sa.Integer, nullable=False, default=0)  # case clocks: 退回 counted
    reopens = sa.Column(sa.Integer, nullable=False, default=0)  # case clocks: reopened after follow-up
    level = sa.Column(sa.Integer, nullable=False, default=LEVEL_NONE)
    next_escalation_at = sa.Column(UTCDateTime(), nullable=True)

    task = relationship("Task")
    org_unit = relationship("OrgUnit", viewonly=True)


class SupervisionNotice(db.Model):
    """A supervision notice (督办单) about an overdue clock, addressed to a unit's supervisors."""

    __tablename__ = "supervision_notice"
    __table_args__ = (
        # the ladder's guarantee, held by the database: one notice per clock and level
        sa.UniqueConstraint("clock_id", "level", name="uq_supervision_notice_clock_id_level"),
        sa.Index("ix_supervision_notice_unit_open", "org_unit_id", "acknowledged_at"),
        # the open notices, newest first (the inbox's notice panel and the notices page)
        sa.Index(
            "ix_supervision_notice_open_issued",
            "issued_at",
            "id",
            postgresql_where=sa.text("acknowledged_at IS NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL"),
        ),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(30), nullable=False, unique=True)  # e.g. DB-2026-000012
    clock_id = sa.Column(sa.ForeignKey("sla_clock.id", ondelete="CASCADE"), nullable=False)
    instance_id = sa.Column(sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False, index=True)
    task_id = sa.Column(sa.ForeignKey("task.id", ondelete="SET NULL"), nullable=True)
    org_unit_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False)  # whose supervisors receive it
    level = sa.Column(sa.String(10), nullable=False)  # "county" (overdue) or "city" (escalated)
    due_at = sa.Column(UTCDateTime(), nullable=False)  # the deadline that was missed
    issued_at = sa.Column(UTCDateTime(), nullable=False)
    acknowledged_at = sa.Column(UTCDateTime(), nullable=True)
    acknowledged_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    response = sa.Column(sa.Text, nullable=True)

    clock = relationship("SlaClock")
    task = relationship("Task")
    org_unit = relationship("OrgUnit")
    acknowledged_by = relationship("User")
