"""The escalation ladder (督办), run by the worker's SLA sweep.

A task clock climbs three steps, each taken exactly once:
1. at risk (its warn_at): the assignee is told (or, while nobody has claimed it, the role's
   holders in the task's unit);
2. overdue (its due_at): a supervision notice (督办单) goes to the supervisors of the task's
   unit (the nearest unit up the tree that has one), and the assignee is told;
3. still open SLA_ESCALATE_AFTER (or the task's `escalateAfter`) past the deadline: a notice
   to the city's supervisors.

"Exactly once" holds three times over: the sweep reads only clocks whose next_escalation_at
has come (an index), on PostgreSQL it locks them with SKIP LOCKED so that a second worker
passes them by, and each step is a conditional UPDATE of the clock's level (only the
transaction that moves it from N to N+1 sends anything); the unique (clock, level) of the
notice table would refuse a duplicate even then.
"""
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from workflow_app.auth.queries import find_city_unit, nearest_role_holders, role_holder_ids
from workflow_app.cases.models import Case
from workflow_app.cases.operations import next_number
from workflow_app.core.time import utcnow
from workflow_app.engine.models import Task
from workflow_app.engine.worker import register_sweep
from workflow_app.extensions import db
from workflow_app.notifications.operations import notify
from workflow_app.sla.calendar import WorkCalendar
from workflow_app.sla.clocks import next_escalation
from workflow_app.sla.models import LEVEL_ESCALATED, LEVEL_NOTICE, LEVEL_WARNED, SlaClock, SupervisionNotice

NOTICE_PREFIX = "DB"  # 督办


def _claim_due_clocks(now, batch: int) -> list[SlaClock]:
    query = (sa.select(SlaClock.id).where(SlaClock.next_escalation_at <= now)
             .order_by(SlaClock.next_escalation_at).limit(batch))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(SlaClock).options(selectinload(SlaClock.task))
        .where(SlaClock.id.in_(ids)).order_by(SlaClock.next_escalation_at)))


def _take_step(clock: SlaClock, level: int) -> bool:
    """Move the clock to `level` if it still stands one below; True when this transaction did."""
    # synchronize_session=False: the clock's new level is set just below; the session need not search itself
    moved = db.session.execute(sa.update(SlaClock).where(SlaClock.id == clock.id, SlaClock.level == level - 1)
                               .values(level=level).execution_options(synchronize_session=False)).rowcount == 1
    if moved:
        set_committed_value(clock, "level", level)
    return moved


class BatchLookups:
    """What a batch asks again and again: the cases of its clocks, role holders per unit, the city."""

    def __init__(self, clocks):
        instance_ids = {c.instance_id for c in clocks}
        self.cases = {case.instance_id: case for case in db.session.scalars(
            sa.select(Case).where(Case.instance_id.in_(instance_ids)))} if instance_ids else {}
        self._holders, self._nearest, self._city = {}, {}, None

    def holders(self, role, unit_id):
        if (role, unit_id) not in self._holders:
            self._holders[(role, unit_id)] = role_holder_ids(role, unit_id)
        return self._holders[(role, unit_id)]

    def nearest(self, role, unit_id):
        if (role, unit_id) not in self._nearest:
            self._nearest[(role, unit_id)] = nearest_role_holders(role, unit_id)
        return self._nearest[(role, unit_id)]

    def city(self):
        if self._city is None:
            self._city = find_city_unit() or False
        return self._city or None


def _facts(clock: SlaClock, lookups: BatchLookups) -> dict:
    case = lookups.cases.get(clock.instance_id)
    task = clock.task
    return {"case": case.number if case else str(clock.instance_id), "case_id": case.id if case else None,
            "step": task.name if task else (clock.phase or ""), "due": clock.due_at.isoformat()}


def _people_of_task(task: Task, lookups: BatchLookups) -> list[int]:
    if task is None:
        return []
    if task.assignee_id is not None:
        return [task.assignee_id]
    return lookups.holders(task.role, task.org_unit_id) if task.role else []


def _issue_notice(clock, level_name, unit_id, now) -> SupervisionNotice:
    notice = SupervisionNotice(number=next_number(NOTICE_PREFIX, now), clock_id=clock.id,
                               instance_id=clock.instance_id, task_id=clock.task_id, org_unit_id=unit_id,
                               level=level_name, due_at=clock.due_at, issued_at=now)
    db.session.add(notice)
    return notice


def escalate_clock(clock: SlaClock, now, calendar: WorkCalendar, counts: dict,
                   lookups: BatchLookups | None = None) -> None:
    """Take every ladder step of the clock that has come by `now`, in order, each once."""
    lookups = lookups or BatchLookups([clock])
    role = current_app.config.get("SUPERVISOR_ROLE", "supervisor")
    for _ in range(3):
        due_step = clock.next_escalation_at
        if due_step is None or due_step > now:
            break
        level = clock.level + 1
        if not _take_step(clock, level):
            db.session.refresh(clock)  # another worker took it: go on from where that one left the clock
            continue
        facts = _facts(clock, lookups)
        task_id = clock.task_id
        if level == LEVEL_WARNED:
            notify(_people_of_task(clock.task, lookups), "task_at_risk", facts, clock.instance_id, task_id, clock.id, now)
            counts["warned"] += 1
        elif level == LEVEL_NOTICE:
            unit_id, supervisors = lookups.nearest(role, clock.org_unit_id)
            notice = _issue_notice(clock, "county", unit_id, now)
            facts["notice"] = notice.number
            notify(supervisors, "supervision_notice", facts, clock.instance_id, task_id, clock.id, now)
            notify([uid for uid in _people_of_task(clock.task, lookups) if uid not in supervisors], "task_overdue", facts,
                   clock.instance_id, task_id, clock.id, now)
            counts["notices"] += 1
        elif level == LEVEL_ESCALATED:
            city = lookups.city()
            unit_id = city.id if city is not None else clock.org_unit_id
            notice = _issue_notice(clock, "city", unit_id, now)
            facts["notice"] = notice.number
            notify(lookups.holders(role, unit_id), "supervision_escalated", facts, clock.instance_id, task_id,
                   clock.id, now)
            counts["escalated"] += 1
        clock.next_escalation_at = next_escalation(clock, calendar)


def sweep_batch(now=None, batch: int | None = None) -> dict:
    """Escalate one batch of clocks whose next step has come; the caller commits. Returns counts."""
    now = now or utcnow()
    batch = batch or current_app.config.get("SLA_SWEEP_BATCH", 500)
    counts = {"clocks": 0, "warned": 0, "notices": 0, "escalated": 0}
    calendar = WorkCalendar()
    clocks = _claim_due_clocks(now, batch)
    lookups = BatchLookups(clocks)
    for clock in clocks:
        counts["clocks"] += 1
        escalate_clock(clock, now, calendar, counts, lookups)
    db.session.flush()
    return counts


def run_sla_sweep(now=None) -> dict:
    """Sweep every due clock, one committed transaction per batch (locks are held only that long)."""
    now = now or utcnow()
    batch = current_app.config.get("SLA_SWEEP_BATCH", 500)
    total = {"clocks": 0, "warned": 0, "notices": 0, "escalated": 0}
    while True:
        counts = sweep_batch(now, batch)
        db.session.commit()
        for key, value in counts.items():
            total[key] += value
        if counts["clocks"] < batch:
            return total


register_sweep(run_sla_sweep)
