"""Errors that carry a message meant for the user (translatable, one line)."""


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
