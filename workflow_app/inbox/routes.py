"""The inbox (my tasks, my group's queue, all in my unit) and the task page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

from forms import form_class_for
from forms.schema_html import SchemaTaskForm, describe_values, render_schema_form
from workflow_app.agreements.queries import case_agreement_values
from workflow_app.auth.access import staff_required
from workflow_app.auth.queries import county_choices
from workflow_app.auth.scopes import units_below
from workflow_app.cases.instructions import instructions_for
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.queries import attachment_steps, case_attachments, described_audit_events, process_options
from workflow_app.cases.schema_tasks import answer, form_values, posted_answer, task_form_context, task_schema_form
from workflow_app.cases.send_backs import last_answer, return_kinds, task_return
from workflow_app.cases.submissions import submission_message
from workflow_app.core.errors import ConflictError, DomainError, NotFound
from workflow_app.core.pagination import page_number
from workflow_app.core.transactions import commit_write
from workflow_app.engine.queries import DataOnFirstRead, TaskDataOnFirstRead
from workflow_app.extensions import db
from workflow_app.inbox import operations
from workflow_app.inbox.forms import ReassignForm, TaskExtrasForm
from workflow_app.inbox.queries import (
    SLA_STATES,
    SORTS,
    TaskFilter,
    may_reassign,
    queue_counts,
    queue_page,
    queue_steps,
    queues_of,
    reassign_candidates,
    visible_task,
    visible_task_and_case,
)
from workflow_app.sla.queries import open_notices, task_clocks

bp = Blueprint("inbox", __name__)


def _task_filter(args) -> TaskFilter:
    sort = args.get("sort", "due")
    return TaskFilter(
        process=args.get("process", "").strip(),
        step=args.get("step", "").strip(),
        sla=args.get("sla", "") if args.get("sla") in SLA_STATES else "",
        county=args.get("county", "").strip(),
        q=args.get("q", "").strip()[:100],
        sort=sort if sort in SORTS else "due",
    )


@bp.route("/inbox")
@staff_required
def index():
    counts = queue_counts(current_user)
    queue = request.args.get("queue")
    if queue not in queues_of(current_user):
        queue = "mine" if counts["mine"] or not counts["group"] else "group"
    filters = _task_filter(request.args)
    page = queue_page(
        current_user, queue, filters, page_number(request.args), current_app.config["PAGE_SIZE"], counts=counts
    )
    notices, notice_total = ([], 0)
    if current_user.role_names & {current_app.config["SUPERVISOR_ROLE"], "admin"}:
        notices, notice_total = open_notices(units_below(current_user.org_unit_id), limit=5)
    return render_template(
        "inbox/index.html",
        queue=queue,
        queues=queues_of(current_user),
        counts=counts,
        notices=notices,
        notice_total=notice_total,
        filters=filters,
        page=page,
        returns=return_kinds(task for task, *_rest in page.items),
        steps=[(s, s) for s in queue_steps(current_user, queue, filters, page)],
        processes=process_options(),
        counties=county_choices(),
        clocks=task_clocks(task for task, *_rest in page.items),
    )


def _render_task(task, case, form, extras, status=200, stale=None, schema_fields=None, typed=()):
    reassign = None
    files = case_attachments(current_user, case.id)
    if may_reassign(current_user, task):
        reassign = ReassignForm()
        reassign.assignee.choices = [(u.id, u.display_name) for u in reassign_candidates(task)]
    return render_template(
        "inbox/task.html",
        task=task,
        case=case,
        form=form,
        extras=extras,
        may_act=may_act_on(current_user, task),
        reassign=reassign,
        stale=stale,
        typed=typed,
        schema_fields=schema_fields,
        instructions=instructions_for(task, form),
        earlier=described_audit_events(task.instance_id, ("instance_started", "task_completed")),
        clock=task_clocks([task])[task.id],
        **case_agreement_values(case),
        returned=task_return(task),
        files=files,
        file_steps=attachment_steps(files),
    ), status


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@staff_required
def task_page(task_id):
    if request.method == "POST":
        return _submit_task_page(task_id)
    task, case = visible_task_and_case(current_user, task_id) or abort(404)
    schema = task_schema_form(task) if task.state == "open" else None
    form = SchemaTaskForm() if schema else form_class_for(task.form_key)(case_data=DataOnFirstRead(task))
    values = form_values(schema, TaskDataOnFirstRead(task)) if schema else None
    earlier = last_answer(task) if schema and task.state == "open" else None
    if earlier:  # a step done again (after a send-back): what it answered last time, to correct, not retype
        values.update(form_values(schema, earlier))
    extras = TaskExtrasForm(prefix="extra")
    return _render_task(task, case, form, extras, schema_fields=schema and render_schema_form(schema, values, {}))


class _PageRefused(Exception):
    """The posted page is shown again as it came (its response), before anything is done."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _submit_task_page(task_id):
    """Complete the task with the posted page (operations.complete_task_as: the task is read with its case locked),
    or show the page again saying what is wrong."""
    page = {}  # what the post made of the task's page, to show it again after a refusal

    def read_page(task, case) -> operations.TaskAnswer:
        # a page posted after someone else did the task still reads what was typed with the task's form (to show it)
        schema = page["schema"] = task_schema_form(task)
        form = page["form"] = (
            SchemaTaskForm() if schema else form_class_for(task.form_key)(case_data=DataOnFirstRead(task))
        )
        extras = page["extras"] = TaskExtrasForm(prefix="extra")
        if task.state == "open" and not may_act_on(current_user, task):
            abort(403)
        values, form_files, errors = (
            posted_answer(
                schema, CombinedMultiDict([request.files, request.form]), task_form_context(task, current_user, case)
            )
            if schema
            else (None, [], {})
        )
        page["values"] = values
        if not (form.validate_on_submit() & extras.validate()) or errors:
            raise _PageRefused(
                _render_task(
                    task, case, form, extras, 422, schema_fields=schema and render_schema_form(schema, values, errors)
                )
            )
        data = page["data"] = answer(schema, values) if schema else form.task_data()
        files = form_files + [(f.filename, f.read()) for f in extras.files.data or [] if getattr(f, "filename", "")]
        return operations.TaskAnswer(data, extras.note.data, files, extras.visibility.data)

    try:
        step, case = operations.complete_task_as(
            current_user, task_id, read_page, request.remote_addr, current_app.config["ATTACHMENT_MAX_BYTES"]
        )
    except _PageRefused as refused:
        return refused.response
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        task, case = visible_task_and_case(current_user, task_id) or abort(404)
        schema, values = page.get("schema"), page.get("values")
        schema_fields = schema and render_schema_form(schema, values, {})
        if isinstance(exc, ConflictError):
            typed = describe_values(schema, values) if schema else ()
            return _render_task(
                task, case, page["form"], page["extras"], 409, stale=str(exc), schema_fields=schema_fields, typed=typed
            )
        flash(str(exc), "danger")
        return _render_task(task, case, page["form"], page["extras"], 422, schema_fields=schema_fields)
    task, schema, data = step.result, page["schema"], page["data"]
    message = submission_message(task, case, schema, data, current_user, opened=step.opened)
    db.session.commit()
    flash(message, "success")
    if task.instance.status == "error":  # the step after it failed in the model: say so, not only "done"
        flash(
            _(
                "The case then stopped with an error and waits for an administrator: %(problem)s",
                problem=task.instance.error_message,
            ),
            "danger",
        )
    return redirect(url_for("inbox.index"))


def _task_action(task_id, action, *args):
    task = visible_task(current_user, task_id) or abort(404)
    refused = commit_write(action, task, *args)[1]
    if refused:
        flash(str(refused), "danger")
        return None
    return task


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@staff_required
def claim(task_id):
    if _task_action(task_id, operations.claim_task, current_user):
        flash(_("The task is yours now."), "success")
    return redirect(url_for("inbox.task_page", task_id=task_id))


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@staff_required
def release(task_id):
    if _task_action(task_id, operations.release_task, current_user):
        flash(_("The task is back in the group queue."), "success")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
@staff_required
def reassign(task_id):
    task = visible_task(current_user, task_id) or abort(404)
    if not may_reassign(current_user, task):
        abort(403)
    form = ReassignForm()
    form.assignee.choices = [(u.id, u.display_name) for u in reassign_candidates(task)]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("inbox.task_page", task_id=task_id))
    if _task_action(task_id, operations.reassign_task, form.assignee.data, form.reason.data, current_user):
        flash(_("The task has been reassigned."), "success")
    return redirect(url_for("inbox.task_page", task_id=task_id))
