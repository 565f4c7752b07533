"""Refuse text no user types: NUL characters (PostgreSQL cannot store them, and no form needs them)."""
from flask import abort, request


def contains_nul(value) -> bool:
    """Whether a string, or any string inside lists and dicts (JSON), holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def refuse_nul_characters():
    """Before each request: a NUL in the query string or a posted form is a 400, not a database error."""
    if "\x00" in request.path:
        abort(400)
    for _name, values in request.args.lists():
        if any("\x00" in value for value in values):
            abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.form.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                abort(400)
