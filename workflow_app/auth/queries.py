"""Reads of users, roles, org units and enterprises."""
import sqlalchemy as sa

from workflow_app.auth.models import OrgUnit, Role, User, user_role
from workflow_app.extensions import db


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def find_org_unit(code: str) -> OrgUnit | None:
    return db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == code))


def find_city_unit() -> OrgUnit | None:
    """Return the top of the org tree (the city bureau)."""
    return db.session.scalar(sa.select(OrgUnit).where(OrgUnit.level == "city", OrgUnit.parent_id.is_(None)))


def roles_without_users(names: set[str]) -> set[str]:
    """Return those of `names` that no active user holds."""
    held = db.session.scalars(
        sa.select(Role.name)
        .join(user_role, user_role.c.role_id == Role.id)
        .join(User, User.id == user_role.c.user_id)
        .where(Role.name.in_(names), User.active.is_(True))
        .distinct()
    ).all()
    return set(names) - set(held)
