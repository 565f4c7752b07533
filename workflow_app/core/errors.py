"""Errors that carry a message meant for the user (translatable, one line), and how the app answers errors."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest as HttpBadRequest
from werkzeug.exceptions import HTTPException

from workflow_app.extensions import db


class DomainError(Exception):
    """A refusal the user can understand and act on; never a traceback."""

    status_code = 400

    def __init__(self, message, details=None):
        super().__init__(str(message))
        self.message = message
        self.details = details or []

    def __str__(self):
        return str(self.message)


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class ConflictError(DomainError):
    """Someone else changed the thing first (optimistic locking, a task already done)."""

    status_code = 409


class InvalidInput(DomainError):
    status_code = 422


class Unauthorized(DomainError):
    """No valid credentials (the API's bearer token)."""

    status_code = 401


class BadRequest(DomainError):
    """A request that cannot be read at all (broken JSON, a malformed header)."""

    status_code = 400


class UnsupportedMediaType(DomainError):
    status_code = 415


class BadQueryArgument(HttpBadRequest):
    """A value in a URL's query string that no page can use (a page number, an id, a month): 400, naming it.

    An HTTP error, not a DomainError: pages answer those by going back with a message, and a link that is wrong in
    itself has nowhere to go back to; the error page shows `message`.
    """

    def __init__(self, argument: str, message):
        super().__init__(str(message))
        self.argument, self.message = argument, message


ERROR_PAGE_MESSAGES = {
    403: _l("You may not open this page."),
    404: _l("There is no such page, or it is not yours to see."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    400: _l("The request was not understood (the form may have expired: reload the page and try again)."),
    500: _l("Something went wrong on our side; it has been logged. Please try again later."),
}


def register_error_handlers(app) -> None:
    """Answer HTTP errors with the error page and refusals by going back with their message."""
    app.extensions["error_answers"] = {}  # path prefix -> (answer to an HTTP error, answer to a refusal)
    app.register_error_handler(HTTPException, _answer_http_error)
    app.register_error_handler(DomainError, _answer_refusal)


def answer_errors_under(app, path_prefix: str, http_error, refusal) -> None:
    """Answer the errors of requests under `path_prefix` with these two functions (the API answers JSON).

    By path, not by blueprint: a URL that matches no route (404, 405) belongs to no blueprint.
    """
    app.extensions["error_answers"][path_prefix] = (http_error, refusal)


def _answers_of_this_path():
    for prefix, answers in current_app.extensions["error_answers"].items():
        if request.path.startswith(prefix):
            return answers
    return None


def _answer_http_error(exc):
    if exc.code == 500:
        db.session.rollback()  # the page itself reads the database
    answers = _answers_of_this_path()
    if answers is not None:
        return answers[0](exc)
    if exc.code is None or exc.code < 400:  # a redirect werkzeug raises (a missing trailing slash)
        return exc
    message = (
        getattr(exc, "message", None)  # BadQueryArgument's own
        or ERROR_PAGE_MESSAGES.get(exc.code, _l("The request could not be completed."))
    )
    return render_template("errors.html", code=exc.code, message=message), exc.code


def _answer_refusal(exc):
    answers = _answers_of_this_path()
    if answers is not None:
        return answers[1](exc)
    flash(str(exc), "danger")
    return redirect(request.referrer or url_for("home.index"))
