"""What every `flask --app wsgi ...` command shares: one transaction, and a failure said in one clear line."""

import functools

import click
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, ProgrammingError

from workflow_app.core.errors import DomainError
from workflow_app.extensions import db


def fail(message: str):
    """Stop the command with this message and a non-zero exit."""
    raise click.ClickException(message)


def command_errors(function):
    """Turn domain and database errors into one-line messages and a non-zero exit."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            lines = [str(exc)] + [str(d) for d in exc.details]
            fail("\n".join([lines[0]] + [f"  {line}" for line in lines[1:]]))
        except (OperationalError, ProgrammingError) as exc:
            db.session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
            fail(
                _(
                    "database error: %(reason)s (is the database reachable and migrated? run `flask --app wsgi db upgrade`)",
                    reason=reason,
                )
            )

    return wrapper
