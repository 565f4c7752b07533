"""Login, logout, the password change and the language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from workflow_app.auth.forms import LoginForm, PasswordChangeForm
from workflow_app.auth.operations import change_password
from workflow_app.core.errors import DomainError
from workflow_app.auth.queries import find_user, get_user
from workflow_app.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id):
    return get_user(int(user_id))


def _safe_next(target):
    return target if target and not urlsplit(target).netloc and target.startswith("/") else url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.username.data.strip())
        if user is None or not user.active or not user.check_password(form.password.data):
            flash(_("Wrong user name or password."), "danger")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/language/<code>", methods=["POST"])
def set_language(code):
    from workflow_app import LANGUAGES
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))
