"""Reads of users, roles, org units and enterprises."""

import functools
import math
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.aliased, sa.orm.selectinload)
from flask_babel import gettext as _

from workflow_app.auth.models import (
    ApiToken,
    Enterprise,
    LoginFailure,
    OrgUnit,
    Role,
    User,
    password_matches,
    user_role,
)
from workflow_app.auth.scopes import org_units
from workflow_app.core.pagination import Page, paginate
from workflow_app.core.reference import kept
from workflow_app.core.settings import setting
from workflow_app.core.uscc import division_of, normalise_uscc, outside_division, uscc_problem
from workflow_app.extensions import db


@functools.cache
def _user_with_roles():
    """Built once, on first use (the eager load needs every model mapped): every request reads it."""
    return sa.select(User).options(sa.orm.joinedload(User.roles)).where(User.id == sa.bindparam("user_id"))


def get_user(user_id: int) -> User | None:
    """The user by id, with their roles in the same round trip (every page asks for them)."""
    return db.session.execute(_user_with_roles(), {"user_id": user_id}).unique().scalar_one_or_none()


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


def get_org_unit(unit_id: int) -> OrgUnit | None:
    return db.session.get(OrgUnit, unit_id)


def org_unit_tree() -> list[tuple[OrgUnit, int]]:
    """Return every org unit with its depth, parents before their children, siblings by code."""
    units = db.session.scalars(sa.select(OrgUnit).order_by(OrgUnit.code)).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    tree, seen = [], set()

    def walk(parent_id, depth):
        for unit in children.get(parent_id, []):
            if unit.id not in seen:
                seen.add(unit.id)
                tree.append((unit, depth))
                walk(unit.id, depth + 1)

    walk(None, 0)
    tree.extend((unit, 0) for unit in units if unit.id not in seen)  # units outside the tree (should not exist)
    return tree


def list_units_of_level(level: str) -> list[OrgUnit]:
    return list(db.session.scalars(sa.select(OrgUnit).where(OrgUnit.level == level).order_by(OrgUnit.code)))


def count_org_units() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit))


def get_role(role_id: int) -> Role | None:
    return db.session.get(Role, role_id)


def find_role(name: str) -> Role | None:
    return db.session.scalar(sa.select(Role).where(Role.name == name))


def list_roles() -> list[Role]:
    return list(db.session.scalars(sa.select(Role).order_by(Role.name)))


def roles_with_holder_counts() -> list[tuple[Role, int]]:
    """Return every role with the number of users (active or not) who hold it."""
    rows = db.session.execute(
        sa.select(Role, sa.func.count(user_role.c.user_id))
        .outerjoin(user_role, user_role.c.role_id == Role.id)
        .group_by(Role.id)
        .order_by(Role.name)
    )
    return [(role, count) for role, count in rows]


def count_role_holders(role_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(user_role).where(user_role.c.role_id == role_id))


def search_users(
    org_code: str | None = None,
    role_name: str | None = None,
    text: str | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Return one page of users matching the filters, by user name."""
    query = sa.select(User)
    if org_code:
        query = query.join(OrgUnit, OrgUnit.id == User.org_unit_id).where(OrgUnit.code == org_code)
    if role_name:
        query = query.where(User.roles.any(Role.name == role_name))
    if text:
        query = query.where(
            sa.or_(User.username.icontains(text, autoescape=True), User.display_name.icontains(text, autoescape=True))
        )
    if active is not None:
        query = query.where(User.active.is_(active))
    query = query.options(sa.orm.selectinload(User.org_unit), sa.orm.selectinload(User.enterprise))
    return paginate(query.order_by(User.username), page, per_page, scalars=True)


def count_users(active: bool | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(User)
    if active is not None:
        query = query.where(User.active.is_(active))
    return db.session.scalar(query)


def list_specialists() -> list[User]:
    """Return the active users with the role `specialist`, by org unit and name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.active.is_(True), User.roles.any(Role.name == "specialist"))
            .order_by(OrgUnit.code, User.username)
        )
    )


def get_enterprise(enterprise_id: int) -> Enterprise | None:
    return db.session.get(Enterprise, enterprise_id)


def find_enterprise(uscc: str) -> Enterprise | None:
    """The registered enterprise of a unified social credit code as typed (full-width, spaces, lower case)."""
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == normalise_uscc(uscc)))


def search_enterprises(
    text: str | None = None, county_code: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """Return one page of (enterprise, its specialist or None) by name or USCC."""
    specialist = sa.orm.aliased(User)
    query = sa.select(Enterprise, specialist).outerjoin(specialist, specialist.id == Enterprise.specialist_id)
    if text:
        query = query.where(
            sa.or_(
                Enterprise.name.icontains(text, autoescape=True),
                Enterprise.uscc.icontains(text.strip(), autoescape=True),
            )
        )
    if county_code:
        query = query.join(OrgUnit, OrgUnit.id == Enterprise.county_id).where(OrgUnit.code == county_code)
    return paginate(query.order_by(Enterprise.name, Enterprise.id), page, per_page)


def enterprises_awaiting_confirmation(page: int = 1, per_page: int = 50) -> Page:
    """One page of the entries a dispatcher registered that wait for an administrator's confirmation, oldest first."""
    return paginate(
        sa.select(Enterprise)
        .where(Enterprise.awaiting_confirmation.is_(True))
        .order_by(Enterprise.created_at, Enterprise.id),
        page,
        per_page,
        scalars=True,
    )


def count_awaiting_confirmation() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Enterprise).where(Enterprise.awaiting_confirmation.is_(True))
    )


def division_warning(uscc: str, county: OrgUnit | None) -> str | None:
    """Why an enterprise of one of the city's counties looks misregistered: its code was issued outside the city's
    divisions (setting CITY_DIVISION_PREFIX, 3707: 潍坊市), in the user's language; None when it was not (or the
    code is no valid one: that is refused elsewhere). A warning, not a refusal: enterprises move."""
    prefix = setting("CITY_DIVISION_PREFIX")
    in_city = county is not None and county.parent is not None and county.parent.level == "city"
    if not in_city or uscc_problem(uscc) or not outside_division(uscc, prefix):
        return None
    return _(
        "The code was issued in division %(division)s, outside the city's (%(prefix)sxx), though the enterprise "
        "is in %(county)s: check it against the business licence",
        division=division_of(uscc),
        prefix=prefix,
        county=county.name,
    )


def count_enterprises() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise))


ROLE_LABELS_KEPT = "role_labels"  # its name in core.reference


def role_label(name: str | None) -> str:
    """Return the display label of a role, or its name when it has none."""
    if not name:
        return ""
    labels = kept(ROLE_LABELS_KEPT, lambda: dict(db.session.execute(sa.select(Role.name, Role.label)).all()))
    return labels.get(name) or name


def county_choices() -> list[tuple[str, str]]:
    """(code, name) of the city and its counties/zones, in tree order: the choices of the county filters."""
    return [(unit.code, unit.name) for unit in org_units() if unit.level in ("city", "county")]


def role_holder_ids(role_name: str, unit_id: int) -> list[int]:
    """The active users of one unit that hold a role, by id."""
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(user_role, user_role.c.user_id == User.id)
            .join(Role, Role.id == user_role.c.role_id)
            .where(Role.name == role_name, User.org_unit_id == unit_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def nearest_role_holders(role_name: str, unit_id: int) -> tuple[int, list[int]]:
    """Walk up the tree from a unit to the first unit where someone holds the role: (that unit, its holders).

    Without any holder up to the top, returns the starting unit and no one.
    """
    current = unit_id
    while current is not None:
        holders = role_holder_ids(role_name, current)
        if holders:
            return current, holders
        current = db.session.scalar(sa.select(OrgUnit.parent_id).where(OrgUnit.id == current))
    return unit_id, []


@functools.cache
def _live_token_query():
    """Built once, on first use (the loader options need every mapper configured): every API request runs it,
    and building and keying it cost more than running it. One round trip, the user's roles with it; of the
    token only what note_token_use needs (as an object, with the user's unit, it cost ~0.6 ms more to load)."""
    return (
        sa.select(ApiToken.id, ApiToken.last_used_at, User)
        .join(User, User.id == ApiToken.user_id)
        .options(sa.orm.joinedload(User.roles))
        .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active.is_(True))
    )


def user_for_token(token_hash: str):
    """Return (the token's id and last use, User) of a live token of an active user, or None."""
    found = db.session.execute(_live_token_query(), {"token_hash": token_hash}).unique().first()
    return (found[:2], found[2]) if found else None


def user_tokens(user_id: int) -> list:
    """A user's tokens, newest first (revoked ones too)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())))


def get_user_token(user_id: int, token_id: int):
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))


def session_user(session_id: str, now, longest) -> User | None:
    """The active user a session id (User.get_id) names, if it is of the current session version and not too old."""
    try:
        user_id, version, signed_in_at = (int(part) for part in session_id.split(":"))
    except ValueError:  # a session or cookie of another form (from before session versions): signed out
        return None
    if now.timestamp() - signed_in_at > longest.total_seconds():
        return None
    user = get_user(user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    user.signed_in_at = signed_in_at
    return user


def signed_in_user(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; an unknown name runs the same password check."""
    user = find_user(username)
    matches = password_matches(user, password)
    return user if matches and user.active else None


def _failure_times(condition, since, limit: int) -> list:
    return db.session.scalars(
        sa.select(LoginFailure.at)
        .where(condition, LoginFailure.at > since)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    ).all()


def sign_in_refused_until(
    username: str, ip: str, now, window, max_per_name: int, max_per_ip: int, longest_wait_seconds: float
):
    """When `username` may try to sign in from `ip` again (None: now), from the failures within `window`.

    Failures from one address (someone trying many names), or for one name from one address (someone guessing
    its password), refuse it until the oldest counted failure leaves the window. Failures of a name from anywhere
    only make each address that failed for it wait, after its last failure, 2 seconds for the name's second
    failure, 4 for its third and so on, up to `longest_wait_seconds`: whoever attacks a name from elsewhere
    never stops its right password from an address that has not failed for it, and the wait cannot be lengthened.
    """
    until = None
    since = now - window
    from_ip = _failure_times(LoginFailure.ip == ip, since, max_per_ip)
    if len(from_ip) >= max_per_ip:
        until = from_ip[-1] + window
    for_name_from_ip = _failure_times(
        sa.and_(LoginFailure.username == username, LoginFailure.ip == ip), since, max_per_name
    )
    if len(for_name_from_ip) >= max_per_name:
        until = max(until or now, for_name_from_ip[-1] + window)
    elif for_name_from_ip:
        doublings = math.ceil(math.log2(max(longest_wait_seconds, 1)))  # failures beyond these wait the longest
        for_name = len(_failure_times(LoginFailure.username == username, since, doublings + 1))
        if for_name >= 2:
            wait = timedelta(seconds=min(longest_wait_seconds, 2 ** (for_name - 1)))
            if for_name_from_ip[0] + wait > now:
                until = max(until or now, for_name_from_ip[0] + wait)
    return until
