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

A batch is escalated as a set: one UPDATE per level moves the batch's clocks standing one
below it, the notice numbers are reserved at once, the notices and notifications are
inserted with one statement each; the per-clock work left is choosing the recipients.
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from workflow_app.auth.queries import find_city_unit, nearest_role_holders, role_holder_ids
from workflow_app.cases.models import Case
from workflow_app.cases.operations import reserve_numbers
from workflow_app.core.time import utcnow
from workflow_app.engine.models import Task
from workflow_app.extensions import db
from workflow_app.notifications.operations import send_notifications
from workflow_app.sla.calendar import WorkCalendar
from workflow_app.sla.clocks import next_escalation
from workflow_app.sla.models import LEVEL_ESCALATED, LEVEL_NOTICE, LEVEL_WARNED, SlaClock, SupervisionNotice

NOTICE_PREFIX = "DB"  # 督办


def _claim_due_clocks(now, batch: int) -> list[SlaClock]:
    query = (
        sa.select(SlaClock.id)
        .where(SlaClock.next_escalation_at <= now)
        .order_by(SlaClock.next_escalation_at)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(SlaClock)
            .options(selectinload(SlaClock.task))
            .where(SlaClock.id.in_(ids))
            .order_by(SlaClock.next_escalation_at)
        )
    )


def _take_steps(clocks: list[SlaClock], level: int) -> list[SlaClock]:
    """Move the clocks still standing one below `level` to it; return those this transaction moved."""
    if not clocks:
        return []
    table = SlaClock.__table__
    moved_ids = set(
        db.session.scalars(
            sa.update(table)
            .where(table.c.id.in_([c.id for c in clocks]), table.c.level == level - 1)
            .values(level=level)
            .returning(table.c.id)
        )
    )
    moved = []
    for clock in clocks:
        if clock.id in moved_ids:
            set_committed_value(clock, "level", level)
            moved.append(clock)
        else:
            db.session.refresh(clock)  # another worker took this step: go on from where it left the clock
    return moved


class BatchLookups:
    """What a batch asks again and again: the cases of its clocks, role holders per unit, the city."""

    def __init__(self, clocks):
        instance_ids = {c.instance_id for c in clocks}
        self.cases = (
            {
                case.instance_id: case
                for case in db.session.scalars(sa.select(Case).where(Case.instance_id.in_(instance_ids)))
            }
            if instance_ids
            else {}
        )
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
    return {
        "case": case.number if case else str(clock.instance_id),
        "case_id": case.id if case else None,
        "step": task.name if task else (clock.phase or ""),
        "due": clock.due_at.isoformat(),
    }


def _people_of_task(task: Task, lookups: BatchLookups) -> list[int]:
    if task is None:
        return []
    if task.assignee_id is not None:
        return [task.assignee_id]
    return lookups.holders(task.role, task.org_unit_id) if task.role else []


class Step:
    """The notices and notifications of one ladder round, written with one INSERT each."""

    def __init__(self, now):
        self.now, self.notices, self.messages = now, [], []

    def notice(self, clock: SlaClock, level_name: str, unit_id: int, number: str) -> None:
        self.notices.append(
            {
                "number": number,
                "clock_id": clock.id,
                "instance_id": clock.instance_id,
                "task_id": clock.task_id,
                "org_unit_id": unit_id,
                "level": level_name,
                "due_at": clock.due_at,
                "issued_at": self.now,
            }
        )

    def message(self, clock: SlaClock, user_ids, kind: str, facts: dict) -> None:
        self.messages.append(
            {
                "user_ids": user_ids,
                "kind": kind,
                "data": facts,
                "instance_id": clock.instance_id,
                "task_id": clock.task_id,
                "clock_id": clock.id,
            }
        )

    def write(self) -> None:
        if self.notices:
            db.session.execute(sa.insert(SupervisionNotice.__table__), self.notices)
        send_notifications(self.messages, self.now)


def _escalate(clocks: list[SlaClock], level: int, step: Step, lookups: BatchLookups, counts: dict) -> None:
    """Write what reaching `level` sends for each of the clocks (all just moved there)."""
    role = current_app.config["SUPERVISOR_ROLE"]
    numbers = iter(reserve_numbers(NOTICE_PREFIX, len(clocks), step.now) if level != LEVEL_WARNED else ())
    for clock in clocks:
        facts = _facts(clock, lookups)
        if level == LEVEL_WARNED:
            step.message(clock, _people_of_task(clock.task, lookups), "task_at_risk", facts)
            counts["warned"] += 1
        elif level == LEVEL_NOTICE:
            unit_id, supervisors = lookups.nearest(role, clock.org_unit_id)
            facts["notice"] = next(numbers)
            step.notice(clock, "county", unit_id, facts["notice"])
            step.message(clock, supervisors, "supervision_notice", facts)
            step.message(
                clock,
                [uid for uid in _people_of_task(clock.task, lookups) if uid not in supervisors],
                "task_overdue",
                facts,
            )
            counts["notices"] += 1
        elif level == LEVEL_ESCALATED:
            city = lookups.city()
            unit_id = city.id if city is not None else clock.org_unit_id
            facts["notice"] = next(numbers)
            step.notice(clock, "city", unit_id, facts["notice"])
            step.message(clock, lookups.holders(role, unit_id), "supervision_escalated", facts)
            counts["escalated"] += 1


def sweep_batch(now=None, batch: int | None = None) -> dict:
    """Escalate one batch of clocks whose next step has come, every step due, in order; the caller commits.

    Returns counts of the clocks and of the steps taken.
    """
    now = now or utcnow()
    batch = batch or current_app.config["SLA_SWEEP_BATCH"]
    calendar = WorkCalendar()
    clocks = _claim_due_clocks(now, batch)
    counts = {"clocks": len(clocks), "warned": 0, "notices": 0, "escalated": 0}
    lookups = BatchLookups(clocks)
    with db.session.no_autoflush:
        # each round takes one step of every clock still due; a late sweep climbs several rounds
        for _ in range(2 * LEVEL_ESCALATED):
            due = [c for c in clocks if c.next_escalation_at is not None and c.next_escalation_at <= now]
            if not due:
                break
            step = Step(now)
            standing = {
                level: [c for c in due if c.level == level - 1]
                for level in (LEVEL_WARNED, LEVEL_NOTICE, LEVEL_ESCALATED)
            }
            for level, group in standing.items():
                moved = _take_steps(group, level)
                _escalate(moved, level, step, lookups, counts)
                for clock in moved:
                    clock.next_escalation_at = next_escalation(clock, calendar)
            step.write()
    db.session.flush()
    return counts


def run_sla_sweep(now=None) -> dict:
    """Sweep every due clock, one committed transaction per batch (locks are held only that long)."""
    now = now or utcnow()
    batch = current_app.config["SLA_SWEEP_BATCH"]
    total = {"clocks": 0, "warned": 0, "notices": 0, "escalated": 0}
    while True:
        counts = sweep_batch(now, batch)
        db.session.commit()
        for key, value in counts.items():
            total[key] += value
        if counts["clocks"] < batch:
            return total
