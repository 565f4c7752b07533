"""Writes: roles, users, org units, enterprises."""
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.auth.models import ORG_LEVELS, Enterprise, OrgUnit, Role, User
from workflow_app.auth.queries import find_org_unit, find_user
from workflow_app.core.errors import InvalidInput
from workflow_app.core.uscc import uscc_problem
from workflow_app.extensions import db

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,59}$")
MIN_PASSWORD_LENGTH = 8


def ensure_role(name: str, label: str | None = None) -> Role:
    """Return the role called `name`, creating it if it is new."""
    if not _NAME.match(name or ""):
        raise InvalidInput(_l("Role name '%(name)s' must start with a letter and use only letters, digits, _ . -", name=name))
    role = db.session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name, label=label)
        db.session.add(role)
        db.session.flush()
    elif label and not role.label:
        role.label = label
    return role


def create_org_unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    if level not in ORG_LEVELS:
        raise InvalidInput(_l("Unknown org level '%(level)s'", level=level))
    unit = OrgUnit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_user(username: str, role_names: list[str], org_code: str, password: str,
                display_name: str | None = None, enterprise: Enterprise | None = None) -> User:
    """Create a user in an org unit with roles (new roles are created)."""
    if not _NAME.match(username or ""):
        raise InvalidInput(_l("User name '%(name)s' must start with a letter and use only letters, digits, _ . -", name=username))
    if find_user(username) is not None:
        raise InvalidInput(_l("User '%(name)s' already exists", name=username))
    unit = find_org_unit(org_code)
    if unit is None:
        raise InvalidInput(_l("Unknown org unit code '%(code)s'", code=org_code))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_l("The password must have at least %(n)d characters", n=MIN_PASSWORD_LENGTH))
    if not role_names:
        raise InvalidInput(_l("Give the user at least one role"))
    user = User(username=username, display_name=display_name or username, org_unit=unit, enterprise=enterprise)
    user.set_password(password)
    user.roles = [ensure_role(name) for name in dict.fromkeys(role_names)]
    db.session.add(user)
    db.session.flush()
    return user


def create_enterprise(uscc: str, name: str, county_code: str) -> Enterprise:
    """Register an enterprise after checking its unified social credit code."""
    uscc = (uscc or "").strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise InvalidInput(_l("'%(code)s' is not a valid unified social credit code (18 characters with a correct check character)", code=uscc))
    county = find_org_unit(county_code)
    if county is None or county.level != "county":
        raise InvalidInput(_l("Unknown county code '%(code)s'", code=county_code))
    enterprise = Enterprise(uscc=uscc, name=name, county=county)
    db.session.add(enterprise)
    db.session.flush()
    return enterprise
