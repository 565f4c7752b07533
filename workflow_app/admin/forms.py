"""Forms of the administration pages."""

import json
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from workflow_app.auth.models import ORG_LEVELS
from workflow_app.auth.operations import EnterpriseDetails, account_kind_problem
from workflow_app.auth.passwords import MIN_CHOSEN_PASSWORD_LENGTH, password_problem
from workflow_app.auth.queries import find_enterprise, list_roles, list_specialists, list_units_of_level, org_unit_tree
from workflow_app.core.errors import InvalidInput
from workflow_app.core.phone import normalise_phone, phone_problem
from workflow_app.core.uscc import normalise_uscc, uscc_problem
from workflow_app.engine.packages import add_source, zip_sources

ORG_LEVEL_LABELS = {
    "city": _l("City"),
    "county": _l("County / district"),
    "street": _l("Street / town"),
    "community": _l("Community"),
    "bank": _l("Bank"),
}
DEPLOYABLE_SUFFIXES = (".zip", ".bpmn", ".dmn", ".json")
MAX_DEPLOY_FILE_BYTES = 2 * 1024 * 1024
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{1,59}$"
PASSWORD_RULE = _l(
    "At least %(min)d characters, letters mixed with digits or symbols; not a common password such as 12345678",
    min=MIN_CHOSEN_PASSWORD_LENGTH,
)
NAME_RULE = _l("Start with a letter; use only letters, digits, _ . - (2 to 60 characters)")


def org_unit_choices(blank=None) -> list[SelectChoice]:
    """Return a choice per org unit (by code), indented by depth, in tree order."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [SelectChoice(unit.code, "\u3000" * depth + unit.name) for unit, depth in org_unit_tree()]


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.name, role.label or role.name) for role in list_roles()]


class FilterForm(FlaskForm):
    """A GET form of list filters (no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False


class ActionForm(FlaskForm):
    """A button that changes something (carries only the CSRF token)."""


class UserFilterForm(FilterForm):
    org_unit = SelectField(_l("Org unit"), validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("active", _l("Active")),
            SelectChoice("disabled", _l("Disabled")),
        ],
        validators=[Optional()],
    )
    text = StringField(_l("User name or display name"), validators=[Optional(), Length(max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_unit.choices = org_unit_choices(blank=_l("All org units"))
        self.role.choices = [SelectChoice("", _l("All roles"))] + role_choices()


class CheckboxesField(SelectMultipleField):
    """A choice of several, as a list of check boxes (a multiple select needs Ctrl-click, which few people know)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def chosen_password(form, field):
    """Refuse a password that is easy to guess, naming why (auth.passwords)."""
    problem = password_problem(field.data or "", (form.account_username() or "").strip())
    if problem:
        raise ValidationError(str(problem))


class UserForm(FlaskForm):
    """What an administrator may change about a user."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    org_unit = SelectField(_l("Org unit"), validators=[DataRequired()])
    roles = CheckboxesField(
        _l("Roles"),
        validators=[DataRequired(message=_l("Choose at least one role"))],
        description=_l("An enterprise's user has the role enterprise only; staff have staff roles."),
    )
    enterprise_uscc = StringField(
        _l("Enterprise (unified social credit code)"),
        filters=[normalise_uscc],
        validators=[Optional(), Length(max=18)],
        description=_l("Only for enterprise users: the enterprise this account acts for."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_unit.choices = org_unit_choices()
        self.roles.choices = role_choices()
        self.enterprise = None

    def validate_enterprise_uscc(self, field):
        if field.data:
            self.enterprise = find_enterprise(field.data)
            if self.enterprise is None:
                raise ValidationError(_("No enterprise with this unified social credit code is registered"))

    def validate(self, extra_validators=None):
        """The fields one by one, then whether the roles and the enterprise make an account that works."""
        valid = super().validate(extra_validators)
        if not (self.roles.errors or self.enterprise_uscc.errors):
            problem = account_kind_problem(self.roles.data, self.enterprise)
            if problem:
                getattr(self, problem[0]).errors.append(str(problem[1]))
                return False
        return valid


class UserCreateForm(UserForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=60), Regexp(NAME_PATTERN, message=NAME_RULE)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), chosen_password], description=PASSWORD_RULE)
    confirm = PasswordField(_l("Password again"), validators=[EqualTo("password", message=_l("The passwords differ"))])

    def account_username(self) -> str:
        return self.username.data or ""


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), chosen_password], description=PASSWORD_RULE
    )
    confirm = PasswordField(
        _l("New password again"), validators=[EqualTo("password", message=_l("The passwords differ"))]
    )

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username  # whose password it is: the password must not contain the name

    def account_username(self) -> str:
        return self._username


class OrgUnitForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Letters, digits, _ . -; processes refer to units by this code."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    level = SelectField(_l("Level"), choices=[SelectChoice(level, ORG_LEVEL_LABELS[level]) for level in ORG_LEVELS])
    parent = SelectField(_l("Parent unit"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = org_unit_choices(blank=_l("None (top of the tree)"))


class RoleCreateForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Regexp(NAME_PATTERN, message=NAME_RULE)],
        description=_l("BPMN lanes name roles by this name; it cannot be changed later."),
    )
    label = StringField(_l("Label"), validators=[Optional(), Length(max=100)])


class RoleEditForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=100)])


class EnterpriseFilterForm(FilterForm):
    text = StringField(_l("Name or unified social credit code"), validators=[Optional(), Length(max=200)])
    county = SelectField(_l("County"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = [SelectChoice("", _l("All counties"))] + [
            SelectChoice(u.code, u.name) for u in list_units_of_level("county")
        ]


def _phone_as_kept(text):
    """A phone number as the register keeps it (0536-8123456), or as typed when it is none (the check says why)."""
    return normalise_phone(text) or (text or "").strip()


class EnterpriseForm(FlaskForm):
    uscc = StringField(
        _l("Unified social credit code"),
        filters=[normalise_uscc],
        validators=[DataRequired(), Length(max=18)],
        description=_l(
            "18 characters, as on the business licence; full-width characters and spaces are read as typed."
        ),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    county = SelectField(_l("County"), validators=[DataRequired()])
    street = StringField(_l("Street or town"), validators=[Optional(), Length(max=100)])
    legal_representative = StringField(
        _l("Legal representative"),
        validators=[Optional(), Length(max=50)],
        description=_l("As on the business licence: who signs for the enterprise."),
    )
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(
        _l("Contact phone"),
        filters=[_phone_as_kept],
        validators=[Optional(), Length(max=40)],
        description=_l("A mobile number, or a landline with its area code (0536-8123456)."),
    )
    key_enterprise = BooleanField(_l("Key enterprise"))
    specialist = SelectField(
        _l("Service specialist"),
        validators=[Optional()],
        description=_l("A user with the role specialist in the enterprise's county."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = [SelectChoice(u.code, u.name) for u in list_units_of_level("county")]
        self.specialist.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(u.username, f"{u.display_name} ({u.username}, {u.org_unit.name})") for u in list_specialists()
        ]

    def validate_uscc(self, field):
        problem = uscc_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_contact_phone(self, field):
        problem = field.data and phone_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def details(self) -> EnterpriseDetails:
        """The register's details as typed."""
        return EnterpriseDetails(
            legal_representative=self.legal_representative.data or "",
            contact_person=self.contact_person.data or "",
            contact_phone=self.contact_phone.data or "",
            street=self.street.data or "",
            key_enterprise=bool(self.key_enterprise.data),
        )


class DeployForm(FlaskForm):
    files = MultipleFileField(
        _l("Process files"),
        description=_l(
            "Process packages (a .zip of a package folder) or single .bpmn, .dmn and .json files of at most 2 MB each."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources: dict[str, bytes] = {}

    def validate_files(self, field):
        # gettext, not lazy_gettext: a lazy string is rendered unescaped, and these messages carry file names
        uploads = [f for f in field.data or [] if f and f.filename]
        if not uploads:
            raise ValidationError(_("Choose at least one .zip, .bpmn, .dmn or .json file"))
        max_zip_bytes = current_app.config["MAX_CONTENT_LENGTH"]
        chosen = set()
        for upload in uploads:
            name = PurePosixPath(upload.filename.replace("\\", "/")).name
            if name in chosen:
                raise ValidationError(_("%(name)s was chosen twice", name=name))
            chosen.add(name)
            suffix = PurePosixPath(name).suffix.lower()
            if suffix not in DEPLOYABLE_SUFFIXES:
                raise ValidationError(_("%(name)s: only .zip, .bpmn, .dmn and .json files can be deployed", name=name))
            limit = max_zip_bytes if suffix == ".zip" else MAX_DEPLOY_FILE_BYTES
            content = upload.stream.read(limit + 1)
            if len(content) > limit:
                raise ValidationError(_("%(name)s is larger than %(mb)d MB", name=name, mb=limit // (1024 * 1024)))
            try:
                found = zip_sources(name, content, max_zip_bytes) if suffix == ".zip" else {name: content}
                for key, data in found.items():
                    add_source(self.sources, key, data, name)
            except InvalidInput as refused:
                raise ValidationError(str(refused)) from None


class RetryForm(FlaskForm):
    data_fix = TextAreaField(
        _l("Data fix (JSON object, optional)"),
        validators=[Optional(), Length(max=100_000)],
        description=_l('Values to set in the workflow data before the failed step runs again, e.g. {"divisor": 4}.'),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.data_fix_object: dict | None = None

    def validate_data_fix(self, field):
        try:
            value = json.loads(field.data)
        except ValueError as exc:
            raise ValidationError(
                _(
                    "The data fix is not valid JSON (line %(line)d, column %(column)d)",
                    line=getattr(exc, "lineno", 1),
                    column=getattr(exc, "colno", 1),
                )
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(_('The data fix must be a JSON object in braces, like {"divisor": 4}'))
        self.data_fix_object = value


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give a reason")), Length(max=500)])
