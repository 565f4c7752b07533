"""Reads for supervision (督办): open work by county, section and person; the monthly county ranking; trends.

Everything reads the SLA clocks through their indexes: open task clocks by (kind, stopped_at,
due_at), finished phase clocks by the same index, and the month's audit events by `at`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from workflow_app.auth.models import Enterprise, OrgUnit, User
from workflow_app.auth.scopes import org_units, units_below
from workflow_app.cases.models import Case
from workflow_app.cases.permissions import ENTERPRISE_ROLE
from workflow_app.core.database import plan_each_time
from workflow_app.core.dates import add_months
from workflow_app.core.time import SHANGHAI
from workflow_app.engine.models import AuditEvent, ProcessInstance, Task
from workflow_app.extensions import db
from workflow_app.sla import queries as sla_queries
from workflow_app.sla.models import SlaClock, SupervisionNotice

WORK_STATES = ("overdue", "at_risk", "late")  # "late": overdue or at risk
# the by-person rows that are no person: the staff's tasks nobody has claimed, and the enterprise's (which wait on
# the enterprise, so are nobody's unclaimed work)
UNCLAIMED, WAITING_ON_ENTERPRISE = "unclaimed", "enterprise"
PERSON_GROUPS = (UNCLAIMED, WAITING_ON_ENTERPRISE)
_ENTERPRISE_HOLDER = -1  # the holder column's value for an enterprise's task (no user id is negative)
# the referral's phases (bpmn/referral.bpmn, task property `phase`) that the ranking measures
SIGN_FOR_PHASE, HANDLING_PHASE, REVIEW_PHASE = "sign_for", "handling", "review"
SATISFIED = ("满意", "基本满意")


def supervised_units(user) -> set[int]:
    """The units a supervisor (or admin) oversees: their own and every unit below (admins: all)."""
    if "admin" in user.role_names:
        return {unit.id for unit in org_units()}  # from the kept unit table: every admin page counts notices
    return units_below(user.org_unit_id)


@dataclass
class WorkFilter:
    state: str = "late"
    county: str = ""  # org unit code
    section: str = ""
    person: int | str | None = None  # assignee id, or one of PERSON_GROUPS

    def args(self) -> dict:
        values = {
            "state": self.state,
            "county": self.county,
            "section": self.section,
            "person": "" if self.person is None else self.person,
        }
        return {k: v for k, v in values.items() if v not in ("", None)}


def _running_task_clocks(units):
    return (
        SlaClock.kind == "task",
        SlaClock.stopped_at.is_(None),
        SlaClock.due_at.is_not(None),
        SlaClock.paused_since.is_(None),
        SlaClock.org_unit_id.in_(units),
    )


def _state_condition(state, now):
    if state == "overdue":
        return SlaClock.due_at <= now
    if state == "at_risk":
        return sa.and_(SlaClock.warn_at <= now, SlaClock.due_at > now)
    return SlaClock.warn_at <= now


def work_statement(user, filters: WorkFilter, now):
    """The overdue / at-risk open tasks in the user's units, most overdue first."""
    county = aliased(OrgUnit)
    assignee = aliased(User)
    query = (
        sa.select(SlaClock, Task, Case, county, assignee, Enterprise)
        .join(Task, Task.id == SlaClock.task_id)
        .join(Case, Case.instance_id == SlaClock.instance_id)
        .join(county, county.id == SlaClock.org_unit_id)
        .outerjoin(assignee, assignee.id == Task.assignee_id)
        .outerjoin(Enterprise, Enterprise.id == Case.enterprise_id)
        .where(*_running_task_clocks(supervised_units(user)), _state_condition(filters.state, now))
    )
    if filters.county:
        query = query.where(county.code == filters.county)
    if filters.section:
        query = query.where(SlaClock.section == filters.section)
    if filters.person == UNCLAIMED:
        query = query.where(Task.assignee_id.is_(None), sa.or_(Task.role.is_(None), Task.role != ENTERPRISE_ROLE))
    elif filters.person == WAITING_ON_ENTERPRISE:
        query = query.where(Task.role == ENTERPRISE_ROLE)
    elif filters.person is not None:
        query = query.where(Task.assignee_id == filters.person)
    return query.order_by(SlaClock.due_at, SlaClock.id)


@dataclass
class WorkCount:
    key: str | int | None
    label: str
    overdue: int = 0
    at_risk: int = 0
    open: int = 0


@dataclass
class WorkCounts:
    by_county: list[WorkCount]
    by_section: list[WorkCount]
    by_person: list[WorkCount]  # only people (or PERSON_GROUPS) with overdue or at-risk work


def work_counts(user, now, unnamed: str, unclaimed: str) -> WorkCounts:
    """The running task clocks in the user's units by county, by section and by person (the enterprise's tasks apart,
    as waiting on the enterprise), in one pass."""
    overdue = sa.func.sum(sa.case((SlaClock.due_at <= now, 1), else_=0))
    at_risk = sa.func.sum(sa.case((sa.and_(SlaClock.warn_at <= now, SlaClock.due_at > now), 1), else_=0))
    holder = sa.case((Task.role == ENTERPRISE_ROLE, _ENTERPRISE_HOLDER), else_=Task.assignee_id)
    groups = (SlaClock.org_unit_id, SlaClock.section, holder)
    plan_each_time()
    # a running task clock's task is open; saying so lets the database start from the open tasks' index
    rows = db.session.execute(
        sa.select(*groups, overdue, at_risk, sa.func.count())
        .select_from(SlaClock)
        .join(Task, Task.id == SlaClock.task_id)
        .where(Task.state == "open", *_running_task_clocks(supervised_units(user)))
        .group_by(*groups)
    ).all()
    units = {unit.id: (unit.code, unit.name) for unit in org_units()}
    people = {row[2] for row in rows if row[2] is not None and row[2] != _ENTERPRISE_HOLDER}
    names = (
        dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(people))).all())
        if people
        else {}
    )
    by_county = _tally(rows, 0, lambda unit_id: units.get(unit_id, ("", "?")))
    by_section = _tally(rows, 1, lambda section: (section, section or unnamed))
    by_person = _tally(rows, 2, lambda user_id: _person_key_and_label(user_id, names, unclaimed))
    return WorkCounts(by_county, by_section, [c for c in by_person if c.overdue or c.at_risk])


def _person_key_and_label(user_id, names: dict, unclaimed: str) -> tuple:
    if user_id is None:
        return UNCLAIMED, unclaimed
    if user_id == _ENTERPRISE_HOLDER:
        return WAITING_ON_ENTERPRISE, str(_l("Waiting on the enterprise"))
    return user_id, names.get(user_id, "?")


def _tally(rows, column: int, key_and_label) -> list[WorkCount]:
    """Sum the grouped rows by one of their columns; most overdue, then most at risk, first."""
    counts = {}
    for row in rows:
        key, label = key_and_label(row[column])
        count = counts.setdefault(key, WorkCount(key, label))
        count.overdue += int(row[3] or 0)
        count.at_risk += int(row[4] or 0)
        count.open += row[5]
    return sorted(counts.values(), key=lambda c: (-c.overdue, -c.at_risk, c.label))


def section_options(user) -> list[str]:
    return sorted(
        s
        for s in db.session.scalars(
            sa.select(SlaClock.section)
            .where(*_running_task_clocks(supervised_units(user)), SlaClock.section.is_not(None))
            .distinct()
        )
        if s
    )


# -------------------------------------------------------------------------------------- the ranking


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of a month and of the next, in UTC (months are Shanghai's)."""
    first = month.replace(day=1)
    return tuple(datetime.combine(day, time(0), SHANGHAI).astimezone(UTC) for day in (first, add_months(first, 1)))


@dataclass
class Rate:
    hits: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass
class CountyRanking:
    county_code: str
    county: str
    sign_for_on_time: Rate = field(default_factory=Rate)
    send_back: Rate = field(default_factory=Rate)
    reopen: Rate = field(default_factory=Rate)
    completion_on_time: Rate = field(default_factory=Rate)
    satisfaction: Rate = field(default_factory=Rate)
    rank: int | None = None  # None: no data in the month, so no place in the ranking
    own: bool = False  # one of the viewer's own counties (highlighted; its work can be opened)

    @property
    def rates(self) -> tuple[Rate, ...]:
        return self.sign_for_on_time, self.send_back, self.reopen, self.completion_on_time, self.satisfaction

    @property
    def has_data(self) -> bool:
        return any(rate.total for rate in self.rates)

    @property
    def score(self) -> float:
        """For the order of the table: the mean of the rates that count up, less half the mean of those that count
        down (RANKING_RULE says it in words); rounded, so that equal rates reached by other sums tie."""
        ups = [
            r.value for r in (self.sign_for_on_time, self.completion_on_time, self.satisfaction) if r.value is not None
        ]
        downs = [r.value for r in (self.send_back, self.reopen) if r.value is not None]
        return round((sum(ups) / len(ups) if ups else 0) - (sum(downs) / len(downs) if downs else 0) / 2, 9)


RANKING_RULE = _l(
    "Ranked by score, highest first: the mean of the on-time sign-for, on-time completion and "
    "satisfaction rates that have data, less half the mean of the send-back and reopen rates that have "
    "data. Equal scores share a place (1, 2, 2, 4). A county with no referral step finished in the month "
    "has no place: it is listed last, with —."
)


def county_ranking(user, month: date) -> list[CountyRanking]:
    """Every county's rates for a month (Shanghai time) over its referral cases, ranked (RANKING_RULE); the
    counties the user oversees are marked `own`. A county supervisor sees the whole city's ranking: where their
    county stands is the point of it.

    on-time sign-for: sign-for phases finished in the month before their deadline / all finished;
    send-back: city-review send-backs / reviews finished; reopen: reopenings / follow-ups recorded;
    on-time completion: handling phases finished before their (extended) deadline / all finished;
    satisfaction: 满意 or 基本满意 / follow-ups recorded.
    """
    start, end = month_bounds(month)
    units = supervised_units(user)
    plan_each_time()
    counties = {u.id: u for u in org_units() if u.level == "county"}
    table = {uid: CountyRanking(unit.code, unit.name, own=uid in units) for uid, unit in counties.items()}
    on_time = sa.func.sum(sa.case((SlaClock.stopped_at <= SlaClock.due_at, 1), else_=0))
    phases = db.session.execute(
        sa.select(ProcessInstance.org_unit_id, SlaClock.phase, sa.func.count(), on_time)
        .join(ProcessInstance, ProcessInstance.id == SlaClock.instance_id)
        .where(
            SlaClock.kind == "phase",
            SlaClock.stopped_at >= start,
            SlaClock.stopped_at < end,
            SlaClock.phase.in_((SIGN_FOR_PHASE, HANDLING_PHASE, REVIEW_PHASE)),
            ProcessInstance.org_unit_id.in_(list(table)),
        )
        .group_by(ProcessInstance.org_unit_id, SlaClock.phase)
    ).all()
    for unit_id, phase, total, hits in phases:
        row = table[unit_id]
        if phase == SIGN_FOR_PHASE:
            row.sign_for_on_time.total += total
            row.sign_for_on_time.hits += int(hits or 0)
        elif phase == HANDLING_PHASE:
            row.completion_on_time.total += total
            row.completion_on_time.hits += int(hits or 0)
        else:
            row.send_back.total += total
    events = db.session.execute(
        sa.select(ProcessInstance.org_unit_id, AuditEvent.kind, AuditEvent.data)
        .join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
        .where(
            AuditEvent.at >= start,
            AuditEvent.at < end,
            AuditEvent.kind.in_(("sent_back", "reopened", "satisfaction_recorded")),
            ProcessInstance.org_unit_id.in_(list(table)),
        )
    ).all()
    for unit_id, kind, data in events:
        row, data = table[unit_id], data or {}
        if kind == "sent_back" and data.get("phase") == REVIEW_PHASE:
            row.send_back.hits += 1
        elif kind == "reopened":
            row.reopen.hits += 1
        elif kind == "satisfaction_recorded":
            row.reopen.total += 1
            row.satisfaction.total += 1
            row.satisfaction.hits += data.get("value") in SATISFIED
    return _ranked(table.values())


def _ranked(rows) -> list[CountyRanking]:
    """The counties with data by score, equal scores sharing a place (1, 2, 2, 4), then those without, unranked."""
    ranked = sorted((r for r in rows if r.has_data), key=lambda r: (-r.score, r.county_code))
    for index, row in enumerate(ranked):
        row.rank = ranked[index - 1].rank if index and row.score == ranked[index - 1].score else index + 1
    return ranked + sorted((r for r in rows if not r.has_data), key=lambda r: r.county_code)


@dataclass
class TrendPoint:
    month: str  # YYYY-MM
    sign_for_on_time: float | None
    completion_on_time: float | None
    notices: int


def _month_label(month) -> str:
    """YYYY-MM of a date or a (local) datetime."""
    return f"{month.year:04d}-{month.month:02d}"


def trend(user, last_month: date, months: int = 12) -> list[TrendPoint]:
    """Month by month up to `last_month`: the on-time rates over all counties, and the notices issued.

    Counted over the phase clocks answerable by the user's units (the clock's unit, as the notices are).
    """
    units = list(supervised_units(user))
    month_starts = [add_months(last_month.replace(day=1), -back) for back in reversed(range(months))]
    start, _ = month_bounds(month_starts[0])
    ends = [month_bounds(month)[1] for month in month_starts]
    end = ends[-1]

    # each clock's month as an index into month_starts, computed by the database: the rows are aggregated
    # there (a year of clocks is tens of thousands of rows; the answer is 24). Grouped by the label: PostgreSQL
    # would take the repeated expression's parameters for new ones.
    month_index = sa.case(*[(SlaClock.stopped_at < bound, n) for n, bound in enumerate(ends)], else_=len(ends)).label(
        "month_index"
    )
    on_time = sa.func.sum(sa.case((SlaClock.stopped_at <= SlaClock.due_at, 1), else_=0))
    rates = defaultdict(lambda: {SIGN_FOR_PHASE: Rate(), HANDLING_PHASE: Rate()})
    plan_each_time()
    for index, phase, total, hits in db.session.execute(
        sa.select(month_index, SlaClock.phase, sa.func.count(), on_time)
        .where(
            SlaClock.kind == "phase",
            SlaClock.phase.in_((SIGN_FOR_PHASE, HANDLING_PHASE)),
            SlaClock.stopped_at >= start,
            SlaClock.stopped_at < end,
            SlaClock.org_unit_id.in_(units),
        )
        .group_by(month_index, SlaClock.phase)
    ):
        rate = rates[_month_label(month_starts[index])][phase]
        rate.total, rate.hits = total, int(hits or 0)
    notices = defaultdict(int)
    for (issued,) in db.session.execute(
        sa.select(SupervisionNotice.issued_at)
        .join(SlaClock, SlaClock.id == SupervisionNotice.clock_id)
        .where(
            SupervisionNotice.issued_at >= start,
            SupervisionNotice.issued_at < end,
            SupervisionNotice.level == "county",
            SlaClock.org_unit_id.in_(units),
        )
    ):
        notices[_month_label(issued.astimezone(SHANGHAI))] += 1
    points = []
    for month_start in month_starts:
        label = _month_label(month_start)
        points.append(
            TrendPoint(label, rates[label][SIGN_FOR_PHASE].value, rates[label][HANDLING_PHASE].value, notices[label])
        )
    return points


# ----------------------------------------------------------------------------- supervision notices


def notices_statement(user, open_only: bool = True):
    """Supervision notices addressed to the user's units, newest first."""
    query = (
        sa.select(SupervisionNotice, Case, Task)
        .join(Case, Case.instance_id == SupervisionNotice.instance_id)
        .outerjoin(Task, Task.id == SupervisionNotice.task_id)
        .where(SupervisionNotice.org_unit_id.in_(supervised_units(user)))
    )
    if open_only:
        query = query.where(SupervisionNotice.acknowledged_at.is_(None))
    return query.order_by(SupervisionNotice.issued_at.desc(), SupervisionNotice.id.desc())


def open_notice_count(user) -> int:
    return sla_queries.open_notice_count(supervised_units(user))


def open_notice_count_of(user) -> tuple:
    """The count of the open notices addressed to the user's units, for core.counts.read_counts."""
    return sla_queries.open_notice_count_of(supervised_units(user))


def visible_notice(user, notice_id: int) -> SupervisionNotice | None:
    return db.session.scalar(
        sa.select(SupervisionNotice).where(
            SupervisionNotice.id == notice_id, SupervisionNotice.org_unit_id.in_(supervised_units(user))
        )
    )
