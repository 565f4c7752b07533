"""Login, logout, the password change and the language switch."""
import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from workflow_app.auth.forms import ApiTokenForm, LoginForm, PasswordChangeForm
from workflow_app.auth.operations import (change_password, clear_login_failures, create_api_token,
                                         record_login_failure, revoke_api_token)
from workflow_app.core.transactions import commit_write
from workflow_app.auth.queries import find_user, get_user, get_user_token, login_blocked_until, user_tokens
from workflow_app.core.time import utcnow
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
        username, ip, now = form.username.data.strip(), request.remote_addr or "?", utcnow()
        config = current_app.config
        window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
        blocked_until = login_blocked_until(username, ip, now, window, config["LOGIN_MAX_FAILURES"],
                                            config["LOGIN_MAX_FAILURES_PER_IP"])
        if blocked_until is not None:
            minutes = max(1, math.ceil((blocked_until - now).total_seconds() / 60))
            flash(_("Too many failed sign-ins. Try again in %(n)d minutes, or ask an administrator to reset "
                    "the password.", n=minutes), "danger")
            return render_template("auth/login.html", form=form), 429
        user = find_user(username)
        if user is None or not user.active or not user.check_password(form.password.data):
            record_login_failure(username, ip, now)
            db.session.commit()
            flash(_("Wrong user name or password."), "danger")
        else:
            clear_login_failures(username, now - window)
            db.session.commit()
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
        refused = commit_write(change_password, current_user, form.current_password.data, form.new_password.data)[1]
        if refused is None:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
        flash(str(refused), "danger")
    return render_template("auth/password.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        created, refused = commit_write(create_api_token, current_user, form.name.data)
        if refused is None:
            new_token = created[1]
            form = ApiTokenForm(formdata=None)
        else:
            flash(str(refused), "danger")
    status = 422 if request.method == "POST" and new_token is None else 200
    return render_template("auth/tokens.html", form=form, tokens=user_tokens(current_user.id),
                           new_token=new_token), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    token = get_user_token(current_user.id, token_id) or abort(404)
    refused = commit_write(revoke_api_token, token)[1]
    if refused:
        flash(str(refused), "danger")
    else:
        flash(_("The token “%(name)s” no longer works.", name=token.name), "success")
    return redirect(url_for("auth.tokens"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code):
    from workflow_app import LANGUAGES
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))
