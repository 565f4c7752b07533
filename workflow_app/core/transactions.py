"""One write per request, committed once: the routes' way to run an operation."""

from workflow_app.core.errors import DomainError
from workflow_app.extensions import db


def commit_write(write, *args, **kwargs):
    """Run one write and commit it; on a refusal (DomainError) roll back and return it as the second value."""
    try:
        result = write(*args, **kwargs)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return None, exc
    return result, None
