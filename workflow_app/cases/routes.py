"""Case pages: the list with filters and CSV export, starting a case, the case page, comments, files."""

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

from forms.schema_html import render_schema_form
from workflow_app.auth.access import staff_required
from workflow_app.auth.queries import county_choices
from workflow_app.cases import operations
from workflow_app.cases.case_page import case_page_values
from workflow_app.cases.forms import VISIBILITY_LABELS, AttachmentForm, CommentForm
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.queries import (
    CaseFilter,
    attachment_content,
    case_attachment,
    case_attachments,
    case_comments,
    diagram_for_people,
    export_cases,
    list_cases,
    priority_label,
    process_label,
    process_options,
    status_label,
    timeline,
    visible_case,
)
from workflow_app.cases.schema_tasks import answer, posted_answer, start_form_context
from workflow_app.cases.starting import startable_by, startable_process
from workflow_app.core.downloads import file_download
from workflow_app.core.pagination import page_number
from workflow_app.core.spreadsheets import csv_response
from workflow_app.core.time import format_local, utcnow
from workflow_app.core.transactions import commit_write
from workflow_app.engine.models import INSTANCE_STATUSES
from workflow_app.engine.queries import diagram_source, instance_tasks, is_retired, retired_message, step_states
from workflow_app.engine.waits import case_waits, timer_waits

bp = Blueprint("cases", __name__, url_prefix="/cases")

# The list's pager counts this many cases at most (and says "more than"): counting all of 100,000 costs ~0.1 s.
CASES_COUNTED = 1000


def _case_filter(args) -> CaseFilter:
    status = args.get("status", "")
    return CaseFilter(
        process=args.get("process", "").strip(),
        status=status if status in INSTANCE_STATUSES else "",
        county=args.get("county", "").strip(),
        q=args.get("q", "").strip()[:100],
    )


@bp.route("/")
@staff_required
def list_cases_page():
    filters = _case_filter(request.args)
    page = list_cases(
        current_user, filters, page_number(request.args), current_app.config["PAGE_SIZE"], count_up_to=CASES_COUNTED
    )
    # a running case at no person's step waits on a timer: the list says which and until when
    waiting = [row[1] for row in page.items if row[1].status == "running" and not row[1].current_step]
    return render_template(
        "cases/list.html",
        page=page,
        waits=timer_waits(waiting),
        filters=filters,
        processes=process_options(),
        counties=county_choices(),
        startable=startable_by(current_user),
    )


@bp.route("/export.csv")
@staff_required
def export_csv():
    rows = export_cases(current_user, _case_filter(request.args))
    header = [
        _("Case number"),
        _("Title"),
        _("Process"),
        _("Enterprise"),
        _("USCC"),
        _("County"),
        _("Status"),
        _("Current step"),
        _("Priority"),
        _("Created"),
    ]
    table = (
        [
            case.number,
            case.title,
            process_label(case.process_id),
            enterprise.name if enterprise else "",
            enterprise.uscc if enterprise else "",
            county.name,
            status_label(instance.status),
            instance.current_step or "",
            priority_label(case.priority),
            format_local(case.created_at),
        ]
        for case, instance, county, enterprise in rows
    )
    return csv_response(f"cases-{format_local(utcnow(), '%Y%m%d-%H%M')}.csv", header, table)


@bp.route("/new/<process_id>", methods=["GET", "POST"])
@staff_required
def start(process_id):
    process = startable_process(process_id)
    if process is None:
        abort(404)
    if not process.roles & current_user.role_names:
        abort(403)
    if is_retired(process_id):  # said at once, before anyone fills the form in
        flash(str(retired_message(process_id)), "warning")
        return redirect(url_for("cases.list_cases_page"))
    form = process.form_class(**process.form_kwargs(current_user))
    schema, values, errors, files = process.schema, {}, {}, []
    if schema is not None and request.method == "POST":  # its file widgets' files: the new case's attachments
        values, files, errors = posted_answer(
            schema,
            CombinedMultiDict([request.files, request.form]),
            lambda values: start_form_context(current_user, process_id, process.start_fields(form, values)),
        )
    if form.validate_on_submit() and not errors:

        def start_with_files():
            case = process.start(form, current_user, *([answer(schema, values)] if schema is not None else []))
            operations.attach_start_files(case, files, current_user, current_app.config["ATTACHMENT_MAX_BYTES"])
            return case

        case, refused = commit_write(start_with_files)
        if refused is None:
            flash(_("Case %(number)s has been registered.", number=case.number), "success")
            return redirect(url_for("cases.case_page", case_id=case.id))
        flash(str(refused), "danger")
    return render_template(
        "cases/start.html",
        process=process,
        form=form,
        schema_fields=schema and render_schema_form(schema, values, errors),
    ), 200 if request.method == "GET" else 422


@bp.route("/<int:case_id>")
@staff_required
def case_page(case_id):
    case = visible_case(current_user, case_id) or abort(404)
    tasks = instance_tasks(case.instance_id)
    open_tasks = [t for t in tasks if t.state == "open"]
    now = utcnow()
    overdue = sorted({t.bpmn_id for t in open_tasks if t.due_at is not None and t.due_at <= now})
    comments, attachments = case_comments(current_user, case.id), case_attachments(current_user, case.id)
    return render_template(
        "cases/case.html",
        case=case,
        instance=case.instance,
        open_tasks=open_tasks,
        waits=case_waits(case.instance),
        may_act={t.id: may_act_on(current_user, t) for t in open_tasks},
        timeline=timeline(case, tasks, comments, attachments),
        comments=comments,
        attachments=attachments,
        steps=step_states(case.instance),
        overdue=overdue,
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        visibility_labels=VISIBILITY_LABELS,
        **case_page_values(case, open_tasks),  # its clocks and its agreement (sla, agreements)
    )


@bp.route("/<int:case_id>/diagram.bpmn")
@staff_required
def diagram(case_id):
    case = visible_case(current_user, case_id) or abort(404)
    source = diagram_for_people(diagram_source(case.instance.process_version))
    if source is None:
        abort(404)
    return Response(source, mimetype="application/xml")


@bp.route("/<int:case_id>/steps.json")
@staff_required
def steps(case_id):
    case = visible_case(current_user, case_id) or abort(404)
    return jsonify(step_states(case.instance))


@bp.route("/<int:case_id>/comments", methods=["POST"])
@staff_required
def add_comment(case_id):
    case = visible_case(current_user, case_id) or abort(404)
    form = CommentForm()
    if form.validate_on_submit():
        return _write(
            lambda: operations.add_comment(case, form.body.data, current_user, visibility=form.visibility.data),
            case,
            _("Your comment has been added."),
        )
    _flash_errors(form)
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="comments"))


@bp.route("/<int:case_id>/attachments", methods=["POST"])
@staff_required
def add_attachment(case_id):
    case = visible_case(current_user, case_id) or abort(404)
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        return _write(
            lambda: operations.add_attachment(
                case,
                upload.filename,
                upload.read(),
                current_user,
                current_app.config["ATTACHMENT_MAX_BYTES"],
                visibility=form.visibility.data,
            ),
            case,
            _("The file has been attached."),
        )
    _flash_errors(form)
    return redirect(url_for("cases.case_page", case_id=case.id, _anchor="attachments"))


@bp.route("/<int:case_id>/attachments/<int:attachment_id>")
@staff_required
def download(case_id, attachment_id):
    case = visible_case(current_user, case_id) or abort(404)
    attachment = case_attachment(current_user, case.id, attachment_id) or abort(404)
    return file_download(attachment_content(attachment), attachment.content_type, attachment.file_name)


def _write(operation, case, message):
    refused = commit_write(operation)[1]
    flash(str(refused) if refused else message, "danger" if refused else "success")
    return redirect(url_for("cases.case_page", case_id=case.id))


def _flash_errors(form):
    for errors in form.errors.values():
        for error in errors:
            flash(error, "danger")
