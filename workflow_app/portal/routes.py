"""The enterprise portal: my cases, applying, my tasks (sign, upload, rectify), payment proofs, my files."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

from forms import form_class_for
from forms.schema_html import SchemaTaskForm, render_schema_form
from workflow_app.agreements.operations import upload_payment_proof
from workflow_app.agreements.queries import (
    agreement_late_fees,
    case_agreements,
    current_agreement,
    current_of,
    installment_reminders,
)
from workflow_app.auth.access import enterprise_required
from workflow_app.cases.instructions import instructions_for
from workflow_app.cases.operations import attach_start_files
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.queries import attachment_content, case_attachments, case_comments, case_for_instance
from workflow_app.cases.schema_tasks import (
    answer,
    form_values,
    posted_answer,
    start_form_context,
    task_form_context,
    task_schema_form,
)
from workflow_app.core.downloads import file_download
from workflow_app.core.errors import ConflictError, DomainError
from workflow_app.core.time import local_today
from workflow_app.core.transactions import commit_write
from workflow_app.engine.queries import current_data, is_retired, retired_message
from workflow_app.extensions import db
from workflow_app.inbox.operations import submit_task_with_notes
from workflow_app.portal import queries
from workflow_app.portal.applications import portal_application, portal_applications
from workflow_app.portal.forms import EnterpriseTaskExtrasForm, PaymentProofForm, WithdrawForm
from workflow_app.portal.operations import withdraw_application

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.route("/")
@enterprise_required
def home():
    today = local_today()
    return render_template(
        "portal/home.html",
        cases=queries.enterprise_cases(current_user.enterprise_id, today),
        reminders=installment_reminders(current_user.enterprise_id, today),
        applications=portal_applications(),
        today=today,
    )


@bp.route("/apply/<process_id>", methods=["GET", "POST"])
@enterprise_required
def apply(process_id):
    application = portal_application(process_id) or abort(404)
    if is_retired(process_id):  # said at once, before the enterprise fills the form in
        flash(str(retired_message(process_id)), "warning")
        return redirect(url_for("portal.home"))
    form = application.form_class()
    schema, values, errors, files = application.schema, {}, {}, []
    if schema is not None and request.method == "POST":  # its file widgets' files: the new case's attachments
        values, files, errors = posted_answer(
            schema, CombinedMultiDict([request.files, request.form]), start_form_context(current_user, process_id, {})
        )
    if form.validate_on_submit() and not errors:

        def start_with_files():
            case = application.start(form, current_user, *([answer(schema, values)] if schema is not None else []))
            attach_start_files(case, files, current_user, current_app.config["ATTACHMENT_MAX_BYTES"])
            return case

        case, refused = commit_write(start_with_files)
        if refused is None:
            _say_what_became_of(case)
            return redirect(url_for("portal.case_page", case_id=case.id))
        flash(str(refused), "danger")
    return render_template(
        "portal/apply.html",
        application=application,
        form=form,
        schema_fields=schema and render_schema_form(schema, values, errors),
    ), 200 if request.method == "GET" else 422


def _say_what_became_of(case) -> None:
    """The message after an application: submitted, or, when its model decided it at once (a rule refused it),
    that decision in the model's words (portalOutcome: the reason and what to do), not a green "submitted"."""
    instance = case.instance
    if instance.status != "completed":
        flash(_("Your application %(number)s has been submitted.", number=case.number), "success")
        return
    outcome, _attention = queries.case_state(case, instance, [], None, current_data(instance), local_today())
    flash(
        _("Your application %(number)s was decided at once: %(outcome)s", number=case.number, outcome=outcome), "info"
    )


@bp.route("/cases/<int:case_id>/withdraw", methods=["POST"])
@enterprise_required
def withdraw(case_id):
    case = queries.own_case(current_user, case_id) or abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("portal.case_page", case_id=case.id))
    refused = commit_write(withdraw_application, case, current_user, form.reason.data)[1]
    if refused:
        flash(str(refused), "danger")
    else:
        flash(_("Your application %(number)s has been withdrawn.", number=case.number), "success")
    return redirect(url_for("portal.case_page", case_id=case.id))


@bp.route("/cases/<int:case_id>")
@enterprise_required
def case_page(case_id):
    case = queries.own_case(current_user, case_id) or abort(404)
    instance = case.instance
    data = current_data(instance)
    open_tasks = queries.open_tasks_by_instance([instance.id]).get(instance.id, [])
    agreements = case_agreements(case.id)
    files = case_attachments(current_user, case.id)
    state, attention = queries.case_state(case, instance, open_tasks, current_of(agreements), data, local_today())
    return render_template(
        "portal/case.html",
        case=case,
        instance=instance,
        data=data,
        todo=queries.enterprise_todo(open_tasks),
        state=state,
        attention=attention,
        agreements=agreements,
        late_fees={agreement.id: agreement_late_fees(agreement, local_today()) for agreement in agreements},
        proof_form=PaymentProofForm(),
        application=queries.application_values(instance, data),
        application_files=queries.application_files(case, data, files),
        files=files,
        withdrawal=queries.withdrawal_of(instance.id) if instance.status == "cancelled" else None,
        withdraw_form=WithdrawForm() if queries.withdrawal_refusal(case) is None else None,
        comments=case_comments(current_user, case.id),
        steps=queries.steps_done(instance.id),
        today=local_today(),
    )


def _render_task(task, data, form, extras, status=200, stale=None, schema_fields=None):
    case = case_for_instance(task.instance_id)
    agreement = current_agreement(case.id)  # an agreement waiting for the enterprise's signature is read on its task
    if agreement is not None and agreement.status != "awaiting_signature":
        agreement = None
    return render_template(
        "portal/task.html",
        task=task,
        case=case,
        form=form,
        extras=extras,
        data=data,
        agreement=agreement,
        stale=stale,
        may_act=may_act_on(current_user, task),
        schema_fields=schema_fields,
        instructions=instructions_for(task, form),
        today=local_today(),
    ), status


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@enterprise_required
def task_page(task_id):
    task = queries.own_task(current_user, task_id) or abort(404)
    data = current_data(task.instance)
    schema = task_schema_form(task) if task.state == "open" else None
    form = SchemaTaskForm() if schema else form_class_for(task.form_key)(case_data=data)
    extras = EnterpriseTaskExtrasForm(prefix="extra")
    values = form_values(schema, data) if schema else None
    if request.method == "GET":
        return _render_task(task, data, form, extras, schema_fields=schema and render_schema_form(schema, values, {}))
    if not may_act_on(current_user, task):
        return _render_task(task, data, form, extras, 409, stale=_("This step is already done."))
    values, form_files, errors = (
        posted_answer(schema, CombinedMultiDict([request.files, request.form]), task_form_context(task, current_user))
        if schema
        else (None, [], {})
    )
    if not (form.validate_on_submit() & extras.validate()) or errors:
        return _render_task(
            task, data, form, extras, 422, schema_fields=schema and render_schema_form(schema, values, errors)
        )
    files = form_files + [(f.filename, f.read()) for f in extras.files.data or [] if getattr(f, "filename", "")]
    try:
        case = submit_task_with_notes(
            task,
            answer(schema, values) if schema else form.task_data(),
            current_user,
            extras.note.data,
            files,
            request.remote_addr,
            current_app.config["ATTACHMENT_MAX_BYTES"],
        )
    except DomainError as exc:
        db.session.rollback()
        task = queries.own_task(current_user, task_id) or abort(404)
        schema_fields = schema and render_schema_form(schema, values, {})
        if isinstance(exc, ConflictError):
            return _render_task(
                task, current_data(task.instance), form, extras, 409, stale=str(exc), schema_fields=schema_fields
            )
        flash(str(exc), "danger")
        return _render_task(task, data, form, extras, 422, schema_fields=schema_fields)
    db.session.commit()
    flash(_("“%(step)s” is done. Thank you.", step=task.name), "success")
    return redirect(url_for("portal.case_page", case_id=case.id))


@bp.route("/installments/<int:installment_id>/proof", methods=["POST"])
@enterprise_required
def upload_proof(installment_id):
    installment = queries.own_installment(current_user, installment_id) or abort(404)
    case_id = installment.agreement.case_id
    form = PaymentProofForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("portal.case_page", case_id=case_id, _anchor="schedule"))
    upload = form.proof.data
    refused = commit_write(
        upload_payment_proof,
        installment,
        upload.filename,
        upload.read(),
        current_user,
        current_app.config["ATTACHMENT_MAX_BYTES"],
    )[1]
    if refused:
        flash(str(refused), "danger")
    else:
        flash(_("The proof for installment %(seq)d has been sent to the agency.", seq=installment.seq), "success")
    return redirect(url_for("portal.case_page", case_id=case_id, _anchor="schedule"))


@bp.route("/files/<int:attachment_id>")
@enterprise_required
def download(attachment_id):
    attachment = queries.own_attachment(current_user, attachment_id) or abort(404)
    return file_download(attachment_content(attachment), attachment.content_type, attachment.file_name)
