"""WTForms classes for user tasks; the registry maps a task's formKey to its class.

A user task without a formKey gets `ConfirmForm`. Each process has its own module here
that registers its forms with `@register_form("key")`.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

FORM_CLASSES: dict[str, type[FlaskForm]] = {}


def register_form(key: str):
    """Register a form class under a formKey."""
    def decorate(cls):
        if key in FORM_CLASSES and FORM_CLASSES[key] is not cls:
            raise ValueError(f"formKey '{key}' is registered twice")
        FORM_CLASSES[key] = cls
        cls.form_key = key
        return cls
    return decorate


class ConfirmForm(FlaskForm):
    """The plain form of a user task that names no formKey: confirm, with an optional comment."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


def known_form_keys() -> set[str]:
    return set(FORM_CLASSES)


def form_class_for(form_key: str | None) -> type[FlaskForm]:
    """Return the form class of a formKey (ConfirmForm when there is none)."""
    if not form_key:
        return ConfirmForm
    return FORM_CLASSES[form_key]


# Each process's forms register themselves on import.
from forms import health_check, installment_agreement, loan_extension, referral  # noqa: E402,F401
