"""Login, logout, the password change and the language switch."""

import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie

from workflow_app.auth.forms import ApiTokenForm, LoginForm, PasswordChangeForm
from workflow_app.auth.operations import (
    change_password,
    clear_login_failures,
    create_api_token,
    end_sessions,
    record_login_failure,
    revoke_api_token,
)
from workflow_app.auth.queries import get_user_token, session_user, sign_in_refused_until, signed_in_user, user_tokens
from workflow_app.core.i18n import LANGUAGES
from workflow_app.core.time import utcnow
from workflow_app.core.transactions import commit_write
from workflow_app.extensions import db

bp = Blueprint("auth", __name__)


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)


def load_user(session_id):
    user = session_user(session_id, utcnow(), current_app.config["REMEMBER_COOKIE_DURATION"])
    if user is None:  # an ended session: forget it, so that later requests do not look it up again
        session.pop("_user_id", None)
        if decode_cookie(request.cookies.get(_remember_cookie_name(), "")) == session_id:
            session["_remember"] = "clear"  # Flask-Login deletes the cookie as the response leaves
    return user


def _sign_in(user, remember: bool) -> None:
    """Start a session for the user (and a "keep me signed in" cookie), of their current session version."""
    user.signed_in_at = int(utcnow().timestamp())
    login_user(user, remember=remember)


def _safe_next(target):
    return target if target and not urlsplit(target).netloc and target.startswith("/") else url_for("home.index")


def _refused_sign_in(form, wait: timedelta):
    """The login page saying when to try again, as a 429 with Retry-After."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds > 60:
        flash(
            _(
                "Too many failed sign-ins. Try again in %(n)d minutes, or ask an administrator to reset the password.",
                n=math.ceil(seconds / 60),
            ),
            "danger",
        )
    else:
        flash(
            ngettext(
                "Too many failed sign-ins. Try again in %(num)d second.",
                "Too many failed sign-ins. Try again in %(num)d seconds.",
                seconds,
            ),
            "danger",
        )
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username, ip, now = form.username.data.strip(), request.remote_addr or "?", utcnow()
        config = current_app.config
        window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
        refused_until = sign_in_refused_until(
            username,
            ip,
            now,
            window,
            config["LOGIN_MAX_FAILURES"],
            config["LOGIN_MAX_FAILURES_PER_IP"],
            config["LOGIN_LONGEST_WAIT_SECONDS"],
        )
        if refused_until is not None:
            return _refused_sign_in(form, refused_until - now)
        user = signed_in_user(username, form.password.data)
        if user is None:
            record_login_failure(username, ip, now)
            db.session.commit()
            flash(_("Wrong user name or password."), "danger")
        else:
            clear_login_failures(username, ip, now - window)
            db.session.commit()
            _sign_in(user, form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    commit_write(end_sessions, current_user._get_current_object())
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        refused = commit_write(change_password, user, form.current_password.data, form.new_password.data)[1]
        if refused is None:  # every other session has ended; this browser goes on in a new one
            _sign_in(user, remember=_remember_cookie_name() in request.cookies)
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
    return render_template(
        "auth/tokens.html", form=form, tokens=user_tokens(current_user.id), new_token=new_token
    ), status


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
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))
