"""Who works in the system and where: org units, roles, users, enterprises."""

import functools
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import relationship
from werkzeug.security import check_password_hash, generate_password_hash

from workflow_app.core.models import CreatedAtMixin, UTCDateTime, trigram_index
from workflow_app.extensions import db

# banks lend under the bureau's loan programmes: their officers work the bank's steps in their bank's unit
ORG_LEVELS = ("city", "county", "street", "community", "bank")

user_role = sa.Table(
    "user_role",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class OrgUnit(db.Model):
    """A unit of the bureau's tree: city → county/zone → street/town → community."""

    __tablename__ = "org_unit"
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    name = sa.Column(sa.String(100), nullable=False)
    level = sa.Column(sa.String(20), nullable=False)
    parent_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=True, index=True)
    parent = relationship("OrgUnit", remote_side=[id])

    def __repr__(self):
        return f"<OrgUnit {self.code}>"


class Role(db.Model):
    """A role; BPMN lanes are named after roles, so roles are data, not code."""

    __tablename__ = "role"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(60), nullable=False, unique=True)
    label = sa.Column(sa.String(100), nullable=True)

    @property
    def title(self) -> str:
        """What the pages call the role: its label, or its name when it has none."""
        return self.label or self.name


class Enterprise(db.Model, CreatedAtMixin):
    """An employer, identified by its unified social credit code, located in one county."""

    __tablename__ = "enterprise"
    __table_args__ = (trigram_index("ix_enterprise_name_trgm", "name"),)  # the case search by enterprise name
    id = sa.Column(sa.Integer, primary_key=True)
    uscc = sa.Column(sa.String(18), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False)
    county_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False, index=True)
    specialist_id = sa.Column(sa.ForeignKey("user_account.id", use_alter=True), nullable=True)
    legal_representative = sa.Column(sa.String(50), nullable=True)  # 法定代表人: who may sign for it
    contact_person = sa.Column(sa.String(50), nullable=True)
    contact_phone = sa.Column(sa.String(20), nullable=True)
    street = sa.Column(sa.String(100), nullable=True)  # 街道/镇
    key_enterprise = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())  # 重点企业
    # registered by a dispatcher from a referral (not yet on the register): an admin confirms it
    awaiting_confirmation = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    county = relationship("OrgUnit")


class User(db.Model, UserMixin, CreatedAtMixin):
    """A person who logs in: bureau staff, bank officers and enterprise users."""

    __tablename__ = "user_account"
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(80), nullable=False, unique=True)
    display_name = sa.Column(sa.String(100), nullable=False)
    password_hash = sa.Column(sa.String(255), nullable=False)
    org_unit_id = sa.Column(sa.ForeignKey("org_unit.id"), nullable=False, index=True)
    enterprise_id = sa.Column(sa.ForeignKey("enterprise.id"), nullable=True, index=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    # Every session and "keep me signed in" cookie carries it; raising it ends those issued before
    session_version = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")

    org_unit = relationship("OrgUnit")
    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])
    roles = relationship("Role", secondary=user_role, lazy="selectin")

    signed_in_at = None  # not stored: when the sign-in of the session that loaded it began (Unix time)

    @property
    def is_active(self):
        return self.active

    def get_id(self) -> str:
        """Return what Flask-Login keeps in the session and the cookie: the id, session version and sign-in time."""
        return f"{self.id}:{self.session_version}:{self.signed_in_at}"

    # One user, one row: Flask-Login's equality compares get_id(), which now differs between sign-ins
    def __eq__(self, other):
        return isinstance(other, User) and other.id == self.id

    def __ne__(self, other):
        return not self == other

    __hash__ = object.__hash__

    @property
    def role_names(self) -> set[str]:
        return {r.name for r in self.roles}

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return password_matches(self, password)


@functools.cache
def _hash_of_nobody(method: str) -> str:
    """Return a hash of a random password, made once per process and hashing method."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def password_matches(user: User | None, password: str) -> bool:
    """Check a password; without a user, against a hash of nobody's, so that an unknown name costs the same time."""
    if user is None:
        check_password_hash(_hash_of_nobody(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(user.password_hash, password)


API_TOKEN_KINDS = ("personal", "system")


class ApiToken(db.Model, CreatedAtMixin):
    """A bearer token of the JSON API, acting as its user; only its SHA-256 is stored.

    "personal" tokens are made by users for themselves; "system" tokens by an admin for the
    service account of another system (the command centre's), which holds the roles it needs.
    """

    __tablename__ = "api_token"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    kind = sa.Column(sa.String(20), nullable=False, default="personal")
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    prefix = sa.Column(sa.String(12), nullable=False)  # the first characters, so that a user can tell tokens apart
    created_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    last_used_at = sa.Column(UTCDateTime(), nullable=True)
    revoked_at = sa.Column(UTCDateTime(), nullable=True)

    user = relationship("User", foreign_keys=[user_id])


class LoginFailure(db.Model):
    """A failed sign-in: enough of them from an address, or for a user name from an address, refuse signing in from
    it for a while; those of a user name from anywhere only make its failing addresses wait a little longer."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_username_at", "username", "at"),
        sa.Index("ix_login_failure_username_ip_at", "username", "ip", "at"),
        sa.Index("ix_login_failure_ip_at", "ip", "at"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(80), nullable=False)
    ip = sa.Column(sa.String(45), nullable=False)
    at = sa.Column(UTCDateTime(), nullable=False)
