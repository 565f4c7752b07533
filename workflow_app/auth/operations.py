"""Writes: roles, users, org units, enterprises."""

import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.auth.models import (
    API_TOKEN_KINDS,
    ORG_LEVELS,
    ApiToken,
    Enterprise,
    LoginFailure,
    OrgUnit,
    Role,
    User,
)
from workflow_app.auth.passwords import password_problem
from workflow_app.auth.queries import (
    ROLE_LABELS_KEPT,
    count_role_holders,
    find_enterprise,
    find_org_unit,
    find_role,
    find_user,
)
from workflow_app.auth.scopes import ORG_UNITS_KEPT
from workflow_app.core.errors import ConflictError, InvalidInput
from workflow_app.core.phone import normalise_phone, phone_problem
from workflow_app.core.reference import forget_on_commit
from workflow_app.core.time import utcnow
from workflow_app.core.uscc import normalise_uscc, uscc_problem
from workflow_app.extensions import db

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,59}$")
MIN_PASSWORD_LENGTH = 8  # of any account, seeded ones included; people choose theirs by auth.passwords
ENTERPRISE_ROLE = "enterprise"  # the role of an enterprise's own users (the portal's side)


def ensure_role(name: str, label: str | None = None) -> Role:
    """Return the role called `name`, creating it if it is new."""
    if not _NAME.match(name or ""):
        raise InvalidInput(
            _l("Role name '%(name)s' must start with a letter and use only letters, digits, _ . -", name=name)
        )
    role = db.session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        forget_on_commit(db.session, ROLE_LABELS_KEPT)
        role = Role(name=name, label=label)
        db.session.add(role)
        db.session.flush()
    elif label and not role.label:
        forget_on_commit(db.session, ROLE_LABELS_KEPT)
        role.label = label
    return role


def create_org_unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    if level not in ORG_LEVELS:
        raise InvalidInput(_l("Unknown org level '%(level)s'", level=level))
    forget_on_commit(db.session, ORG_UNITS_KEPT)
    unit = OrgUnit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_user(
    username: str,
    role_names: list[str],
    org_code: str,
    password: str,
    display_name: str | None = None,
    enterprise: Enterprise | None = None,
) -> User:
    """Create a user in an org unit with roles (new roles are created)."""
    if not _NAME.match(username or ""):
        raise InvalidInput(
            _l("User name '%(name)s' must start with a letter and use only letters, digits, _ . -", name=username)
        )
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


def account_kind_problem(role_names, enterprise: Enterprise | None) -> tuple[str, str] | None:
    """Why these roles and enterprise make a broken account, as (the field to blame, the message), or None.

    An enterprise's user acts for one registered enterprise and holds no staff role (the portal is their side);
    a staff user acts for no enterprise (an enterprise would send them to the portal and lock them out of the
    inbox).
    """
    roles = set(role_names or ())
    if ENTERPRISE_ROLE in roles:
        if roles - {ENTERPRISE_ROLE}:
            return "roles", _l(
                "An enterprise user cannot also hold staff roles: give them the role enterprise "
                "only, and give the staff roles to a separate staff account"
            )
        if enterprise is None:
            return "enterprise_uscc", _l(
                "An enterprise user needs the unified social credit code of the registered enterprise they act for"
            )
    elif enterprise is not None:
        return "enterprise_uscc", _l(
            "Only enterprise users act for an enterprise: leave the code empty for a staff "
            "user, or give the role enterprise only"
        )
    return None


def _check_account_kind(role_names, enterprise: Enterprise | None) -> None:
    problem = account_kind_problem(role_names, enterprise)
    if problem:
        raise InvalidInput(problem[1])


def register_user(
    username: str,
    role_names: list[str],
    org_code: str,
    password: str,
    display_name: str,
    enterprise: Enterprise | None = None,
) -> User:
    """Create an account as an administrator does: existing roles only, a password hard to guess, and either an
    enterprise's user acting for a registered enterprise or a staff user acting for none."""
    roles = _existing_roles(role_names)
    _check_account_kind([role.name for role in roles], enterprise)
    problem = password_problem(password, username)
    if problem:
        raise InvalidInput(problem)
    return create_user(username, [role.name for role in roles], org_code, password, display_name, enterprise)


def create_enterprise(uscc: str, name: str, county_code: str) -> Enterprise:
    """Register an enterprise after checking its unified social credit code (as typed: it is normalised)."""
    uscc = normalise_uscc(uscc)
    problem = uscc_problem(uscc)
    if problem:
        raise InvalidInput(problem)
    county = find_org_unit(county_code)
    if county is None or county.level != "county":
        raise InvalidInput(_l("Unknown county code '%(code)s'", code=county_code))
    enterprise = Enterprise(uscc=uscc, name=name, county=county)
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


_ORG_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _existing_roles(role_names) -> list[Role]:
    roles = []
    for name in dict.fromkeys(role_names or []):
        role = find_role(name)
        if role is None:
            raise InvalidInput(_l("Unknown role '%(name)s'", name=name))
        roles.append(role)
    if not roles:
        raise InvalidInput(_l("Give the user at least one role"))
    return roles


def update_user(
    user: User,
    display_name: str,
    org_code: str,
    role_names: list[str],
    enterprise: Enterprise | None,
    actor_id: int | None = None,
) -> User:
    """Change a user's display name, org unit, roles (existing ones) and enterprise."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise InvalidInput(_l("Give a display name"))
    unit = find_org_unit(org_code)
    if unit is None:
        raise InvalidInput(_l("Unknown org unit code '%(code)s'", code=org_code))
    roles = _existing_roles(role_names)
    if user.id == actor_id and "admin" in user.role_names and "admin" not in {r.name for r in roles}:
        raise InvalidInput(_l("You cannot take the admin role away from yourself"))
    _check_account_kind([role.name for role in roles], enterprise)
    user.display_name = display_name[:100]
    user.org_unit = unit
    user.roles = roles
    user.enterprise = enterprise
    db.session.flush()
    return user


def set_user_active(user: User, active: bool, actor_id: int | None = None) -> User:
    """Enable or disable a user's login; nobody can disable their own account."""
    if not active and user.id == actor_id:
        raise InvalidInput(_l("You cannot disable your own account"))
    user.active = bool(active)
    db.session.flush()
    return user


def end_sessions(user: User) -> User:
    """Sign a user out everywhere: every session and "keep me signed in" cookie issued so far stops working."""
    user.session_version = user.session_version + 1
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> User:
    """Give a user a new password (one hard to guess), end their sessions and lift the refusals of their sign-in
    after failures."""
    problem = password_problem(password, user.username)
    if problem:
        raise InvalidInput(problem)
    user.set_password(password)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.username == user.username))
    return end_sessions(user)


def change_password(user: User, current: str, new: str) -> User:
    """Let a user replace their own password, proving the current one first."""
    if not user.check_password(current or ""):
        raise InvalidInput(_l("The current password is wrong"))
    if new == current:
        raise InvalidInput(_l("The new password must differ from the current one"))
    return reset_password(user, new)


def _checked_org_unit_fields(
    unit: OrgUnit | None, code: str, name: str, level: str, parent_code: str | None
) -> tuple[str, str, OrgUnit | None]:
    """Return the stripped code and name and the parent, refusing bad codes, duplicates and cycles."""
    code, name = (code or "").strip(), (name or "").strip()
    if not _ORG_CODE.match(code):
        raise InvalidInput(_l("Org unit code '%(code)s' must use only letters, digits, _ . - (at most 40)", code=code))
    if not name:
        raise InvalidInput(_l("Give the org unit a name"))
    if level not in ORG_LEVELS:
        raise InvalidInput(_l("Unknown org level '%(level)s'", level=level))
    same_code = find_org_unit(code)
    if same_code is not None and same_code is not unit:
        raise InvalidInput(
            _l("The org unit code '%(code)s' is already used by %(name)s", code=code, name=same_code.name)
        )
    parent = None
    if parent_code:
        parent = find_org_unit(parent_code)
        if parent is None:
            raise InvalidInput(_l("Unknown org unit code '%(code)s'", code=parent_code))
        ancestor, seen = parent, set()
        while ancestor is not None and ancestor.id not in seen:
            if unit is not None and ancestor.id == unit.id:
                raise InvalidInput(
                    _l(
                        "%(parent)s is %(name)s itself or one of its sub-units, so it cannot be its parent",
                        parent=parent.name,
                        name=unit.name,
                    )
                )
            seen.add(ancestor.id)
            ancestor = ancestor.parent
    return code, name, parent


def add_org_unit(code: str, name: str, level: str, parent_code: str | None) -> OrgUnit:
    """Create an org unit after checking that its code is new and its parent exists."""
    code, name, parent = _checked_org_unit_fields(None, code, name, level, parent_code)
    return create_org_unit(code, name[:100], level, parent)


def update_org_unit(unit: OrgUnit, code: str, name: str, level: str, parent_code: str | None) -> OrgUnit:
    """Change an org unit's code, name, level and parent; refuse duplicate codes and parent cycles."""
    unit.code, name, unit.parent = _checked_org_unit_fields(unit, code, name, level, parent_code)
    unit.name, unit.level = name[:100], level
    forget_on_commit(db.session, ORG_UNITS_KEPT)
    db.session.flush()
    return unit


def add_role(name: str, label: str | None) -> Role:
    """Create a new role; refuse a name that is taken."""
    name = (name or "").strip()
    if find_role(name) is not None:
        raise InvalidInput(_l("The role '%(name)s' already exists", name=name))
    return ensure_role(name, (label or "").strip()[:100] or None)


def update_role(role: Role, label: str | None) -> Role:
    """Change the label users see for a role (its name stays: BPMN lanes use it)."""
    role.label = (label or "").strip()[:100] or None
    forget_on_commit(db.session, ROLE_LABELS_KEPT)
    db.session.flush()
    return role


def delete_role(role: Role) -> None:
    """Delete a role that no user holds."""
    holders = count_role_holders(role.id)
    if holders:
        raise InvalidInput(
            _l("The role '%(name)s' is held by %(n)d user(s); take it away from them first", name=role.name, n=holders)
        )
    db.session.delete(role)
    forget_on_commit(db.session, ROLE_LABELS_KEPT)
    db.session.flush()


@dataclass(frozen=True)
class EnterpriseDetails:
    """What the register keeps of an enterprise beside its code, name, county and specialist."""

    legal_representative: str = ""  # 法定代表人: who signs for it (an agreement's signature is checked against it)
    contact_person: str = ""
    contact_phone: str = ""  # a mobile, a landline with its area code or a 400/800 number (core.phone)
    street: str = ""  # 街道/镇
    key_enterprise: bool = False  # 重点企业


def _one_line(text, limit: int) -> str:
    return " ".join(str(text or "").split())[:limit]


def _checked_details(details: EnterpriseDetails) -> dict:
    """The register's columns of `details`, trimmed, the phone as the register writes it; refused when the phone is
    none or a text is too long."""
    values = {
        "legal_representative": _one_line(details.legal_representative, 51),
        "contact_person": _one_line(details.contact_person, 51),
        "street": _one_line(details.street, 101),
    }
    labels = {
        "legal_representative": _l("The legal representative's name"),
        "contact_person": _l("The contact person's name"),
        "street": _l("The street or town"),
    }
    for name, limit in (("legal_representative", 50), ("contact_person", 50), ("street", 100)):
        if len(values[name]) > limit:
            raise InvalidInput(_l("%(what)s can have at most %(n)d characters", what=labels[name], n=limit))
    phone = _one_line(details.contact_phone, 40)
    if phone:
        problem = phone_problem(phone)
        if problem:
            raise InvalidInput(problem)
        phone = normalise_phone(phone)
    return {
        **{name: value or None for name, value in values.items()},
        "contact_phone": phone or None,
        "key_enterprise": bool(details.key_enterprise),
    }


def _checked_enterprise_fields(
    enterprise: Enterprise | None, uscc: str, name: str, county_code: str, specialist_username: str | None
) -> tuple[str, str, OrgUnit, User | None]:
    """Return the normalised USCC and name, the county and the specialist, refusing what does not fit."""
    uscc, name = normalise_uscc(uscc), (name or "").strip()
    problem = uscc_problem(uscc)
    if problem:
        raise InvalidInput(problem)
    same = find_enterprise(uscc)
    if same is not None and same is not enterprise:
        raise InvalidInput(
            _l("The unified social credit code %(code)s is already registered for %(name)s", code=uscc, name=same.name)
        )
    if not name:
        raise InvalidInput(_l("Give the enterprise's name"))
    county = find_org_unit(county_code)
    if county is None or county.level != "county":
        raise InvalidInput(_l("Unknown county code '%(code)s'", code=county_code))
    specialist = None
    if specialist_username:
        specialist = find_user(specialist_username)
        if specialist is None or not specialist.active or "specialist" not in specialist.role_names:
            raise InvalidInput(
                _l("'%(name)s' is not an active user with the role specialist", name=specialist_username)
            )
        if specialist.org_unit_id != county.id:
            raise InvalidInput(
                _l(
                    "The specialist %(name)s works in %(unit)s, not in %(county)s",
                    name=specialist.display_name,
                    unit=specialist.org_unit.name,
                    county=county.name,
                )
            )
    return uscc, name[:200], county, specialist


def register_enterprise(
    uscc: str,
    name: str,
    county_code: str,
    specialist_username: str | None = None,
    details: EnterpriseDetails | None = None,
    awaiting_confirmation: bool = False,
) -> Enterprise:
    """Register an enterprise with its county, optional one-to-one specialist and details; refuse a known USCC.

    `awaiting_confirmation`: an entry made outside the administration (a dispatcher registers a company the command
    centre calls about from a referral), which an administrator checks against the official register and confirms.
    """
    uscc, name, county, specialist = _checked_enterprise_fields(None, uscc, name, county_code, specialist_username)
    values = _checked_details(details or EnterpriseDetails())
    enterprise = create_enterprise(uscc, name, county.code)
    enterprise.specialist_id = specialist.id if specialist else None
    for column, value in values.items():
        setattr(enterprise, column, value)
    enterprise.awaiting_confirmation = bool(awaiting_confirmation)
    db.session.flush()
    return enterprise


def update_enterprise(
    enterprise: Enterprise,
    uscc: str,
    name: str,
    county_code: str,
    specialist_username: str | None = None,
    details: EnterpriseDetails | None = None,
    confirm: bool = False,
) -> Enterprise:
    """Change an enterprise's USCC, name, county, specialist and details (None: they stay); `confirm` also confirms
    an entry awaiting an administrator's confirmation."""
    uscc, name, county, specialist = _checked_enterprise_fields(
        enterprise, uscc, name, county_code, specialist_username
    )
    values = _checked_details(details) if details is not None else {}
    enterprise.uscc, enterprise.name, enterprise.county = uscc, name, county
    enterprise.specialist_id = specialist.id if specialist else None
    for column, value in values.items():
        setattr(enterprise, column, value)
    if confirm:
        enterprise.awaiting_confirmation = False
    db.session.flush()
    return enterprise


def confirm_enterprise(enterprise: Enterprise) -> Enterprise:
    """Confirm an entry a dispatcher registered: an administrator has checked it against the official register."""
    if not enterprise.awaiting_confirmation:
        raise ConflictError(_l("%(name)s is not awaiting confirmation", name=enterprise.name))
    problem = uscc_problem(enterprise.uscc)
    if problem:  # an entry from before the structure was checked: correct its code on its page first
        raise InvalidInput(problem)
    enterprise.awaiting_confirmation = False
    db.session.flush()
    return enterprise


TOKEN_PREFIX = "wf_"


def hash_token(token: str) -> str:
    """Return the stored form of a token (tokens are long and random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    user: User, name: str, kind: str = "personal", created_by: User | None = None
) -> tuple[ApiToken, str]:
    """Make a bearer token for `user`; return the row and the token itself (shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Give the token a name (what it is for)"))
    if len(name) > 100:
        raise InvalidInput(_l("A token name can have at most %(n)d characters", n=100))
    if kind not in API_TOKEN_KINDS:
        raise InvalidInput(_l("Unknown token kind '%(kind)s'", kind=kind))
    if not user.active:
        raise InvalidInput(_l("User '%(name)s' is disabled", name=user.username))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        kind=kind,
        token_hash=hash_token(token),
        prefix=token[:10],
        created_by_id=(created_by or user).id,
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def revoke_api_token(token: ApiToken) -> ApiToken:
    """Stop a token from working (kept, so that its use stays explained)."""
    if token.revoked_at is not None:
        raise ConflictError(_l("This token is already revoked"))
    token.revoked_at = utcnow()
    db.session.flush()
    return token


def note_token_use(token, now, every_seconds: int = 300) -> None:
    """Record when a token (its id and last use) was last used, at most every few minutes (not a write per request)."""
    token_id, last_used_at = token
    if last_used_at is None or (now - last_used_at).total_seconds() >= every_seconds:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def record_login_failure(username: str, ip: str, now) -> None:
    """Remember a failed sign-in (the throttle counts them)."""
    db.session.add(LoginFailure(username=(username or "")[:80], ip=(ip or "?")[:45], at=now))
    db.session.flush()


def clear_login_failures(username: str, ip: str, before) -> None:
    """Forget a user name's failures from the address it signed in from, and everyone's too old to count.

    Those from other addresses stay: signing in from one place must not give whoever fails elsewhere new tries.
    """
    db.session.execute(
        sa.delete(LoginFailure).where(
            sa.or_(sa.and_(LoginFailure.username == username, LoginFailure.ip == ip), LoginFailure.at < before)
        )
    )
