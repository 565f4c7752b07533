"""Which org units a user oversees: their own and every unit below it."""

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import g, has_request_context

from workflow_app.auth.models import OrgUnit
from workflow_app.core.reference import kept
from workflow_app.extensions import db

ORG_UNITS_KEPT = "org_units"  # its name in core.reference


class UnitRow(NamedTuple):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class OrgUnits:
    """Every org unit as plain rows (in id order) and the lookups pages make of them."""

    rows: list[UnitRow]
    children: dict  # each unit's children's ids, by parent id
    name_by_id: dict
    name_by_code: dict
    id_by_code: dict
    code_by_id: dict


def _read_org_units() -> OrgUnits:
    rows = [
        UnitRow(*row)
        for row in db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.parent_id).order_by(OrgUnit.id)
        )
    ]
    return OrgUnits(
        rows,
        _tree(rows),
        {row.id: row.name for row in rows},
        {row.code: row.name for row in rows},
        {row.code: row.id for row in rows},
        {row.id: row.code for row in rows},
    )


def _org_units() -> OrgUnits:
    return kept(ORG_UNITS_KEPT, _read_org_units)


def org_units() -> list[UnitRow]:
    """Every org unit, in id order (the table is small; kept between requests)."""
    return _org_units().rows


def unit_name(unit_id: int | None) -> str:
    """The name of an org unit: pages name units without loading them."""
    return _org_units().name_by_id.get(unit_id, "") if unit_id is not None else ""


def unit_name_of_code(code: str | None) -> str | None:
    """The name of the org unit with this code; None for an unknown code."""
    return _org_units().name_by_code.get(code)


def unit_code(unit_id: int | None) -> str | None:
    """The code of an org unit (the API names units by code), without loading it."""
    return _org_units().code_by_id.get(unit_id) if unit_id is not None else None


def unit_id_of_code(code: str) -> int | None:
    """The id of the org unit with this code; None for an unknown code."""
    return _org_units().id_by_code.get(code)


def oversees_every_unit(unit_id: int) -> bool:
    """Whether the unit is the top of the org tree, its only root: every unit, now or later, is below it."""
    return _org_units().children.get(None, []) == [unit_id]


def units_below(unit_id: int) -> set[int]:
    """Return `unit_id` and the ids of all units under it."""
    if not has_request_context():
        return _units_below(_org_units().children, unit_id)
    if "units_below" not in g:
        g.units_below = {}
    known = g.units_below
    if unit_id not in known:
        known[unit_id] = _units_below(_org_units().children, unit_id)
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
