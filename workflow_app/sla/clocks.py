"""SLA clocks: started, paused, extended and stopped as the engine opens and closes tasks.

Three kinds of clock run for a case (see models.SlaClock):
- a task clock for each human task with an `sla` (or `slaUrgent` on an urgent case), or a `dueDate`: an
  expression over the task's data giving its deadline (a date: the end of that day, moved to the next working
  day when it is none; it replaces the SLA); its deadline is mirrored on the task row, which the inbox sorts by. A task of a phase and a task
  in a pausing lane get one too, without a deadline if they have no SLA (it holds the phase, or
  tells that the case waits on the enterprise); any other task has none;
- a phase clock for each round of a phase (task property `phase`, e.g. referral's `sign_for`,
  `handling`, `review`): it starts with the first task of the phase, runs on the SLA of that
  task, and stops when a task of another phase opens or the case ends. A task that opens while
  its phase's clock runs (handling again after an extension decision) takes the phase's
  deadline instead of a fresh one, so an approved extension moves the handler's due date;
- one case clock from start to end, which counts send-backs (退回) and reopenings.

Every clock pauses while the case waits on the enterprise (an open task in a lane of
SLA_PAUSE_LANES) or is suspended; a pause that starts before a deadline moves it by the time
paused, one that starts after it (the work was already late) does not. A deadline the case's data gives
(dueDate) is a day on the calendar: pauses do not move it.

Imported by create_app so that the receivers are connected.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from workflow_app.core.durations import parse_sla
from workflow_app.core.settings import setting
from workflow_app.core.time import SHANGHAI, utcnow
from workflow_app.engine.models import Task
from workflow_app.engine.signals import (
    instance_started,
    instance_status_changed,
    projections_synced,
    task_closed,
    task_opened,
)
from workflow_app.engine.step import Step
from workflow_app.extensions import db
from workflow_app.sla.calendar import WorkCalendar, work_calendar
from workflow_app.sla.models import LEVEL_NONE, LEVEL_NOTICE, LEVEL_WARNED, SlaClock

log = logging.getLogger(__name__)
SECTION_KEY = "section"  # the case data key that names the responsible section (the referral routing sets it)
# The longest extension a model's extensionDays may grant at once: a deadline is moved one working day at a time, so
# a model's 10**12 would hold the step (and the case's row lock) for minutes before failing
MAX_EXTENSION_DAYS = 366
DUE_DATE = "dueDate"  # the user-task property whose expression gives the task's deadline from the case's data
END_OF_DAY = time(23, 59, 59)  # a deadline given as a day is the end of that day (Beijing)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------------- clock arithmetic


def counts_working_time(sla_text: str | None) -> bool:
    return sla_text is not None and parse_sla(sla_text).unit in ("wd", "wh")


def _between(clock, a, b, calendar) -> timedelta:
    """The time from a to b in the clock's own kind of time (working time for wd/wh SLAs)."""
    if b <= a:
        return timedelta(0)
    return calendar.working_time_between(a, b) if counts_working_time(clock.sla) else b - a


def _after(clock, moment, amount: timedelta, calendar) -> datetime:
    if amount <= timedelta(0):
        return moment
    return calendar.add_working_time(moment, amount) if counts_working_time(clock.sla) else moment + amount


def offset(moment: datetime, sla_text: str, calendar: WorkCalendar) -> datetime:
    """`moment` moved on by an SLA-like amount (`2wd`: two working days' working time; `3d`: three days)."""
    duration = parse_sla(sla_text)
    if duration.unit == "wd":
        return calendar.add_working_time(moment, calendar.hours.day_length * float(duration.amount))
    if duration.unit == "wh":
        return calendar.add_working_time(moment, timedelta(hours=float(duration.amount)))
    return moment + (
        timedelta(days=float(duration.amount)) if duration.unit == "d" else timedelta(hours=float(duration.amount))
    )


def _closed_pauses(clock):
    return sorted(((_parse(p["from"]), _parse(p["to"])) for p in clock.pauses or []), key=lambda p: p[0])


def _shift_by_pauses(clock, moment, calendar):
    """Move a deadline on by each pause that began before it (as moved by the pauses before)."""
    for begin, end in _closed_pauses(clock):
        if begin < moment:
            moment = _after(clock, moment, _between(clock, begin, end, calendar), calendar)
    return moment


def given_deadline(value) -> datetime:
    """The deadline a dueDate expression gave, as UTC: a date (or "2027-01-15") is the end of that day in Beijing,
    a datetime (or ISO text with a time) that moment, naive ones read as Beijing time; ValueError for anything else."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("it gave no date (empty)")
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, END_OF_DAY, SHANGHAI).astimezone(UTC)
    raise ValueError(
        f"it gave {type(value).__name__} {str(value)[:40]!r}, not a date"
        if value is not None
        else "it gave no date (None)"
    )


def _fixed_deadline(clock: SlaClock, calendar: WorkCalendar) -> tuple[datetime, bool]:
    """The deadline of a clock whose case's data gave it (base_due_at) and whether a day it reads is provisional: the
    end of a day that is no working day moves to the end of the next working day; extensions add working days."""
    local = clock.base_due_at.astimezone(SHANGHAI)
    if local.time() != END_OF_DAY:  # a moment, not a day
        due = calendar.add_working_time(local, calendar.hours.day_length * (clock.extension_days or 0))
        return due, calendar.any_provisional(local.date(), due.astimezone(SHANGHAI).date())
    day = local.date() if calendar.is_workday(local.date()) else calendar.next_workday(local.date())
    for _ in range(clock.extension_days or 0):
        day = calendar.next_workday(day)
    return datetime.combine(day, END_OF_DAY, SHANGHAI).astimezone(UTC), calendar.any_provisional(local.date(), day)


def refresh_deadline(clock: SlaClock, calendar: WorkCalendar | None = None) -> bool:
    """Recompute the clock's deadline, warning and next escalation; return whether the deadline moved.

    A clock without an SLA but with a base deadline runs on a date its case's data gave (dueDate)."""
    calendar = calendar or work_calendar()
    before = (clock.due_at, clock.warn_at, bool(clock.due_provisional))
    if clock.sla is None and clock.base_due_at is not None:
        clock.due_at, clock.due_provisional = _fixed_deadline(clock, calendar)
        start = clock.counted_from
        clock.warn_at = (
            clock.due_at
            if clock.due_at <= start
            else min(
                clock.due_at,
                calendar.add_working_time(
                    start, calendar.working_time_between(start, clock.due_at) * float(setting("SLA_WARN_RATIO"))
                ),
            )
        )
    elif clock.sla is None:
        clock.base_due_at = clock.due_at = clock.warn_at = None
        clock.due_provisional = False
    else:
        base, provisional = calendar.deadline_for(clock.counted_from, clock.sla)
        extended = calendar.add_working_time(base, calendar.hours.day_length * clock.extension_days)
        warn = calendar.warn_time(clock.counted_from, extended, clock.sla, float(setting("SLA_WARN_RATIO")))
        clock.base_due_at = base
        clock.due_at = _shift_by_pauses(clock, extended, calendar)
        clock.warn_at = min(_shift_by_pauses(clock, warn, calendar), clock.due_at)
        clock.due_provisional = provisional or (
            clock.due_at != base
            and calendar.any_provisional(base.astimezone(SHANGHAI).date(), clock.due_at.astimezone(SHANGHAI).date())
        )
    clock.next_escalation_at = next_escalation(clock, calendar)
    if clock.task is not None:
        clock.task.due_at, clock.task.warn_at = clock.due_at, clock.warn_at
        clock.task.due_provisional = clock.due_provisional
    return before != (clock.due_at, clock.warn_at, bool(clock.due_provisional))


def next_escalation(clock: SlaClock, calendar: WorkCalendar) -> datetime | None:
    """When the sweep must take the clock's next ladder step (None: no step will come)."""
    if not clock.escalates or clock.due_at is None or clock.stopped_at is not None or clock.paused_since is not None:
        return None
    if clock.level == LEVEL_NONE:
        return clock.warn_at or clock.due_at
    if clock.level == LEVEL_WARNED:
        return clock.due_at
    if clock.level == LEVEL_NOTICE:
        return offset(clock.due_at, clock.escalate_after or setting("SLA_ESCALATE_AFTER"), calendar)
    return None


# ------------------------------------------------------------------------------- clock state changes


def pause_clock(clock: SlaClock, now: datetime, reason: str) -> None:
    if clock.stopped_at is not None or clock.paused_since is not None:
        return
    clock.paused_since, clock.pause_reason = now, reason
    clock.next_escalation_at = None


def resume_clock(clock: SlaClock, now: datetime, calendar: WorkCalendar | None = None) -> None:
    calendar = calendar or work_calendar()
    if clock.paused_since is None:
        return
    begin = clock.paused_since
    clock.pauses = [*(clock.pauses or []), {"from": _iso(begin), "to": _iso(now), "reason": clock.pause_reason}]
    clock.paused_seconds = (clock.paused_seconds or 0) + int(_between(clock, begin, now, calendar).total_seconds())
    clock.paused_since = clock.pause_reason = None
    refresh_deadline(clock, calendar)


def stop_clock(clock: SlaClock, now: datetime, calendar: WorkCalendar | None = None) -> None:
    if clock.stopped_at is not None:
        return
    if clock.paused_since is not None:
        resume_clock(clock, now, calendar)
    clock.stopped_at = now
    clock.next_escalation_at = None


def extend_clock(
    clock: SlaClock, days: int, reason: str, actor_id: int | None, now: datetime, calendar: WorkCalendar | None = None
) -> tuple[datetime | None, datetime | None]:
    """Move the clock's deadline on by `days` working days and record why; return (due before, due after)."""
    before = clock.due_at
    clock.extension_days = (clock.extension_days or 0) + days
    clock.extensions = [*(clock.extensions or []), {"days": days, "reason": reason, "by": actor_id, "at": _iso(now)}]
    refresh_deadline(clock, calendar)
    return before, clock.due_at


def clock_state(clock: SlaClock, now: datetime) -> str:
    """ "on_track", "at_risk", "overdue" or "none", judged when the clock stopped or paused, else now."""
    if clock.due_at is None:
        return "none"
    moment = clock.stopped_at or clock.paused_since or now
    if moment >= clock.due_at:
        return "overdue"
    if clock.warn_at is not None and moment >= clock.warn_at:
        return "at_risk"
    return "on_track"


def elapsed(clock: SlaClock, now: datetime, calendar: WorkCalendar | None = None) -> timedelta:
    """The clock's running time so far, pauses left out (working time for a working-time SLA or none)."""
    calendar = calendar or work_calendar()
    end = clock.stopped_at or clock.paused_since or now
    measure = (
        calendar.working_time_between if clock.sla is None or counts_working_time(clock.sla) else (lambda a, b: b - a)
    )
    total = measure(clock.started_at, end) if end > clock.started_at else timedelta(0)
    for begin, finish in _closed_pauses(clock):
        total -= measure(max(begin, clock.started_at), finish) if finish > begin else timedelta(0)
    return max(total, timedelta(0))


# ----------------------------------------------------------------------------- finding a case's clocks

_RUNNING_AND_CASE_CLOCKS = sa.select(SlaClock).where(  # built once: every engine step reads it
    SlaClock.instance_id == sa.bindparam("instance_id"), sa.or_(SlaClock.stopped_at.is_(None), SlaClock.kind == "case")
)


def _step_clocks(step: Step) -> list[SlaClock]:
    """The step's case's running clocks and its case clock, read once per step (`step.clocks`; new ones are added
    as made).

    Read only when a receiver needs them: a step that opens and closes only tasks without a clock reads none.
    """
    if step.clocks is None:
        with db.session.no_autoflush:
            step.clocks = list(db.session.scalars(_RUNNING_AND_CASE_CLOCKS, {"instance_id": step.instance.id}))
    return step.clocks


def _start_case_clock(instance, step, **_):
    """Start a new instance's case clock (it has no other clocks yet: its first step need not read them)."""
    step.clocks = []
    case_clock(step)


def clocks_of(step: Step) -> list[SlaClock]:
    """The step's case's running clocks, including those created earlier in this (unflushed) step."""
    return [c for c in _step_clocks(step) if c.stopped_at is None]


def _open_pausing_tasks(step: Step, except_task=None) -> list[Task]:
    """The instance's open tasks in a pausing lane (every task in such a lane has a clock, so its clocks tell)."""
    lanes = tuple(setting("SLA_PAUSE_LANES"))
    return [
        c.task
        for c in clocks_of(step)
        if c.kind == "task"
        and c.task is not None
        and c.task is not except_task
        and c.task.state == "open"
        and c.task.role in lanes
    ]


# Every clock sets the same columns, so that the ORM writes a step's new clocks in one INSERT.
_CLOCK_DEFAULTS = {
    "task": None,
    "phase": None,
    "section": None,
    "sla": None,
    "escalate_after": None,
    "due_provisional": False,
    "base_due_at": None,
}


def _new_clock(step: Step, kind, now, **values) -> SlaClock:
    instance = step.instance
    clock = SlaClock(
        instance_id=instance.id,
        kind=kind,
        process_id=instance.process_id,
        started_at=now,
        counted_from=now,
        level=LEVEL_NONE,
        pauses=[],
        extensions=[],
        paused_seconds=0,
        extension_days=0,
        send_backs=0,
        reopens=0,
        **{**_CLOCK_DEFAULTS, **values},
    )
    db.session.add(clock)
    _step_clocks(step).append(clock)
    return clock


def case_clock(step: Step, now=None) -> SlaClock:
    """The step's case's case clock (started with the case; a case started without one gets it now)."""
    for clock in _step_clocks(step):
        if clock.kind == "case":
            return clock
    instance = step.instance
    return _new_clock(step, "case", instance.created_at or now, org_unit_id=instance.org_unit_id, escalates=False)


def _audit(step: Step, kind, actor_id, now, task=None, data=None):
    step.record_audit(
        kind,
        actor_id,
        task.bpmn_id if task is not None else None,
        task.name if task is not None else None,
        data,
        at=now,
    )


def _has_clock(sla_text, properties, pausing) -> bool:
    """Whether a task gets a clock: it has a deadline, belongs to or holds a phase, or waits on the enterprise."""
    return bool(sla_text or properties.get("phase") or properties.get("holdsPhase") or pausing)


# ------------------------------------------------------------------------------------ the receivers


def _start_clocks(instance, step, task=None, workflow_data=None, properties=None, now=None, evaluate=None, **_):
    """Start the clocks of a newly opened task (joining its phase's); pause the others if it is the enterprise's.

    A task whose dueDate gives a date runs on it instead of its SLA; one whose dueDate fails (or gives nothing)
    keeps its SLA, and the failure is in the case's history."""
    if task is None:
        return
    data, properties = workflow_data or {}, properties or {}
    calendar = work_calendar()
    now = now or task.created_at
    urgent = data.get("priority") == "urgent"
    sla_text = _valid((task.sla_urgent or task.sla) if urgent else task.sla)
    given = _given_due(step, task, properties, evaluate, now)
    if given is not None:
        sla_text = None  # the date replaces the SLA
    section = str(data.get(SECTION_KEY))[:60] if data.get(SECTION_KEY) else None
    pausing = task.role in tuple(setting("SLA_PAUSE_LANES"))
    phase = properties.get("phase")
    held_phase = phase or properties.get("holdsPhase")
    with db.session.no_autoflush:
        if section is not None:
            case_clock(step, now).section = section
        if not _has_clock(sla_text or given, properties, pausing):
            return  # it would have nothing to count or tell; it pauses and joins nothing
        running = clocks_of(step)
        phase_clock = next((c for c in running if c.kind == "phase" and c.phase == phase), None) if phase else None
        joined = phase_clock is not None
        if phase and phase_clock is None:
            phase_clock = _new_clock(
                step,
                "phase",
                now,
                phase=phase,
                org_unit_id=task.org_unit_id,
                section=section,
                sla=sla_text,
                escalates=False,
                base_due_at=given,
            )
            refresh_deadline(phase_clock, calendar)
        clock = _new_clock(
            step,
            "task",
            now,
            task=task,
            phase=held_phase,
            org_unit_id=task.org_unit_id,
            section=section,
            sla=sla_text,
            escalates=bool(sla_text or given) and not pausing,
            escalate_after=_valid(properties.get("escalateAfter")),
            base_due_at=given,
        )
        if joined and phase_clock.sla and sla_text:
            # the phase's deadline governs: same start, SLA, pauses and extensions
            clock.counted_from, clock.sla = phase_clock.counted_from, phase_clock.sla
            clock.pauses = list(phase_clock.pauses or [])
            clock.extension_days, clock.extensions = phase_clock.extension_days, list(phase_clock.extensions or [])
        refresh_deadline(clock, calendar)
        if pausing:
            for other in running:
                pause_clock(other, now, "enterprise")
        elif _open_pausing_tasks(step, except_task=task):
            for other in (clock, None if joined else phase_clock):
                if other is not None:
                    pause_clock(other, now, "enterprise")
        if instance.status == "suspended":
            for other in (clock, phase_clock):
                if other is not None:
                    pause_clock(other, now, "suspended")


def _end_clock_step(instance, step, now=None, **_):
    """Move the case clock with the case to another unit; stop each phase clock that no open task holds any more.

    A phase is held by open tasks with clocks, so only a step that closed one of them (and so read the
    clocks) can leave a phase unheld: a step that read no clocks has no phase to stop.
    """
    with db.session.no_autoflush:
        if sa.inspect(instance).attrs.org_unit_id.history.has_changes():
            case_clock(step, now).org_unit_id = instance.org_unit_id
        if step.clocks is not None:
            running = clocks_of(step)
            held = {c.phase for c in running if c.kind == "task" and c.phase}
            for clock in running:
                if clock.kind == "phase" and clock.phase not in held:
                    stop_clock(clock, now or utcnow())


def _given_due(step: Step, task, properties, evaluate, now) -> datetime | None:
    """The deadline the task's dueDate gives over its data (UTC); None without one, or when it fails or gives no
    date (recorded in the case's history as sla_property_failed: the task keeps its SLA)."""
    expression = properties.get(DUE_DATE)
    if not expression or evaluate is None:
        return None
    try:
        return given_deadline(evaluate(expression))
    except Exception as exc:  # a model's expression over any data must not stop the case
        _audit(step, "sla_property_failed", None, now, task, {"property": DUE_DATE, "error": str(exc)[:300]})
        return None


def _valid(sla_text):
    """The SLA text if it parses (deploy refuses bad ones; an old version's task then runs without)."""
    if not sla_text:
        return None
    try:
        parse_sla(sla_text)
    except ValueError as exc:
        log.warning("ignoring SLA %r: %s", sla_text, exc)
        return None
    return sla_text


def _stop_task_clock(instance, step, task=None, now=None, actor_id=None, properties=None, evaluate=None, **_):
    """Stop the task's clock; count send-backs and reopenings; apply an approved extension; resume paused clocks."""
    if task is None:
        return
    now = now or task.completed_at
    calendar = work_calendar()
    properties = properties or {}
    pausing = task.role in tuple(setting("SLA_PAUSE_LANES"))
    with db.session.no_autoflush:
        if _has_clock(task.sla or task.sla_urgent, properties, pausing):  # (either SLA it may have run on)
            # a task without a clock need not read the clocks
            for clock in clocks_of(step):
                if clock.kind == "task" and clock.task is task:
                    stop_clock(clock, now, calendar)
        if evaluate is not None:
            _record_outcomes(step, task, properties, evaluate, actor_id, now, calendar)
        if pausing and not _open_pausing_tasks(step, except_task=task):
            for clock in clocks_of(step):
                if clock.pause_reason == "enterprise":
                    resume_clock(clock, now, calendar)


def _evaluated(step: Step, task, properties, evaluate, name, now):
    expression = properties.get(name)
    if not expression:
        return None
    try:
        return evaluate(expression)
    except Exception as exc:  # a model's expression must not lose the user's completed step
        _audit(step, "sla_property_failed", None, now, task, {"property": name, "error": str(exc)[:300]})
        return None


def _record_outcomes(step: Step, task, properties, evaluate, actor_id, now, calendar):
    phase = properties.get("phase")
    if _evaluated(step, task, properties, evaluate, "sendBack", now):
        case = case_clock(step, now)
        case.send_backs = (case.send_backs or 0) + 1
        _audit(step, "sent_back", actor_id, now, task, {"phase": phase, "count": case.send_backs})
    if _evaluated(step, task, properties, evaluate, "reopen", now):
        case = case_clock(step, now)
        case.reopens = (case.reopens or 0) + 1
        _audit(step, "reopened", actor_id, now, task, {"phase": phase, "count": case.reopens})
    satisfaction = _evaluated(step, task, properties, evaluate, "satisfaction", now)
    if satisfaction:
        _audit(step, "satisfaction_recorded", actor_id, now, task, {"value": str(satisfaction)[:20]})
    target = properties.get("extendsPhase")
    days = _evaluated(step, task, properties, evaluate, "extensionDays", now) if target else None
    if target and days:
        try:
            days = int(days)
        except (TypeError, ValueError, OverflowError):
            days = 0
        if days > MAX_EXTENSION_DAYS:
            _audit(
                step,
                "sla_property_failed",
                None,
                now,
                task,
                {"property": "extensionDays", "error": f"{days} > {MAX_EXTENSION_DAYS}"[:300]},
            )
            days = 0
        phase_clock = next((c for c in clocks_of(step) if c.kind == "phase" and c.phase == target), None)
        if days > 0 and phase_clock is not None:
            reason = str(_evaluated(step, task, properties, evaluate, "extensionReason", now) or "")[:500]
            before, after = extend_clock(phase_clock, days, reason, actor_id, now, calendar)
            _audit(
                step,
                "deadline_extended",
                actor_id,
                now,
                task,
                {
                    "phase": target,
                    "days": days,
                    "reason": reason,
                    "due_before": _iso(before) if before else None,
                    "due_after": _iso(after) if after else None,
                },
            )


_PAUSED = SlaClock.__table__.alias("paused")
# Built once, its values too: stop an ending case's running clocks in one statement, unless one of them is paused (a
# paused clock's pause must be closed first, which moves its deadline: that takes the clocks as objects). The values
# as parameters, so that the statement is not built again at each end of a case; the session's own synchronisation
# cannot apply parameters to the clocks it holds, so _stop_clocks_unread sets them on those itself.
_STOP_RUNNING_UNLESS_PAUSED = (
    sa.update(SlaClock)
    .where(
        SlaClock.instance_id == sa.bindparam("of_instance"),
        SlaClock.stopped_at.is_(None),
        ~sa.exists().where(
            _PAUSED.c.instance_id == sa.bindparam("of_instance"),
            _PAUSED.c.stopped_at.is_(None),
            _PAUSED.c.paused_since.is_not(None),
        ),
    )
    .values(stopped_at=sa.bindparam("stopped_at"), next_escalation_at=None)
    .execution_options(synchronize_session=False)
)


def _stop_clocks_unread(step: Step, now: datetime) -> bool:
    """Stop the running clocks of a case whose step read none; False if none was stopped that way.

    The case clock runs until the case ends, so stopping none means a paused clock (or no clock) is left.
    """
    if step.clocks is not None:
        return False
    with db.session.no_autoflush:  # the step's own writes go in its one flush
        stopped = db.session.execute(_STOP_RUNNING_UNLESS_PAUSED, {"of_instance": step.instance.id, "stopped_at": now})
    if stopped.rowcount == 0:
        return False
    for held in db.session:  # a running clock read before the step (not by it) is stopped as its row was
        loaded = sa.inspect(held).dict  # (what the session holds of it: reading an expired attribute would load it)
        if (
            isinstance(held, SlaClock)
            and loaded.get("instance_id") == step.instance.id
            and "stopped_at" in loaded
            and loaded["stopped_at"] is None
        ):
            set_committed_value(held, "stopped_at", now)
            set_committed_value(held, "next_escalation_at", None)
    return True


def _follow_instance_status(instance, step, old=None, new=None, **_):
    """Stop every clock when the case ends; pause them while it is suspended."""
    now = instance.finished_at if new in ("completed", "cancelled") and instance.finished_at else utcnow()
    if new in ("completed", "cancelled") and _stop_clocks_unread(step, now):
        return
    calendar = work_calendar()
    with db.session.no_autoflush:
        for clock in clocks_of(step):
            if new in ("completed", "cancelled"):
                stop_clock(clock, now, calendar)
            elif new == "suspended":
                pause_clock(clock, now, "suspended")
            elif old == "suspended" and clock.pause_reason == "suspended":
                resume_clock(clock, now, calendar)
                if _open_pausing_tasks(step) and not (
                    clock.task is not None and clock.task.role in tuple(setting("SLA_PAUSE_LANES"))
                ):
                    pause_clock(clock, now, "enterprise")


# ------------------------------------------------------------------------------- calendar changes


def recompute_running_clocks(
    since: datetime, until: datetime, only_provisional: bool = False, calendar: WorkCalendar | None = None
) -> tuple[int, int]:
    """Recompute running clocks whose deadline reads days from `since` to `until` (UTC).

    Returns (task clocks recomputed, task clocks whose deadline changed); phase clocks are
    recomputed too but not counted.
    """
    calendar = calendar or WorkCalendar()
    query = (
        sa.select(SlaClock)
        .options(selectinload(SlaClock.task))
        .where(SlaClock.stopped_at.is_(None), SlaClock.due_at >= since, SlaClock.counted_from < until)
        .order_by(SlaClock.id)
    )
    if only_provisional:
        query = query.where(SlaClock.due_provisional.is_(True))
    examined = changed = 0
    for clock in db.session.scalars(query):
        moved = refresh_deadline(clock, calendar)
        if clock.kind == "task":
            examined += 1
            changed += moved
    return examined, changed


def follow_the_engine() -> None:
    """Start, stop, pause and move the clocks as the engine's signals say (sla.init_app calls it)."""
    instance_started.connect(_start_case_clock)
    task_opened.connect(_start_clocks)
    projections_synced.connect(_end_clock_step)
    task_closed.connect(_stop_task_clock)
    instance_status_changed.connect(_follow_instance_status)
