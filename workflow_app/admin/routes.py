"""Administration: users, org units, roles, enterprises, process versions, case repair."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow_app.admin import queries
from workflow_app.admin.forms import (
    ORG_LEVEL_LABELS,
    ActionForm,
    DeployForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    OrgUnitForm,
    PasswordResetForm,
    ReasonForm,
    RetryForm,
    RoleCreateForm,
    RoleEditForm,
    UserCreateForm,
    UserFilterForm,
    UserForm,
)
from workflow_app.auth import operations as auth_operations
from workflow_app.auth import queries as auth_queries
from workflow_app.cases.queries import diagram_for_people
from workflow_app.core.pagination import page_number
from workflow_app.core.time import utcnow
from workflow_app.core.transactions import commit_write
from workflow_app.core.uscc import uscc_problem
from workflow_app.engine import operations as engine_operations
from workflow_app.engine.queries import (
    count_instances_by_version,
    diagram_source,
    get_instance,
    process_label,
    stored_data_or_problem,
)
from workflow_app.engine.version_changes import bpmn_changes, file_changes
from workflow_app.engine.worker import SWEEP_LABELS
from workflow_app.extensions import login_manager
from workflow_app.monitoring.queries import worker_states

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
REASON_ACTIONS = {
    "suspend": engine_operations.suspend_instance,
    "resume": engine_operations.resume_instance,
    "cancel": engine_operations.cancel_instance,
}


@bp.before_request
def require_admin():
    """Let only signed-in staff with the role admin into any admin page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if "admin" not in current_user.role_names or current_user.enterprise_id is not None:
        abort(403)
    return None


def _or_404(found):
    if found is None:
        abort(404)
    return found


@bp.route("/")
def index():
    counts = {
        "users": auth_queries.count_users(),
        "disabled_users": auth_queries.count_users(active=False),
        "org_units": auth_queries.count_org_units(),
        "roles": len(auth_queries.list_roles()),
        "enterprises": auth_queries.count_enterprises(),
        "processes": queries.count_processes(),
        "error": queries.count_instances_with_status("error"),
        "suspended": queries.count_instances_with_status("suspended"),
    }
    return render_template(
        "admin/index.html", counts=counts, workers=worker_states(utcnow()), sweep_labels=SWEEP_LABELS
    )


# users


@bp.route("/users")
def users():
    form = UserFilterForm(formdata=request.args)
    filters = {}
    if form.validate():
        filters = {
            key: value
            for key, value in (
                ("org_unit", form.org_unit.data),
                ("role", form.role.data),
                ("status", form.status.data),
                ("text", (form.text.data or "").strip()),
            )
            if value
        }
    page = auth_queries.search_users(
        org_code=filters.get("org_unit"),
        role_name=filters.get("role"),
        text=filters.get("text"),
        active={"active": True, "disabled": False}.get(filters.get("status")),
        page=page_number(request.args),
        per_page=PER_PAGE,
    )
    return render_template("admin/users.html", form=form, page=page, filters=filters)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserCreateForm()
    error = None
    if form.validate_on_submit():
        user, error = commit_write(
            auth_operations.register_user,
            form.username.data.strip(),
            form.roles.data,
            form.org_unit.data,
            form.password.data,
            form.display_name.data.strip(),
            form.enterprise,
        )
        if error is None:
            flash(_("User %(name)s created", name=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", form=form, error=error), 422 if form.errors or error else 200


def _user_page(user, form=None, password_form=None, error=None):
    status = 422 if error or (form and form.errors) or (password_form and password_form.errors) else 200
    if form is None:
        form = UserForm(
            data={
                "display_name": user.display_name,
                "org_unit": user.org_unit.code,
                "roles": sorted(user.role_names),
                "enterprise_uscc": user.enterprise.uscc if user.enterprise else "",
            }
        )
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        error=error,
        password_form=password_form or PasswordResetForm(formdata=None),
        action_form=ActionForm(),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = _or_404(auth_queries.get_user(user_id))
    if request.method == "GET":
        return _user_page(user)
    form = UserForm()
    if form.validate():
        error = commit_write(
            auth_operations.update_user,
            user,
            form.display_name.data,
            form.org_unit.data,
            form.roles.data,
            form.enterprise,
            actor_id=current_user.id,
        )[1]
        if error is None:
            flash(_("User %(name)s saved", name=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
        return _user_page(user, form=form, error=error)
    return _user_page(user, form=form)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id):
    user = _or_404(auth_queries.get_user(user_id))
    form = PasswordResetForm(username=user.username)
    if not form.validate():
        return _user_page(user, password_form=form)
    error = commit_write(auth_operations.reset_password, user, form.password.data)[1]
    if error is not None:
        return _user_page(user, error=error)
    flash(_("The password of %(name)s was reset", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/<any(enable, disable):action>", methods=["POST"])
def set_user_active(user_id, action):
    user = _or_404(auth_queries.get_user(user_id))
    if ActionForm().validate():
        error = commit_write(auth_operations.set_user_active, user, action == "enable", actor_id=current_user.id)[1]
        if error is not None:
            flash(str(error), "danger")
        elif user.active:
            flash(_("User %(name)s can sign in again", name=user.username), "success")
        else:
            flash(_("User %(name)s is disabled and can no longer sign in", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


# org units


@bp.route("/org-units")
def org_units():
    return render_template("admin/org_units.html", tree=auth_queries.org_unit_tree())


@bp.route("/org-units/new", methods=["GET", "POST"])
def new_org_unit():
    form = OrgUnitForm()
    error = None
    if form.validate_on_submit():
        unit, error = commit_write(
            auth_operations.add_org_unit, form.code.data, form.name.data, form.level.data, form.parent.data or None
        )
        if error is None:
            flash(_("Org unit %(name)s created", name=unit.name), "success")
            return redirect(url_for("admin.org_units"))
    return render_template(
        "admin/org_unit_form.html", form=form, unit=None, error=error
    ), 422 if form.errors or error else 200


@bp.route("/org-units/<int:unit_id>", methods=["GET", "POST"])
def edit_org_unit(unit_id):
    unit = _or_404(auth_queries.get_org_unit(unit_id))
    form = OrgUnitForm(
        data={
            "code": unit.code,
            "name": unit.name,
            "level": unit.level,
            "parent": unit.parent.code if unit.parent else "",
        }
    )
    error = None
    if form.validate_on_submit():
        error = commit_write(
            auth_operations.update_org_unit,
            unit,
            form.code.data,
            form.name.data,
            form.level.data,
            form.parent.data or None,
        )[1]
        if error is None:
            flash(_("Org unit %(name)s saved", name=unit.name), "success")
            return redirect(url_for("admin.org_units"))
    return render_template(
        "admin/org_unit_form.html", form=form, unit=unit, error=error
    ), 422 if form.errors or error else 200


# roles


@bp.route("/roles")
def roles():
    return render_template("admin/roles.html", roles=auth_queries.roles_with_holder_counts(), action_form=ActionForm())


@bp.route("/roles/new", methods=["GET", "POST"])
def new_role():
    form = RoleCreateForm()
    error = None
    if form.validate_on_submit():
        role, error = commit_write(auth_operations.add_role, form.name.data, form.label.data)
        if error is None:
            flash(_("Role %(name)s created", name=role.name), "success")
            return redirect(url_for("admin.roles"))
    return render_template(
        "admin/role_form.html", form=form, role=None, error=error
    ), 422 if form.errors or error else 200


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
def edit_role(role_id):
    role = _or_404(auth_queries.get_role(role_id))
    form = RoleEditForm(data={"label": role.label or ""})
    error = None
    if form.validate_on_submit():
        error = commit_write(auth_operations.update_role, role, form.label.data)[1]
        if error is None:
            flash(_("Role %(name)s saved", name=role.name), "success")
            return redirect(url_for("admin.roles"))
    return render_template(
        "admin/role_form.html", form=form, role=role, error=error
    ), 422 if form.errors or error else 200


@bp.route("/roles/<int:role_id>/delete", methods=["POST"])
def delete_role(role_id):
    role = _or_404(auth_queries.get_role(role_id))
    name = role.name
    if ActionForm().validate():
        error = commit_write(auth_operations.delete_role, role)[1]
        if error is not None:
            flash(str(error), "danger")
        else:
            flash(_("Role %(name)s deleted", name=name), "success")
    return redirect(url_for("admin.roles"))


# enterprises


@bp.route("/enterprises")
def enterprises():
    form = EnterpriseFilterForm(formdata=request.args)
    filters = {}
    if form.validate():
        filters = {
            key: value
            for key, value in (("text", (form.text.data or "").strip()), ("county", form.county.data))
            if value
        }
    page = auth_queries.search_enterprises(
        text=filters.get("text"), county_code=filters.get("county"), page=page_number(request.args), per_page=PER_PAGE
    )
    return render_template(
        "admin/enterprises.html",
        form=form,
        page=page,
        filters=filters,
        awaiting=auth_queries.count_awaiting_confirmation(),
        **_register_checks(),
    )


@bp.route("/enterprises/awaiting")
def enterprises_awaiting():
    """The entries dispatchers registered from referrals, waiting for an administrator to check and confirm them."""
    page = auth_queries.enterprises_awaiting_confirmation(page=page_number(request.args), per_page=PER_PAGE)
    return render_template("admin/enterprises_awaiting.html", page=page, form=ActionForm(), **_register_checks())


@bp.route("/enterprises/<int:enterprise_id>/confirm", methods=["POST"])
def confirm_enterprise(enterprise_id):
    enterprise = _or_404(auth_queries.get_enterprise(enterprise_id))
    if ActionForm().validate():
        error = commit_write(auth_operations.confirm_enterprise, enterprise)[1]
        if error is not None:
            flash(str(error), "danger")
        else:
            flash(_("%(name)s confirmed on the register", name=enterprise.name), "success")
    return redirect(url_for("admin.enterprises_awaiting"))


def _register_checks() -> dict:
    """What the register's lists flag beside a code: issued outside the city (a warning), or no valid code any more
    (an entry from before the code's structure was checked)."""
    return {
        "warning_of": lambda e: auth_queries.division_warning(e.uscc, e.county),
        "code_problem_of": lambda e: uscc_problem(e.uscc),
    }


def _flash_division_warning(enterprise) -> None:
    warning = auth_queries.division_warning(enterprise.uscc, enterprise.county)
    if warning:
        flash(warning, "warning")


@bp.route("/enterprises/new", methods=["GET", "POST"])
def new_enterprise():
    form = EnterpriseForm()
    error = None
    if form.validate_on_submit():
        enterprise, error = commit_write(
            auth_operations.register_enterprise,
            form.uscc.data,
            form.name.data,
            form.county.data,
            form.specialist.data or None,
            form.details(),
        )
        if error is None:
            flash(_("Enterprise %(name)s registered", name=enterprise.name), "success")
            _flash_division_warning(enterprise)
            return redirect(url_for("admin.enterprises"))
    return render_template(
        "admin/enterprise_form.html", form=form, enterprise=None, error=error
    ), 422 if form.errors or error else 200


@bp.route("/enterprises/<int:enterprise_id>", methods=["GET", "POST"])
def edit_enterprise(enterprise_id):
    enterprise = _or_404(auth_queries.get_enterprise(enterprise_id))
    specialist = auth_queries.get_user(enterprise.specialist_id) if enterprise.specialist_id else None
    form = EnterpriseForm(
        data={
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "county": enterprise.county.code,
            "specialist": specialist.username if specialist else "",
            "street": enterprise.street or "",
            "legal_representative": enterprise.legal_representative or "",
            "contact_person": enterprise.contact_person or "",
            "contact_phone": enterprise.contact_phone or "",
            "key_enterprise": enterprise.key_enterprise,
        }
    )
    error = None
    if form.validate_on_submit():
        confirming = enterprise.awaiting_confirmation and "confirm" in request.form
        error = commit_write(
            auth_operations.update_enterprise,
            enterprise,
            form.uscc.data,
            form.name.data,
            form.county.data,
            form.specialist.data or None,
            form.details(),
            confirming,
        )[1]
        if error is None:
            flash(
                _("%(name)s confirmed on the register", name=enterprise.name)
                if confirming
                else _("Enterprise %(name)s saved", name=enterprise.name),
                "success",
            )
            _flash_division_warning(enterprise)
            return redirect(url_for("admin.enterprises_awaiting" if confirming else "admin.enterprises"))
    warning = auth_queries.division_warning(enterprise.uscc, enterprise.county) if request.method == "GET" else None
    return render_template(
        "admin/enterprise_form.html", form=form, enterprise=enterprise, error=error, warning=warning
    ), 422 if form.errors or error else 200


# process versions


@bp.route("/processes")
def processes():
    return render_template(
        "admin/processes.html",
        versions=queries.list_process_versions(),
        instance_counts=count_instances_by_version(),
        summaries=queries.process_summaries(),
        action_form=ActionForm(),
    )


@bp.route("/processes/<process_id>/<any(retire, reinstate):action>", methods=["POST"])
def retire_or_reinstate(process_id, action):
    """Retire a process (no new cases; running ones finish) or take it back into use."""
    if ActionForm().validate():
        if action == "retire":
            error = commit_write(engine_operations.retire_process, process_id, current_user.id)[1]
            done = _(
                "%(process)s is retired: no new case can start; the running ones go on to their end",
                process=process_label(process_id),
            )
        else:
            error = commit_write(engine_operations.reinstate_process, process_id)[1]
            done = _("%(process)s takes new cases again", process=process_label(process_id))
        flash(str(error) if error is not None else done, "danger" if error is not None else "success")
    return redirect(url_for("admin.processes"))


@bp.route("/processes/<int:version_id>")
def process_version(version_id):
    version = _or_404(queries.get_process_version_with_files(version_id))
    previous = queries.previous_version_with_files(version)
    elements, files = [], []
    if previous is not None:  # what this version changed, on the diagram and in the files
        elements = bpmn_changes(diagram_source(previous) or "", diagram_source(version) or "")
        files = file_changes(
            previous.files or {}, version.files or {}, skip=(previous.source_file, version.source_file)
        )
    return render_template(
        "admin/process_version.html", version=version, previous=previous, elements=elements, files=files
    )


@bp.route("/processes/<int:version_id>/diagram.bpmn")
def process_diagram(version_id):
    version = _or_404(queries.get_process_version_with_files(version_id))
    return Response(_or_404(diagram_for_people(diagram_source(version))), mimetype="application/xml")


@bp.route("/processes/deploy", methods=["GET", "POST"])
def deploy():
    form = DeployForm()
    error = None
    if form.validate_on_submit():
        result, error = commit_write(engine_operations.deploy_sources, form.sources, current_user.id)
        if error is None:
            for version in result.created:
                flash(
                    _("Deployed %(process)s version %(version)d", process=version.process_id, version=version.version),
                    "success",
                )
            for process_id in result.unchanged:
                flash(_("%(process)s is unchanged; no new version was made", process=process_id), "info")
            for process_id, name, from_process, from_version in result.kept:
                flash(
                    _(
                        "%(process)s: %(file)s was not given and is taken from %(from_process)s version %(version)d",
                        process=process_id,
                        file=name,
                        from_process=from_process,
                        version=from_version,
                    ),
                    "info",
                )
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for("admin.processes"))
    return render_template("admin/deploy.html", form=form, error=error), 422 if form.errors or error else 200


# case repair


@bp.route("/repair")
def repair_list():
    return render_template(
        "admin/repair_list.html", failed=queries.stopped_cases("error"), suspended=queries.stopped_cases("suspended")
    )


def _repair_page(instance, retry_form=None, reason_forms=None, status=200):
    forms = {action: ReasonForm(formdata=None, prefix=action) for action in REASON_ACTIONS}
    forms.update(reason_forms or {})
    data, problem = stored_data_or_problem(instance)
    if problem is None:
        data = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    else:
        data = _("The stored workflow state cannot be read: %(problem)s", problem=problem)
    return render_template(
        "admin/repair.html",
        instance=instance,
        case=queries.case_of_instance(instance.id),
        data=data,
        retry_form=retry_form or RetryForm(formdata=None),
        reason_forms=forms,
    ), status


@bp.route("/repair/<int:instance_id>")
def repair(instance_id):
    return _repair_page(_or_404(get_instance(instance_id)))


@bp.route("/repair/<int:instance_id>/retry", methods=["POST"])
def retry(instance_id):
    instance = _or_404(get_instance(instance_id))
    form = RetryForm()
    if not form.validate():
        return _repair_page(instance, retry_form=form, status=422)
    error = commit_write(engine_operations.retry_instance, instance.id, form.data_fix_object, current_user.id)[1]
    if error is not None:
        flash(str(error), "danger")
    elif instance.status == "error":
        flash(_("The step failed again: %(message)s", message=instance.error_message), "danger")
    else:
        flash(_("The case was retried and is %(status)s now", status=status_label(instance.status)), "success")
    return redirect(url_for("admin.repair", instance_id=instance.id))


@bp.route("/repair/<int:instance_id>/<any(suspend, resume, cancel):action>", methods=["POST"])
def change_status(instance_id, action):
    instance = _or_404(get_instance(instance_id))
    form = ReasonForm(prefix=action)
    if not form.validate():
        return _repair_page(instance, reason_forms={action: form}, status=422)
    error = commit_write(REASON_ACTIONS[action], instance.id, form.reason.data.strip(), current_user.id)[1]
    if error is not None:
        flash(str(error), "danger")
    else:
        flash(_("The case is %(status)s now", status=status_label(instance.status)), "success")
    return redirect(url_for("admin.repair", instance_id=instance.id))


def status_label(status: str) -> str:
    """Return the user-facing name of an instance status."""
    return {
        "running": _("running"),
        "suspended": _("suspended"),
        "error": _("in error"),
        "completed": _("completed"),
        "cancelled": _("cancelled"),
    }.get(status, status)


@bp.context_processor
def admin_helpers():
    """Give the admin templates the status names and org level labels."""
    return {"status_label": status_label, "level_labels": ORG_LEVEL_LABELS}
