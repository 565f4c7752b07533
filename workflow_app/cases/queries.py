"""Reads of cases: who may see which, the case list with filters, a case's timeline and files."""

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree
from markupsafe import Markup
from sqlalchemy.orm import aliased, contains_eager, joinedload

from forms import describe_data
from forms.schema_html import describe_values
from workflow_app.auth.models import Enterprise, OrgUnit, User
from workflow_app.auth.queries import role_label
from workflow_app.auth.scopes import oversees_every_unit, unit_id_of_code, unit_name_of_code, units_below
from workflow_app.cases.models import SHARED, Attachment, Case, Comment, StoredFile
from workflow_app.cases.schema_tasks import instance_schema_form, replacement_form, start_schema_form
from workflow_app.core.pagination import paginate
from workflow_app.core.time import format_local
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, Task
from workflow_app.engine.projections import AUTOMATIC_KINDS, json_safe
from workflow_app.engine.queries import current_data, deployed_process_ids, latest_version, process_facts, process_label
from workflow_app.extensions import db

# Roles that oversee every case of their part of the org tree (the city sees all counties).
OVERSIGHT_ROLES = {"admin", "supervisor"}

# Another task of the case, not the outer query's Task (the task page selects one). Made once: an alias
# adapts each column on first use, which cost ~1.5 ms when it was made per call.
OtherTask = aliased(Task, name="other_task")


def _staff_visibility(oversight: bool, values: dict | None = None):
    """Which cases a staff user may see (see visible_case_clause). Needs ProcessInstance joined.

    The user comes in as bind parameters (see staff_params): with their `values`, or left to be given when
    the statement runs (a statement built once).
    """

    def param(name, expanding=False):
        return sa.bindparam(name, *([values[name]] if values is not None else []), expanding=expanding)

    user_id, scope = param("visible_user_id"), param("visible_units", expanding=True)
    other = OtherTask
    involved = sa.exists().where(
        other.instance_id == Case.instance_id,
        sa.or_(
            other.assignee_id == user_id,
            other.completed_by_id == user_id,
            sa.and_(other.role.in_(param("visible_roles", expanding=True)), other.org_unit_id.in_(scope)),
        ),
    )
    conditions = [Case.created_by_id == user_id]
    if oversight:
        conditions.append(ProcessInstance.org_unit_id.in_(scope))
    # last: the database tries an OR's terms in their order, and this one reads the case's tasks
    return sa.or_(*conditions, involved)


# Built once for each shape (with or without the oversight of a unit): hot queries run them with staff_params
STAFF_VISIBILITY = {oversight: _staff_visibility(oversight) for oversight in (False, True)}


def may_oversee(user) -> bool:
    """Supervisors and admins see all open work of their unit and the units below it."""
    return bool(user.role_names & OVERSIGHT_ROLES)


def staff_params(user) -> dict:
    """The bind parameters of STAFF_VISIBILITY for a user."""
    return {
        "visible_user_id": user.id,
        "visible_roles": sorted(user.role_names),
        "visible_units": sorted(units_below(user.org_unit_id)),
    }


def visible_case_clause(user):
    """Return the SQL condition for the cases `user` may see (needs ProcessInstance joined).

    Enterprise users see their enterprise's cases. Staff see a case they started, a case with a
    task they hold or did, or a task of one of their roles in their unit or below; supervisors
    and admins see every case in their unit or below.
    """
    if user.enterprise_id is not None:
        return Case.enterprise_id == user.enterprise_id
    if sees_every_case(user):
        return sa.true()
    return _staff_visibility(may_oversee(user), staff_params(user))


def sees_every_case(user) -> bool:
    """Whether the user oversees the top of the org tree, and so every case: no case's row needs testing."""
    return user.enterprise_id is None and may_oversee(user) and oversees_every_unit(user.org_unit_id)


@functools.cache
def _visible_case_query(shape):
    """The case page's case with its instance, version and enterprise, for one shape of the visibility rule.

    Built once per shape ("all", "enterprise", or staff with or without oversight), the user as bind
    parameters: building the statement and its cache key cost more than running it.
    """
    instance = contains_eager(Case.instance)
    if shape == "all":
        visibility = sa.true()
    elif shape == "enterprise":
        visibility = Case.enterprise_id == sa.bindparam("visible_enterprise_id")
    else:
        visibility = STAFF_VISIBILITY[shape == "oversight"]
    return (
        sa.select(Case)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .options(
            instance.undefer(ProcessInstance.state_json),
            instance.joinedload(ProcessInstance.process_version),
            joinedload(Case.enterprise),
        )
        .where(Case.id == sa.bindparam("case_id"), visibility)
    )


def visible_case(user, case_id: int) -> Case | None:
    """Return the case if it exists and `user` may see it (else None: a 404, whichever it was).

    Its instance (with its stored workflow: the page shows its data), the instance's process version (its
    number; the big columns stay deferred) and the enterprise come in the same query.
    """
    if user.enterprise_id is not None:
        shape, params = "enterprise", {"visible_enterprise_id": user.enterprise_id}
    elif sees_every_case(user):
        shape, params = "all", {}
    else:
        shape, params = ("oversight" if may_oversee(user) else "staff"), staff_params(user)
    return db.session.scalar(_visible_case_query(shape), {"case_id": case_id, **params})


def case_for_instance(instance_id: int) -> Case | None:
    return db.session.scalar(sa.select(Case).where(Case.instance_id == instance_id))


# An enterprise's earlier cases a model reads at most (the newest): more than any enterprise has of one process
EARLIER_CASES_READ = 200


def earlier_cases(enterprise_id: int, process_id: str, fields: list) -> list[dict]:
    """The named fields of the data of an enterprise's completed cases of a process, oldest first (JSON values:
    amounts and dates as text; a field a case lacks is None): a model script's view of the register, e.g. the
    months a loan contract was extended before (贷款展期)."""
    if not (
        isinstance(enterprise_id, int)
        and isinstance(process_id, str)
        and isinstance(fields, (list, tuple))
        and all(isinstance(name, str) for name in fields)
    ):
        raise TypeError("earlier_cases(enterprise_id, process_id, [field names]): an integer, a text, a list of texts")
    statement = (
        sa.select(ProcessInstance)
        .join(Case, Case.instance_id == ProcessInstance.id)
        .where(
            Case.enterprise_id == enterprise_id, Case.process_id == process_id, ProcessInstance.status == "completed"
        )
        .options(sa.orm.undefer(ProcessInstance.state_json), joinedload(ProcessInstance.process_version))
        .order_by(Case.id.desc())
        .limit(EARLIER_CASES_READ)
    )
    with db.session.no_autoflush:  # called inside an engine step, whose rows are not ready to be written
        instances = db.session.scalars(statement).all()
    found = []
    for instance in reversed(instances):
        data = current_data(instance)
        found.append(json_safe({name: data.get(name) for name in fields}))
    return found


def enterprise_has_account(enterprise_id: int) -> bool:
    """Whether an enterprise has an active account of its own now, so that it can answer in the portal: a model
    script's view of the register, e.g. who rates a referral's outcome (问题需求转办)."""
    if not isinstance(enterprise_id, int) or isinstance(enterprise_id, bool):
        raise TypeError("enterprise_has_account(enterprise_id): an integer")
    with db.session.no_autoflush:  # called inside an engine step, whose rows are not ready to be written
        return bool(
            db.session.scalar(sa.select(sa.exists().where(User.enterprise_id == enterprise_id, User.active.is_(True))))
        )


@dataclass
class CaseFilter:
    process: str = ""
    status: str = ""
    county: str = ""  # org unit code of the case
    q: str = ""  # number, title or enterprise name; or the exact external reference


# Beyond this many enterprises matching a search text the ids stay a subquery: such a text (e.g. "有限公司")
# matches most cases anyway, and the database reads them all whichever way it is written.
_LISTED_ENTERPRISES = 200


def case_text_condition(text: str):
    """SQL: the case number, title or enterprise name contains `text`, or it is the case's external reference (the
    command centre's ticket number, typed whole).

    Every arm is a condition on the case table's own columns, so that PostgreSQL can answer the OR from
    indexes (trigram indexes, migration 0011): an OR that reaches into the joined enterprise makes it
    read every case. The matching enterprises are read first, and their ids listed, so that the
    planner knows how many cases they have (a subquery's count it guesses, and then reads every case).
    """
    enterprises = sa.select(Enterprise.id).where(Enterprise.name.icontains(text, autoescape=True))
    enterprise_ids = db.session.scalars(enterprises.limit(_LISTED_ENTERPRISES + 1)).all()
    return sa.or_(
        Case.number.icontains(text, autoescape=True),
        Case.title.icontains(text, autoescape=True),
        Case.external_ref == text.strip(),
        Case.enterprise_id.in_(
            enterprise_ids
            if len(enterprise_ids) <= _LISTED_ENTERPRISES
            else enterprises.correlate(None).scalar_subquery()
        ),
    )


def _case_list_statements(user, filters: CaseFilter):
    """The list's rows, newest first, and the same cases for its pager to count: without the joins that only add
    columns, and without the instance when no condition needs it (the city's count read 1,000 instances)."""
    conditions, needs_instance = [], False
    if not sees_every_case(user):
        conditions.append(visible_case_clause(user))
        needs_instance = user.enterprise_id is None  # the staff's rule looks at the instance's unit
    if filters.process:
        conditions.append(Case.process_id == filters.process)
    if filters.status:
        conditions.append(ProcessInstance.status == filters.status)
        needs_instance = True
    if filters.county:
        county_id = unit_id_of_code(filters.county)
        conditions.append(ProcessInstance.org_unit_id == county_id if county_id is not None else sa.false())
        needs_instance = True
    if filters.q:
        conditions.append(case_text_condition(filters.q))
    newest_first = (Case.created_at.desc(), Case.id.desc())
    rows = (
        sa.select(Case, ProcessInstance, OrgUnit, Enterprise)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
        .outerjoin(Enterprise, Enterprise.id == Case.enterprise_id)
        .where(*conditions)
        .order_by(*newest_first)
    )
    counted = sa.select(Case.id)
    if needs_instance:
        counted = counted.join(ProcessInstance, ProcessInstance.id == Case.instance_id)
    return rows, counted.where(*conditions).order_by(*newest_first)


def list_cases(user, filters: CaseFilter, page: int = 1, per_page: int = 25, count_up_to: int | None = None):
    """Return a page of (Case, ProcessInstance, OrgUnit, Enterprise|None) rows, newest first.

    `count_up_to` stops the total's count there (see `paginate`); the API counts every case.
    """
    rows, counted = _case_list_statements(user, filters)
    return paginate(rows, page, per_page, count_up_to=count_up_to, counted=counted)


def export_cases(user, filters: CaseFilter, limit: int = 50000):
    """Return every row of the filtered list (for the CSV export), newest first."""
    return db.session.execute(_case_list_statements(user, filters)[0].limit(limit)).all()


def _seen_by_enterprise(statement, item):
    """Of a case's comments or files, those its enterprise sees: the shared ones, on its own case only."""
    return statement.join(Case, Case.id == item.case_id).where(
        item.visibility == SHARED, Case.enterprise_id == sa.bindparam("viewer_enterprise_id")
    )


@functools.cache
def _case_comments_query(for_enterprise: bool):  # built once, on first use (loader options need mappers configured)
    statement = (
        sa.select(Comment)
        .options(joinedload(Comment.author).lazyload(User.roles))
        .where(Comment.case_id == sa.bindparam("case_id"))
        .order_by(Comment.id)
    )
    return _seen_by_enterprise(statement, Comment) if for_enterprise else statement


@functools.cache
def _case_attachments_query(for_enterprise: bool):
    statement = (
        sa.select(Attachment)
        .options(joinedload(Attachment.uploaded_by).lazyload(User.roles))
        .where(Attachment.case_id == sa.bindparam("case_id"))
        .order_by(Attachment.id)
    )
    return _seen_by_enterprise(statement, Attachment) if for_enterprise else statement


def _viewer_params(viewer) -> dict:
    return {"viewer_enterprise_id": viewer.enterprise_id} if viewer.enterprise_id is not None else {}


def case_comments(viewer, case_id: int) -> list[Comment]:
    """A case's comments that `viewer` may read (an enterprise's users: the shared ones), oldest first, with authors.

    Staff see them all: the caller has checked that they may see the case.
    """
    statement = _case_comments_query(viewer.enterprise_id is not None)
    return list(db.session.scalars(statement, {"case_id": case_id, **_viewer_params(viewer)}))


def case_attachments(viewer, case_id: int) -> list[Attachment]:
    """A case's files that `viewer` may see (an enterprise's users: the shared ones), oldest first, with uploaders."""
    statement = _case_attachments_query(viewer.enterprise_id is not None)
    return list(db.session.scalars(statement, {"case_id": case_id, **_viewer_params(viewer)}))


def case_attachment(viewer, case_id: int, attachment_id: int) -> Attachment | None:
    """One of a case's files if `viewer` may see it (an enterprise's users: a shared one of their case), else None."""
    statement = sa.select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
    if viewer.enterprise_id is not None:
        statement = _seen_by_enterprise(statement, Attachment)
    return db.session.scalar(statement, _viewer_params(viewer))


@dataclass
class TimelineEntry:
    kind: str  # "audit", "comment", "attachment" or "automatic" (the automatic steps of one engine step)
    at: object
    item: object  # the AuditEvent, Comment or Attachment (for "automatic": their TimelineEntry list)
    described: list  # (label, value) pairs of the event's data
    variables: list = field(default_factory=list)  # (name, value) of the variables an automatic step set


# Start data the case header shows already, or a process setting that tells a reader nothing
HIDDEN_START_KEYS = {"case_number", "priority", "follow_up_delay"}


# What the SLA clocks and the agreements write into the history, field by field (time fields are shown in local time)
EVENT_FIELDS = {
    "sent_back": (("count", _l("Send-backs so far")),),
    "reopened": (("count", _l("Reopenings so far")),),
    "satisfaction_recorded": (("value", _l("Satisfaction")),),
    "deadline_extended": (
        ("days", _l("Extra working days")),
        ("reason", _l("Reason")),
        ("due_before", _l("Deadline before")),
        ("due_after", _l("New deadline")),
    ),
    "notice_acknowledged": (("notice", _l("Supervision notice")), ("response", _l("What is being done"))),
    "sla_property_failed": (("property", _l("Property")), ("error", _l("Error"))),
    "org_unit_unresolved": (("field", _l("Field")), ("value", _l("Unit code in it"))),
    "same_person_unavailable": (("person", _l("Person")),),
    "payment_proof_uploaded": (("seq", _l("Installment")), ("file", _l("File"))),
    "application_withdrawn": (("reason", _l("Reason")),),
    "instance_cancelled": (("reason", _l("Reason")),),
}


def _local_if_time(key, value):
    if key.startswith("due_") and isinstance(value, str):
        try:
            return format_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


_FORM_KEYS = sa.select(Task.bpmn_id, Task.form_key).where(Task.instance_id == sa.bindparam("instance_id"))


@functools.cache
def _audit_events_query(of_kinds: bool):
    """An instance's audit events in order, with their actors (their roles only if asked for: a timeline shows
    names); of some kinds only (the bind parameter "kinds") or of all."""
    statement = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor).lazyload(User.roles))
        .where(AuditEvent.instance_id == sa.bindparam("instance_id"))
        .order_by(AuditEvent.id)
    )
    return statement.where(AuditEvent.kind.in_(sa.bindparam("kinds", expanding=True))) if of_kinds else statement


def described_audit_events(instance_id: int, kinds=None, tasks=None) -> list[TimelineEntry]:
    """Return an instance's audit events with their data labelled by the forms that produced it.

    `tasks` may pass the instance's task rows when the caller has read them.
    """
    if tasks is None:
        form_keys = dict(db.session.execute(_FORM_KEYS, {"instance_id": instance_id}).all())
    else:
        form_keys = {task.bpmn_id: task.form_key for task in tasks}
    statement, params = _audit_events_query(bool(kinds)), {"instance_id": instance_id}
    if kinds:
        params["kinds"] = list(kinds)
    entries = []
    instance = functools.cache(lambda: db.session.get(ProcessInstance, instance_id))  # read only for package forms
    shown_value = functools.cache(lambda: _variable_shower(instance(), form_keys))  # only for automatic steps
    for event in db.session.scalars(statement, params):
        data = event.data or {}
        if event.kind == "instance_started":
            start_data = {k: v for k, v in (data.get("data") or {}).items() if k not in HIDDEN_START_KEYS}
            schema = start_schema_form(instance().process_version)
            described = (
                describe_values(schema, start_data)
                if schema
                else describe_data(_start_form_key(data.get("process_id"), data.get("version")), start_data)
            )
        elif event.kind == "task_opened":
            described = []
        elif event.kind == "org_unit_changed":
            described = [(_("Now handled by"), unit_name_of_code(data.get("org_unit")) or data.get("org_unit"))]
        elif event.kind == "task_completed":
            key = form_keys.get(event.task_bpmn_id)  # an old formKey whose class is gone: the package's form for it
            schema = (
                replacement_form(instance().process_id, key)
                if key
                else instance_schema_form(instance(), event.task_bpmn_id)
            )
            described = (
                describe_values(schema, data) if schema else describe_data(form_keys.get(event.task_bpmn_id), data)
            )
        elif event.kind in AUTOMATIC_KINDS:
            entries.append(
                TimelineEntry(
                    "audit", event.at, event, _automatic_facts(event.kind, data), _variables_set(data, shown_value())
                )
            )
            continue
        elif event.kind in EVENT_FIELDS:
            described = [
                (label, _local_if_time(key, data.get(key)))
                for key, label in EVENT_FIELDS[event.kind]
                if data.get(key) not in (None, "")
            ]
        else:
            described = [(key, value) for key, value in data.items() if not isinstance(value, (dict, list))]
        entries.append(TimelineEntry("audit", event.at, event, described))
    return entries


def _automatic_facts(kind: str, data: dict) -> list[tuple[str, str]]:
    """What an automatic step decided, labelled: the way a gateway took and why, the message a case caught."""
    if kind == "branch_taken":
        return [
            (
                _("Went on to"),
                Markup("{} (<code>{}</code>)").format(_way_name(way), way["condition"])
                if way.get("condition")
                else _("%(step)s (the default way)", step=_way_name(way)),
            )
            for way in data.get("to", [])
        ]
    if kind == "message_received":
        return [(_("Message"), data.get("name"))]
    return []


def _way_name(way: dict) -> str:
    """The name of the step a gateway went on to; an unnamed one (a joining gateway) is "the next step", not its id."""
    return way["name"] if way.get("name") and way["name"] != way.get("step") else _("the next step")


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_text(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "—" if value is None else str(value)


def _variable_shower(instance, form_keys: dict):
    """Return shown(name, value): a variable's value as people read it. As the case's forms show a field of that
    name (a choice by its title, rows and objects by their fields' titles), an org unit's code by the unit's name;
    a value no form describes as the model holds it, a code or structure marked as code."""
    forms = [start_schema_form(instance.process_version)] if instance is not None else []
    forms += [instance_schema_form(instance, bpmn_id) for bpmn_id in form_keys if instance is not None]
    forms = [form for form in forms if form is not None]

    def shown(name: str, value):
        for form in forms:
            described = describe_values(form, {name: value})
            if described and described[0][1] != value:
                return described[0][1]
        if isinstance(value, str) and unit_name_of_code(value):
            return unit_name_of_code(value)
        text = _variable_text(value)
        if isinstance(value, (dict, list)) or (isinstance(value, str) and _IDENTIFIER.fullmatch(value)):
            return Markup("<code>{}</code>").format(text)
        return text

    return shown


def _variables_set(data: dict, shown=lambda name, value: _variable_text(value)) -> list[tuple[str, str]]:
    """(name, value) of what an automatic step set: a decision's outputs first, then the other variables it changed
    or removed (as the engine recorded them: engine.projections.changed_variables); `shown` gives a value's text."""
    outputs = data.get("outputs") or {}
    shown_values = [(name, shown(name, value)) for name, value in outputs.items()]
    shown_values += [
        (name, shown(name, value)) for name, value in (data.get("changed") or {}).items() if name not in outputs
    ]
    return shown_values + [(name, _("(removed)")) for name in data.get("removed") or []]


def _start_form_key(process_id: str | None, version: int | None) -> str | None:
    """The formKey of a process version's start event: the form whose fields label its start data (the newest
    version's for a version deployed before start events named their form)."""
    latest = latest_version(process_id) if process_id else None
    newest = process_facts(latest).start_form_key if latest is not None else None
    if latest is None or latest.version == version:
        return newest  # the usual case, with no statement run
    stored = db.session.scalar(
        sa.select(ProcessVersion).where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)
    )
    return (process_facts(stored).start_form_key if stored is not None else None) or newest


def timeline(case: Case, tasks, comments, attachments) -> list[TimelineEntry]:
    """Return the case's history: audit events, comments and attachments (as read for the page), oldest first.

    The automatic steps of one engine step are one "automatic" entry (the page folds them).
    """
    entries = described_audit_events(case.instance_id, tasks=tasks)
    entries += [TimelineEntry("comment", c.created_at, c, []) for c in comments]
    entries += [TimelineEntry("attachment", a.created_at, a, []) for a in attachments]
    folded = []
    for entry in sorted(entries, key=lambda entry: entry.at):
        if entry.kind != "audit" or entry.item.kind not in AUTOMATIC_KINDS:
            folded.append(entry)
        elif folded and folded[-1].kind == "automatic" and folded[-1].at == entry.at:
            folded[-1].item.append(entry)
        else:
            folded.append(TimelineEntry("automatic", entry.at, [entry], []))
    return folded


INSTANCE_STATUS_LABELS = {
    "running": _l("In progress"),
    "suspended": _l("Suspended"),
    "error": _l("Stopped by an error"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
PRIORITY_LABELS = {"normal": _l("Normal priority"), "urgent": _l("Urgent")}


def status_label(status: str | None) -> str:
    """The label people read for a case's (its instance's) status."""
    return str(INSTANCE_STATUS_LABELS.get(status, status or ""))


def priority_label(priority: str | None) -> str:
    """The label people read for a case's priority."""
    return str(PRIORITY_LABELS.get(priority, priority or ""))


_BPMN_LANE = "{http://www.omg.org/spec/BPMN/20100524/MODEL}lane"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def diagram_for_people(source: str | None) -> bytes | None:
    """A version's BPMN XML as the diagram shows it: each lane named by its role's label (a lane's name is the code
    of the role whose users do its tasks). None for None; text that is no XML as it is."""
    if source is None:
        return None
    try:
        root = etree.fromstring(source.encode(), parser=_SAFE_XML)
    except etree.XMLSyntaxError:
        return source.encode()
    for lane in root.iter(_BPMN_LANE):
        if lane.get("name"):
            lane.set("name", role_label(lane.get("name").strip()))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def process_options() -> list[tuple[str, str]]:
    """(id, label) of the deployed processes, the choices of the process filters."""
    return [(process_id, process_label(process_id)) for process_id in deployed_process_ids()]


def attachment_content(attachment: Attachment) -> bytes:
    return db.session.scalar(sa.select(StoredFile.content).where(StoredFile.sha256 == attachment.sha256))


def attachment_steps(attachments) -> dict[int, str]:
    """{attachment id: the name of the step it was sent with} for those of `attachments` sent with a step."""
    task_ids = {a.task_id for a in attachments if a.task_id is not None}
    if not task_ids:
        return {}
    names = dict(db.session.execute(sa.select(Task.id, Task.name).where(Task.id.in_(task_ids))).all())
    return {a.id: names[a.task_id] for a in attachments if a.task_id in names}
