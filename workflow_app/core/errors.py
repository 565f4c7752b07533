"""Errors that carry a message meant for the user (translatable, one line)."""

from werkzeug.exceptions import BadRequest as HttpBadRequest


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
