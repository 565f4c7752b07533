"""Which org units a user oversees: their own and every unit below it."""
import sqlalchemy as sa
from flask import g, has_request_context

from workflow_app.auth.models import OrgUnit
from workflow_app.core.reference import kept
from workflow_app.extensions import db


_ALL_UNITS = sa.select(OrgUnit)  # built once: most requests read it
ORG_TREE_KEPT = "org_tree"  # names in core.reference
UNIT_NAMES_KEPT = "org_unit_names"


def org_units() -> list:
    """Every org unit (the table is small: read once per request, then kept).

    The request keeps the rows in its session, so task.org_unit and the like read no more.
    """
    if not has_request_context():
        return list(db.session.scalars(_ALL_UNITS))
    if "org_units" not in g:
        g.org_units = list(db.session.scalars(_ALL_UNITS))
    return g.org_units


def org_tree() -> dict:
    """Each unit's children's ids, by parent id (kept between requests)."""
    return kept(ORG_TREE_KEPT, lambda: _tree(db.session.execute(sa.select(OrgUnit.id, OrgUnit.parent_id))))


def _unit_names() -> tuple[dict, dict]:
    """Every org unit's name by id and by code (kept between requests with the tree)."""
    def read():
        rows = db.session.execute(sa.select(OrgUnit.id, OrgUnit.code, OrgUnit.name)).all()
        return {row.id: row.name for row in rows}, {row.code: row.name for row in rows}
    return kept(UNIT_NAMES_KEPT, read)


def unit_name(unit_id: int | None) -> str:
    """The name of an org unit: pages name units without loading them."""
    return _unit_names()[0].get(unit_id, "") if unit_id is not None else ""


def unit_name_of_code(code: str | None) -> str | None:
    """The name of the org unit with this code; None for an unknown code."""
    return _unit_names()[1].get(code)


def units_below(unit_id: int) -> set[int]:
    """Return `unit_id` and the ids of all units under it."""
    if not has_request_context():
        return _units_below(org_tree(), unit_id)
    if "units_below" not in g:
        g.units_below = {}
    known = g.units_below
    if unit_id not in known:
        known[unit_id] = _units_below(org_tree(), unit_id)
    return set(known[unit_id])  # a copy: callers may change theirs


def _tree(units) -> dict:
    """Each unit's children's ids, by parent id."""
    children = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    return children


def _units_below(children: dict, unit_id: int) -> set[int]:
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
