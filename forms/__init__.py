"""WTForms classes for user tasks; the registry maps a task's formKey to its class.

A user task without a formKey gets `ConfirmForm`. Each process has its own module here
that registers its forms with `@register_form("key")`.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, Optional

from forms.base import TaskForm

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


class ConfirmForm(TaskForm):
    """The plain form of a user task that names no formKey: confirm, with an optional comment."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class MissingForm(TaskForm):
    """The form of an old version's step whose formKey has neither a class here any more nor a JSON Schema form in its
    package's form_keys: the page shows why, and nothing is accepted (without the form's fields the model's gateways
    would route the case blindly)."""

    instructions = _l(
        "This step's form is no longer part of this installation: an administrator must deploy its "
        "process's package with this step's form named in form_keys. Nothing can be sent until then."
    )

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        self.form_errors.append(str(self.instructions))
        return False


def known_form_keys() -> set[str]:
    return set(FORM_CLASSES)


def form_class_for(form_key: str | None) -> type[FlaskForm]:
    """Return the form class of a formKey (ConfirmForm when there is none, MissingForm when its class is gone)."""
    if not form_key:
        return ConfirmForm
    return FORM_CLASSES.get(form_key, MissingForm)


def declared_fields(form_class) -> list[tuple[str, UnboundField]]:
    """(name, unbound field) of the fields a form class declares, in declaration order (no CSRF token)."""
    return sorted(
        (
            (name, value)
            for name in dir(form_class)
            if isinstance(value := getattr(form_class, name), UnboundField) and name != "csrf_token"
        ),
        key=lambda item: item[1].creation_counter,
    )


def describe_data(form_key: str | None, data: dict, recorded: dict | None = None) -> list[tuple[str, str]]:
    """Return (label, shown value) pairs of task data, in the order of the form's fields.

    Values of choice fields are shown by their labels. After the form's fields come the values the step
    recorded besides them (the form's `recorded` and the caller's: labelled, or left out), then any other key
    under its own name.
    """
    form_class = FORM_CLASSES.get(form_key) if form_key else ConfirmForm
    described, seen = [], set()
    for name, unbound in declared_fields(form_class):
        if name not in data or data[name] in (None, ""):
            continue  # a field left empty (e.g. one the chosen outcome does not need) says nothing
        seen.add(name)
        value = data[name]
        choices = unbound.kwargs.get("choices") or []
        labels = {
            str(getattr(c, "value", c[0] if isinstance(c, tuple) else c)): getattr(
                c, "label", c[1] if isinstance(c, tuple) else c
            )
            for c in choices
        }
        if issubclass(unbound.field_class, DecimalField):  # every amount field is in yuan (YuanField)
            value = _yuan(value)
        described.append((str(unbound.args[0]) if unbound.args else name, _show(labels.get(str(value), value))))
    recorded = {**getattr(form_class, "recorded", {}), **(recorded or {})}
    for name, value in data.items():
        if name in seen or value is None or value == "":
            continue
        if name in recorded:
            if recorded[name] is not None:
                label, show = recorded[name]
                described.append((str(label), show(value) if show else _show(value)))
        elif not isinstance(value, (dict, list)):
            described.append((name, _show(value)))
    return described


def _yuan(value) -> str:
    """A yuan amount as the history shows money (core.money.format_yuan: 30,816.67); as it is when it is none."""
    from workflow_app.core.money import format_yuan, yuan_to_fen

    try:
        return format_yuan(yuan_to_fen(value))
    except (TypeError, ValueError):
        return value


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return str(_l("Yes"))
    if value is False:
        return str(_l("No"))
    return str(value)
