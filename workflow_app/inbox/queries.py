"""Reads of the inbox: the three queues with their filters, counts, and who can take a task."""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import has_request_context

from workflow_app.auth.models import Enterprise, Role, User, user_role
from workflow_app.auth.scopes import unit_id_of_code, units_below
from workflow_app.cases.models import Case
from workflow_app.cases.permissions import ENTERPRISE_ROLE
from workflow_app.cases.queries import (
    STAFF_VISIBILITY,
    case_text_condition,
    may_oversee,
    staff_params,
    visible_case_clause,
)
from workflow_app.core.counts import read_counts, read_counts_with_top_bar
from workflow_app.core.pagination import paginate
from workflow_app.core.time import SHANGHAI, to_local, utcnow
from workflow_app.engine.models import ProcessInstance, Task
from workflow_app.engine.step import lock_instance_with
from workflow_app.extensions import db

# "unit": the staff's open tasks in the unit and below; "enterprise": those of the enterprise's lane there, which
# wait on the enterprise and so are nobody's unclaimed work
QUEUES = ("mine", "group", "unit", "enterprise")
# "due_today": not overdue yet, due before today ends (Beijing time); the home page's count links to it
SLA_STATES = ("on_track", "at_risk", "overdue", "none", "due_today")
SORTS = ("due", "created", "case")


def queues_of(user) -> tuple[str, ...]:
    return QUEUES if may_oversee(user) else QUEUES[:2]


@dataclass
class TaskFilter:
    process: str = ""
    step: str = ""
    sla: str = ""
    county: str = ""
    q: str = ""
    sort: str = "due"

    def narrows(self) -> bool:
        """Whether the filter leaves out some of the queue's tasks (sorting does not)."""
        return any((self.process, self.step, self.sla, self.county, self.q))


# Each queue's condition with the user as bind parameters (see _queue_params), for statements built once
_QUEUE_CONDITIONS = {
    "mine": Task.assignee_id == sa.bindparam("queue_user_id"),
    "group": sa.and_(
        Task.assignee_id.is_(None),
        Task.role.in_(sa.bindparam("queue_roles", expanding=True)),
        Task.org_unit_id == sa.bindparam("queue_unit_id"),
    ),
    "unit": sa.and_(
        Task.org_unit_id.in_(sa.bindparam("queue_units", expanding=True)),
        sa.or_(Task.role.is_(None), Task.role != ENTERPRISE_ROLE),
    ),
    "enterprise": sa.and_(
        Task.org_unit_id.in_(sa.bindparam("queue_units", expanding=True)), Task.role == ENTERPRISE_ROLE
    ),
}


def _queue_params(user, queue: str) -> dict:
    if queue == "mine":
        return {"queue_user_id": user.id}
    if queue == "group":
        return {"queue_roles": sorted(user.role_names - {ENTERPRISE_ROLE}), "queue_unit_id": user.org_unit_id}
    return {"queue_units": sorted(units_below(user.org_unit_id))}


def sla_condition(state: str, now):
    """SQL for the tasks in an SLA state at `now` (from the stored due and warning times)."""
    if state == "overdue":
        return Task.due_at <= now
    if state == "at_risk":
        return sa.and_(Task.warn_at <= now, Task.due_at > now)
    if state == "on_track":
        return sa.and_(Task.due_at > now, sa.or_(Task.warn_at.is_(None), Task.warn_at > now))
    if state == "none":
        return Task.due_at.is_(None)
    if state == "due_today":
        return sa.and_(Task.due_at > now, Task.due_at < local_day_end(now))
    return sa.true()


def local_day_end(now) -> datetime:
    """The end of `now`'s day in Beijing time (the next midnight there), in UTC."""
    return datetime.combine(to_local(now).date() + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)


def _ordered(statement, sort: str):
    if sort == "created":
        return statement.order_by(Task.created_at.desc(), Task.id.desc())
    if sort == "case":
        return statement.order_by(Case.number, Task.id)
    return statement.order_by(Task.due_at.asc().nulls_last(), Task.id)


def _queue_select(queue: str):
    """The open tasks of a queue (the user as bind parameters), with what the inbox and the API show.

    Three tables, not five: the unit's name comes from the kept unit table (auth.scopes.unit_name) and the
    enterprise's as a subquery. PostgreSQL plans this statement afresh for every request (its generic plan is
    never cheaper by its estimate), and with the county and the enterprise joined, planning took 2-3 ms, three
    times running it.
    """
    enterprise_name = (
        sa.select(Enterprise.name).where(Enterprise.id == Case.enterprise_id).scalar_subquery().label("enterprise_name")
    )
    return (
        sa.select(Task, Case, ProcessInstance.status, ProcessInstance.org_unit_id, enterprise_name)
        .join(Case, Case.instance_id == Task.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .where(Task.state == "open", _QUEUE_CONDITIONS[queue])
    )


@functools.cache
def _unfiltered_queue(queue: str, sort: str):
    """Built once: most inbox pages show a whole queue, and building the statement cost more than planning it."""
    return _ordered(_queue_select(queue), sort)


def queue_statement(user, queue: str, filters: TaskFilter, now=None) -> tuple:
    """Return (the select of open tasks in a queue, its bind parameters); rows: (Task, Case, the instance's status,
    its org unit's id, the enterprise's name|None). A queue that is not the user's is empty."""
    if queue not in queues_of(user):
        return _ordered(_queue_select("mine").where(sa.false()), filters.sort), _queue_params(user, "mine")
    params = _queue_params(user, queue)
    if not filters.narrows():
        return _unfiltered_queue(queue, filters.sort), params
    now = now or utcnow()
    statement = _queue_select(queue)
    if filters.process:
        statement = statement.where(Case.process_id == filters.process)
    if filters.step:
        statement = statement.where(Task.name == filters.step)
    if filters.sla in SLA_STATES:
        statement = statement.where(sla_condition(filters.sla, now))
    if filters.county:
        county_id = unit_id_of_code(filters.county)
        statement = statement.where(ProcessInstance.org_unit_id == county_id if county_id is not None else sa.false())
    if filters.q:
        statement = statement.where(case_text_condition(filters.q))
    return _ordered(statement, filters.sort), params


def queue_page(user, queue: str, filters: TaskFilter, page: int = 1, per_page: int = 25, now=None, counts=None):
    """One page of a queue (rows: see queue_statement); `counts` (from queue_counts) spares counting the whole
    queue again."""
    total = counts.get(queue) if counts is not None and not filters.narrows() else None
    statement, params = queue_statement(user, queue, filters, now)
    return paginate(statement, page, per_page, total=total, params=params)


_QUEUE_COUNTS = {
    queue: sa.select(sa.func.count()).select_from(Task).where(Task.state == "open", condition).scalar_subquery()
    for queue, condition in _QUEUE_CONDITIONS.items()
}
_QUEUE_STEPS = {
    queue: sa.select(Task.name).where(Task.state == "open", condition).distinct().order_by(Task.name)
    for queue, condition in _QUEUE_CONDITIONS.items()
}


def queue_counts_of(user, queues=None) -> dict:
    """The count of open tasks of each of the user's queues (or of those of `queues` they have), for
    core.counts.read_counts: each is answered from its own index, all in one round trip."""
    return {
        queue: (_QUEUE_COUNTS[queue], _queue_params(user, queue))
        for queue in (queues_of(user) if queues is None else [q for q in queues_of(user) if q in queues])
    }


_DEADLINE_NOW, _DAY_END = sa.bindparam("deadline_now"), sa.bindparam("deadline_day_end")
_QUEUE_DEADLINE_COUNTS = {
    (queue, state): sa.select(sa.func.count())
    .select_from(Task)
    .where(Task.state == "open", condition, when)
    .scalar_subquery()
    for queue, condition in _QUEUE_CONDITIONS.items()
    for state, when in (
        ("overdue", Task.due_at <= _DEADLINE_NOW),
        ("due_today", sa.and_(Task.due_at > _DEADLINE_NOW, Task.due_at < _DAY_END)),
    )
}


def queue_deadline_counts_of(user, queues, now) -> dict:
    """The counts of the open tasks of each of `queues` (those the user has) that are overdue and due today (see
    sla_condition), named "<queue>_overdue" and "<queue>_due_today", for core.counts.read_counts."""
    deadline = {"deadline_now": now, "deadline_day_end": local_day_end(now)}
    return {
        f"{queue}_{state}": (_QUEUE_DEADLINE_COUNTS[queue, state], {**_queue_params(user, queue), **deadline})
        for queue in queues_of(user)
        if queue in queues
        for state in ("overdue", "due_today")
    }


def queue_counts(user, queues=None) -> dict[str, int]:
    """Return the number of open tasks in each of the user's queues (or in those of `queues` they have); a page
    reads them with the top bar's counts."""
    counts = queue_counts_of(user, queues)
    return read_counts_with_top_bar(counts) if has_request_context() else read_counts(counts)


def queue_steps(user, queue: str, filters: TaskFilter | None = None, page=None) -> list[str]:
    """The step names present in a queue (the choices of the step filter).

    A first page of the whole queue, unfiltered (`page` with `filters`), tells them without asking the database.
    """
    if queue not in queues_of(user):
        return []
    if page is not None and filters is not None and not filters.narrows() and page.total == len(page.items):
        return sorted({task.name for task, *_rest in page.items})
    return list(db.session.scalars(_QUEUE_STEPS[queue], _queue_params(user, queue)))


def reassign_candidates(task: Task) -> list[User]:
    """Active users who hold the task's role in the task's org unit."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_role, user_role.c.user_id == User.id)
            .join(Role, Role.id == user_role.c.role_id)
            .where(Role.name == task.role, User.org_unit_id == task.org_unit_id, User.active.is_(True))
            .order_by(User.display_name)
        )
    )


def may_reassign(user, task: Task) -> bool:
    return task.state == "open" and may_oversee(user) and task.org_unit_id in units_below(user.org_unit_id)


def visible_task(user, task_id: int) -> Task | None:
    """Return the task if the user may see its case (else None: 404)."""
    found = visible_task_and_case(user, task_id)
    return found[0] if found else None


def _visible_task_query(visibility, lock: bool = False):
    statement = (
        sa.select(Task, Case)
        .join(Case, Case.instance_id == Task.instance_id)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .where(Task.id == sa.bindparam("task_id"), visibility)
    )
    return lock_instance_with(statement) if lock else statement


# Built once (every task page and completion reads it): building the visibility rule cost more than running it
_VISIBLE_TASK_FOR_STAFF = {
    (oversight, lock): _visible_task_query(clause, lock)
    for oversight, clause in STAFF_VISIBILITY.items()
    for lock in (False, True)
}


def visible_task_statement(user, lock: bool = False) -> tuple:
    """(statement, parameters but `task_id`) reading a task and its case if the user may see the case.

    `lock`: with the task's instance locked as a step needs it, in two more columns (the write that completes the
    task runs it: inbox.operations.lock_visible_task).
    """
    if user.enterprise_id is not None:
        return _visible_task_query(visible_case_clause(user), lock), {}
    return _VISIBLE_TASK_FOR_STAFF[may_oversee(user), lock], staff_params(user)


def visible_task_and_case(user, task_id: int) -> tuple[Task, Case] | None:
    """Return the task and its case if the user may see the case (else None: 404)."""
    statement, params = visible_task_statement(user)
    found = db.session.execute(statement, {"task_id": task_id, **params}).first()
    return (found[0], found[1]) if found is not None else None
