"""The UI's WTForms classes, spoken in JSON: a form's JSON Schema, and JSON data fed through the same validation."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import Length, NumberRange

from forms import declared_fields
from forms.base import YuanField
from workflow_app.core.errors import InvalidInput
from workflow_app.core.money import MAX_YUAN


def _field_names(form) -> list[str]:
    return [name for name in form._fields if name != "csrf_token"]


def _field_schema(field) -> dict:
    schema: dict = {"title": str(field.label.text)}
    if field.description:
        schema["description"] = str(field.description)
    if isinstance(field, BooleanField):
        schema["type"] = "boolean"
    elif isinstance(field, IntegerField):
        schema["type"] = "integer"
    elif isinstance(field, (DecimalField, FloatField)):
        schema["type"] = ["string", "number"]
        schema["format"] = "decimal"
        if isinstance(field, YuanField):  # core.money.parse_yuan's bound (no multipleOf 0.01: floats miss it)
            schema["maximum"] = _number(MAX_YUAN)
    elif isinstance(field, DateTimeField):
        schema.update(type="string", format="date-time")
    elif isinstance(field, DateField):
        schema.update(type="string", format="date")
    else:
        schema["type"] = "string"
    if isinstance(field, (SelectField, RadioField, SelectMultipleField)):
        options = [{"const": value, "title": str(label)} for value, label, *_ in field.iter_choices()]
        if field.coerce is int:
            schema["type"] = "integer"
            options = [{**option, "const": int(option["const"])} for option in options]
        if isinstance(field, SelectMultipleField):
            schema = {"title": schema["title"], "type": "array", "items": {"oneOf": options}}
        else:
            schema["oneOf"] = options
    for validator in field.validators:
        if isinstance(validator, Length):
            if validator.min not in (None, -1) and validator.min > 0:
                schema["minLength"] = validator.min
            if validator.max not in (None, -1):
                schema["maxLength"] = validator.max
        elif isinstance(validator, NumberRange):
            if validator.min is not None:
                schema["minimum"] = _number(validator.min)
            if validator.max is not None:
                schema["maximum"] = _number(validator.max)
    if field.default is not None and not callable(field.default):
        schema["default"] = _json_value(field.default)
    return schema


def _number(value):
    return (
        int(value)
        if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral())
        else float(value)
    )


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def form_schema(form) -> dict:
    """Return the JSON Schema of a bound form's fields (rules that depend on other fields are checked on submit)."""
    names = _field_names(form)
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _field_schema(form[name]) for name in names},
        "required": [name for name in names if form[name].flags.required and not isinstance(form[name], BooleanField)],
    }


def form_description(form) -> dict:
    """The form as an API client needs it: its instructions and its JSON Schema."""
    instructions = getattr(type(form), "instructions", None)
    return {
        "key": getattr(type(form), "form_key", None),
        "instructions": str(instructions) if instructions else None,
        "schema": form_schema(form),
    }


def formdata_from_json(data, form_class, **form_kwargs):
    """Build the form from JSON `data` as if it had been posted, and validate it.

    Raise InvalidInput naming every unknown or refused field; return the validated form.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(_l("'data' must be a JSON object of form fields"))
    fields = dict(declared_fields(form_class))
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidInput(
            _l("Unknown fields: %(names)s", names=", ".join(map(str, unknown))),
            [{"field": name, "message": str(_l("This form has no such field"))} for name in unknown],
        )
    posted = MultiDict()
    problems = []
    for name, value in data.items():
        if value is None or value is False:
            continue  # absent, as an unticked box or an empty field is in a posted form
        if value is True:
            posted.add(name, "y")
        elif isinstance(value, (str, int, float)):
            posted.add(name, str(value))
        elif (
            isinstance(value, list)
            and issubclass(fields[name].field_class, SelectMultipleField)
            and all(isinstance(v, (str, int)) for v in value)
        ):
            for item in value:
                posted.add(name, str(item))
        else:
            problems.append({"field": name, "message": str(_l("Must be a single text, number or true/false value"))})
    if problems:
        raise InvalidInput(_l("Some fields are not filled in correctly"), problems)
    form = form_class(formdata=posted, meta={"csrf": False}, **form_kwargs)
    if not form.validate():
        raise InvalidInput(
            _l("Some fields are not filled in correctly"),
            [
                {"field": name, "message": str(message)}
                for name, messages in form.errors.items()
                for message in messages
            ],
        )
    return form
