"""The JSON API v1: cases, tasks, messages and comments, with the UI's forms and the UI's permissions.

Enterprise tokens see what the portal shows (their enterprise's cases, their own steps, the names
of the steps done); staff tokens see what the handler pages show.
"""

import functools
import re

from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from forms import form_class_for
from workflow_app.api.endpoint import api_user, endpoint, json_body
from workflow_app.api.forms import form_description, formdata_from_json
from workflow_app.api.openapi import COMMENT_MAX, NOT_BLANK, openapi_document
from workflow_app.api.representations import (
    audit_entry,
    audit_row_entry,
    case_summary,
    comment_entry,
    iso,
    page_of,
    task_summary,
)
from workflow_app.cases.instructions import task_instructions_html
from workflow_app.cases.models import SHARED, VISIBILITIES
from workflow_app.cases.operations import add_comment, start_generic_case_step
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.queries import CaseFilter, case_comments, list_cases, visible_case
from workflow_app.cases.schema_tasks import checked_data, start_form_context, task_form_context, task_schema_form
from workflow_app.cases.starting import startable_by
from workflow_app.core.errors import Forbidden, InvalidInput, NotFound
from workflow_app.core.time import utcnow
from workflow_app.engine.models import INSTANCE_STATUSES
from workflow_app.engine.operations import ProcessRetired, closed_task_conflict, deliver_message
from workflow_app.engine.queries import DataOnFirstRead, audit_trail, is_retired, open_tasks
from workflow_app.inbox.operations import TaskAnswer, claim_task, complete_task_as, submit_task_with_notes
from workflow_app.inbox.queries import (
    QUEUES,
    SLA_STATES,
    SORTS,
    TaskFilter,
    queue_page,
    queues_of,
    visible_task_and_case,
)
from workflow_app.portal.applications import portal_applications
from workflow_app.portal.queries import enterprise_open_tasks, enterprise_todo, own_case, own_task_and_case, steps_done

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise InvalidInput(
            _l("'%(name)s' must be a whole number from %(min)d to %(max)d", name=name, min=minimum, max=maximum),
            [{"field": name, "message": str(_l("Not a valid number here"))}],
        )
    return value


def _choice_arg(name: str, choices, default: str = "") -> str:
    """The query argument `name` if it is one of `choices` (an empty value is none of them), else `default`."""
    value = request.args.get(name)
    if value is None:
        return default
    if value not in choices:
        raise InvalidInput(
            _l("'%(name)s' must be one of: %(choices)s", name=name, choices=", ".join(choices)),
            [{"field": name, "message": str(_l("Not one of the allowed values"))}],
        )
    return value


def _text_arg(name: str) -> str:
    return request.args.get(name, "").strip()[:100]


def _has_text(value: str) -> bool:
    """Tell whether `value` has a character that is no white space (as the OpenAPI document's NOT_BLANK says)."""
    return re.search(NOT_BLANK, value) is not None


def _at_most(body: dict, name: str, length: int) -> None:
    """Refuse text in field `name` longer than `length` characters as sent (before the spaces around are cut)."""
    if len(body.get(name) or "") > length:
        raise InvalidInput(
            _l("'%(name)s' can have at most %(n)d characters", name=name, n=length),
            [{"field": name, "message": str(_l("Too long"))}],
        )


def _only_keys(body: dict, allowed: set) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(
            _l("Unknown fields: %(names)s", names=", ".join(unknown)),
            [{"field": name, "message": str(_l("Not a field of this request"))} for name in unknown],
        )


def _is_enterprise(user) -> bool:
    return user.enterprise_id is not None


def _visibility(body: dict, name: str, user) -> str | None:
    """The visibility a request gives a comment in field `name` (None: the default, internal for staff)."""
    if name not in body:
        return None
    value = body[name]
    if value not in VISIBILITIES:
        raise InvalidInput(
            _l("'%(name)s' must be one of: %(choices)s", name=name, choices=", ".join(VISIBILITIES)),
            [{"field": name, "message": str(_l("Not one of the allowed values"))}],
        )
    if _is_enterprise(user) and value != SHARED:
        raise InvalidInput(
            _l(
                "'%(name)s' can only be shared: what an enterprise adds to its case is always visible "
                "to it and to the bureau",
                name=name,
            ),
            [{"field": name, "message": str(_l("Must be shared"))}],
        )
    return value


def _case_or_404(user, case_id):
    case = own_case(user, case_id) if _is_enterprise(user) else visible_case(user, case_id)
    if case is None:
        raise NotFound(_l("No such case, or it is not yours to see"))
    return case


def _task_or_404(user, task_id):
    """The task and its case, if the user may see them."""
    found = own_task_and_case(user, task_id) if _is_enterprise(user) else visible_task_and_case(user, task_id)
    if found is None:
        raise NotFound(_l("No such task, or it is not yours to see"))
    return found


def _staff_only(user):
    if _is_enterprise(user):
        raise Forbidden(_l("Enterprise accounts cannot do this; the agency does"))


def _start_options(user) -> dict:
    """process id -> (label, form class, form kwargs, start function(form, user), free data?, JSON Schema form)."""
    if _is_enterprise(user):
        return {
            a.process_id: (a.label, a.form_class, {}, a.start, a.free_data, a.schema) for a in portal_applications()
        }
    return {
        p.process_id: (p.label, p.form_class, p.form_kwargs(user), p.start, p.free_data, p.schema)
        for p in startable_by(user)
    }


FREE_DATA_SCHEMA = {
    "type": "object",
    "description": "Start variables of the process (names are identifiers); 'title' names the case",
}


@bp.route("/processes")
@endpoint
def list_processes():
    user = api_user()
    items = []
    for process_id, (label, form_class, kwargs, _start, free_data, schema) in _start_options(user).items():
        form = form_description(form_class(formdata=None, meta={"csrf": False}, **kwargs))
        if schema is not None:
            form.update(schema.describe())
        elif free_data:
            form["schema"] = FREE_DATA_SCHEMA
        items.append({"id": process_id, "label": str(label), "form": form})
    return {"items": items}, 200


@bp.route("/cases", methods=["POST"])
@endpoint
def create_case():
    user = api_user()
    body = json_body()
    _only_keys(body, {"process", "data"})
    process_id = body.get("process")
    if isinstance(process_id, str) and is_retired(process_id):  # 409 saying so, not "not one you may start"
        raise ProcessRetired(process_id)
    options = _start_options(user)
    if not isinstance(process_id, str) or process_id not in options:
        raise InvalidInput(
            _l("'process' must be one of the processes you may start: %(ids)s", ids=", ".join(options) or "—"),
            [{"field": "process", "message": str(_l("Not a process you may start"))}],
        )
    _label, form_class, kwargs, start, free_data, schema = options[process_id]
    if schema is not None:  # the start event's JSON Schema form; a title beside it may name the case
        data = body.get("data")
        title = data.get("title") if isinstance(data, dict) else None
        if title is not None:
            data = {key: value for key, value in data.items() if key != "title"}
        context = start_form_context(user, process_id, data if isinstance(data, dict) else {})
        step = start_generic_case_step(process_id, {**checked_data(schema, data, context), "title": title}, user)
    elif free_data:
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise InvalidInput(_l("'data' must be a JSON object of form fields"))
        step = start_generic_case_step(process_id, data, user)
    else:
        case = start(formdata_from_json(body.get("data"), form_class, **kwargs), user)
        return _case_detail(user, case, new=True), 201
    return _case_detail(user, step.result, started=step), 201


@bp.route("/cases")
@endpoint(query=("process", "status", "county", "q", "page", "per_page"))
def list_cases_endpoint():
    user = api_user()
    filters = CaseFilter(
        process=_text_arg("process"),
        status=_choice_arg("status", INSTANCE_STATUSES),
        county=_text_arg("county"),
        q=_text_arg("q"),
    )
    page = list_cases(user, filters, _int_arg("page", 1, 1, 100000), _int_arg("per_page", 25, 1, MAX_PER_PAGE))
    return page_of(page, [case_summary(case, instance) for case, instance, _unit, _enterprise in page.items]), 200


def _case_detail(user, case, new=False, started=None) -> dict:
    """The case as the API shows it; `new`: started by this request (so without comments yet); `started`: the step
    that started it, whose task and audit rows are all the case has (none to read back)."""
    instance = case.instance
    now = utcnow()
    detail = case_summary(case, instance)
    new = new or started is not None
    tasks = [t for t in started.opened if t.state == "open"] if started else open_tasks(instance.id)
    steps = enterprise_todo(tasks) if _is_enterprise(user) else tasks
    # the deadline the case is next overdue by: its open steps carry their clocks' (and phases') deadlines
    detail["due_at"] = iso(min((t.due_at for t in steps if t.due_at is not None), default=None))
    detail["current_steps"] = [task_summary(t, case, now) for t in steps]
    if _is_enterprise(user):
        detail["history"] = [
            {"at": iso(at), "kind": "task_completed", "actor": None, "step": None, "step_name": name, "data": None}
            for name, at in steps_done(instance.id)
        ]
    else:
        history = _history_written(user, started.audit_rows) if started else None
        detail["history"] = history if history is not None else [audit_entry(e) for e in audit_trail(instance.id)]
    # an enterprise's token gets the comments shared with it (the query filters them)
    detail["comments"] = [] if new else [comment_entry(c, _is_enterprise(user)) for c in case_comments(user, case.id)]
    return detail


def _history_written(user, rows: list[dict]) -> list[dict] | None:
    """The history of a case started in this request, from the rows written (None if another user acted in it)."""
    names = {None: None, user.id: user.username}
    if any(row["actor_id"] not in names for row in rows):
        return None
    return [audit_row_entry(row, names[row["actor_id"]]) for row in rows]


@bp.route("/cases/<int:case_id>")
@endpoint
def get_case(case_id):
    user = api_user()
    return _case_detail(user, _case_or_404(user, case_id)), 200


@bp.route("/cases/<int:case_id>/messages", methods=["POST"])
@endpoint
def deliver_message_endpoint(case_id):
    user = api_user()
    case = _case_or_404(user, case_id)
    _staff_only(user)
    body = json_body()
    _only_keys(body, {"name", "payload"})
    name = body.get("name")
    if not isinstance(name, str) or not _has_text(name) or len(name) > 200:
        raise InvalidInput(
            _l("'name' must be the message's name (1 to 200 characters)"),
            [{"field": "name", "message": str(_l("Required"))}],
        )
    deliver_message(case.instance_id, name.strip(), body.get("payload"), user.id)
    return _case_detail(user, case), 200


@bp.route("/cases/<int:case_id>/comments", methods=["POST"])
@endpoint
def add_comment_endpoint(case_id):
    user = api_user()
    case = _case_or_404(user, case_id)
    _staff_only(user)
    body = json_body()
    _only_keys(body, {"body", "visibility"})
    if not isinstance(body.get("body"), str) or not _has_text(body["body"]):
        raise InvalidInput(_l("'body' must be the comment's text"), [{"field": "body", "message": str(_l("Required"))}])
    _at_most(body, "body", COMMENT_MAX)
    visibility = _visibility(body, "visibility", user)
    return comment_entry(add_comment(case, body["body"], user, visibility=visibility)), 201


@bp.route("/tasks")
@endpoint(query=("queue", "process", "step", "sla", "county", "q", "sort", "page", "per_page"))
def list_tasks():
    user = api_user()
    page_number, per_page = _int_arg("page", 1, 1, 100000), _int_arg("per_page", 25, 1, MAX_PER_PAGE)
    now = utcnow()
    queue = _choice_arg("queue", QUEUES, "mine")
    filters = TaskFilter(
        process=_text_arg("process"),
        step=_text_arg("step"),
        sla=_choice_arg("sla", SLA_STATES),
        county=_text_arg("county"),
        q=_text_arg("q"),
        sort=_choice_arg("sort", SORTS, "due"),
    )
    if _is_enterprise(user):  # its open steps, as the portal lists them (the filters sort the staff's queues)
        if queue != "mine":
            raise Forbidden(_l("An enterprise account has only its own tasks (queue=mine)"))
        page = enterprise_open_tasks(user, page_number, per_page)
        return page_of(page, [task_summary(task, case, now) for task, case in page.items]), 200
    if queue not in queues_of(user):
        raise Forbidden(_l("Only supervisors see the open tasks of their whole unit (queue=unit)"))
    page = queue_page(user, queue, filters, page_number, per_page, now)
    return page_of(page, [task_summary(task, case, now) for task, case, *_rest in page.items]), 200


def _task_detail(user, task, case) -> dict:
    detail = task_summary(task, case, utcnow())
    detail["may_complete"] = may_act_on(user, task)
    # the schema does not depend on the case's data (only validation does), so the workflow is not loaded here; a
    # done task of an old formKey whose class is gone is described by the form its package put in its place
    schema = task_schema_form(task) if task.state == "open" or task.form_key else None
    detail["form"] = (
        {"key": None, "instructions": None, **schema.describe()}
        if schema
        else form_description(form_class_for(task.form_key)(formdata=None, meta={"csrf": False}))
    )
    detail["case"] = case_summary(case, case.instance)
    instructions = task_instructions_html(task)  # the model's; an open task's only (none to read once it is done)
    detail["instructions_html"] = str(instructions) if instructions is not None else None
    return detail


@bp.route("/tasks/<int:task_id>")
@endpoint
def get_task(task_id):
    user = api_user()
    return _task_detail(user, *_task_or_404(user, task_id)), 200


def _task_answer(user, task, case) -> TaskAnswer:
    """What the request's body answers the task with, checked (a refusal raises)."""
    body = json_body()
    _only_keys(body, {"data", "comment", "comment_visibility"})
    if task.state != "open":
        raise closed_task_conflict(task)
    if not may_act_on(user, task):
        raise Forbidden(_l("You may not work on this task"))
    comment = body.get("comment")
    if "comment" in body and not isinstance(comment, str):
        raise InvalidInput(_l("'comment' must be text"), [{"field": "comment", "message": str(_l("Must be text"))}])
    _at_most(body, "comment", COMMENT_MAX)
    visibility = _visibility(body, "comment_visibility", user)
    schema = task_schema_form(task)
    if schema is not None:
        data = checked_data(schema, body.get("data"), task_form_context(task, user, case))
    else:
        data = formdata_from_json(
            body.get("data"), form_class_for(task.form_key), case_data=DataOnFirstRead(task)
        ).task_data()
    return TaskAnswer(data, comment or "", (), visibility)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@endpoint
def complete_task_endpoint(task_id):
    user = api_user()
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    if _is_enterprise(user):  # its own steps (portal.queries), which its step locks itself
        task, case = _task_or_404(user, task_id)
        given = _task_answer(user, task, case)
        submit_task_with_notes(
            task, given.data, user, given.note, given.files, request.remote_addr, max_bytes, given.visibility
        )
        return _task_detail(user, task, case), 200
    answer = functools.partial(_task_answer, user)
    step, case = complete_task_as(user, task_id, answer, request.remote_addr, max_bytes)
    return _task_detail(user, step.result, case), 200


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@endpoint
def claim_task_endpoint(task_id):
    user = api_user()
    task, case = _task_or_404(user, task_id)
    _staff_only(user)
    claim_task(task, user)
    return _task_detail(user, task, case), 200
