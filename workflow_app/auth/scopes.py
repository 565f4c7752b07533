"""Which org units a user oversees: their own and every unit below it."""
import sqlalchemy as sa
from flask import g, has_request_context

from workflow_app.auth.models import OrgUnit
from workflow_app.extensions import db


def units_below(unit_id: int) -> set[int]:
    """Return `unit_id` and the ids of all units under it (the tree is small: one query, once per request)."""
    if not has_request_context():
        return _units_below(unit_id)
    known = g.setdefault("units_below", {})
    if unit_id not in known:
        known[unit_id] = _units_below(unit_id)
    return set(known[unit_id])  # a copy: callers may change theirs


def _units_below(unit_id: int) -> set[int]:
    children = {}
    for unit_id_, parent_id in db.session.execute(sa.select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id_)
    found, todo = set(), [unit_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def is_staff(user) -> bool:
    """Bureau and bank staff, as opposed to enterprise users of the portal."""
    return user.is_authenticated and user.enterprise_id is None
