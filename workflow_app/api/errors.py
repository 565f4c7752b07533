"""API errors: always JSON `{error, message, details}` with the status that fits."""

from flask import jsonify
from flask_babel import gettext as _

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "server_error",
}


def _messages():
    return {
        400: _("The request was not understood"),
        401: _("Send a valid API token as 'Authorization: Bearer <token>'"),
        403: _("You may not do this"),
        404: _("There is no such resource, or it is not yours to see"),
        405: _("This resource cannot be used with this method"),
        413: _("The request body is too large"),
        415: _("The body must be JSON (Content-Type: application/json)"),
        500: _("Something went wrong on the server; it has been logged"),
    }


def json_error(status: int, message=None, details=None):
    """A JSON error response."""
    response = jsonify(
        error=ERROR_CODES.get(status, "error"),
        message=str(message or _messages().get(status, "")),
        details=details or [],
    )
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def http_error(exc):
    """A werkzeug HTTPException (404, 405, 413, ...) as a JSON error."""
    response = json_error(exc.code if exc.code in ERROR_CODES else 400)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def domain_error(exc):
    """A DomainError (refusal, conflict, not found, invalid input) as a JSON error with its details."""
    details = [d if isinstance(d, dict) else {"field": None, "message": str(d)} for d in exc.details]
    return json_error(exc.status_code, str(exc), details)
