"""Forms a process package defines in JSON Schema (draft 2020-12): deploy checks, validation and stored values.

A user task or start event names its form by `formJsonSchemaFilename` (and optionally `formUiSchemaFilename`).
`schema_problems` is what a deploy refuses; `SchemaForm` validates what a person or an API client sent, with a
message in the user's language for every error, and gives the values as task data keeps them.
"""

import re
import threading
from collections import OrderedDict
from copy import deepcopy
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from forms.rules import RULES_KEYWORD, FormContext, known_rules, rule_errors
from workflow_app.core.dates import typed_day_range
from workflow_app.core.money import AmountError, format_yuan, parse_yuan, yuan_to_fen
from workflow_app.core.time import local_today
from workflow_app.core.uscc import normalise_uscc, uscc_problem

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The widgets a page can render (forms/schema_html.py); a ui schema naming another is refused at deploy.
UI_WIDGETS = ("text", "textarea", "radio", "select", "checkboxes", "date", "hidden", "file")
# Deeper than any form needs; a file nested further is refused before anything walks it recursively.
MAX_SCHEMA_DEPTH = 64
# Options named in a message at most; a longer list is "choose from the options listed".
MAX_CHOICES_NAMED = 10

# Keywords whose value is one schema, a list of schemas, or an object of schemas (the ones a walk descends into).
_ONE_SCHEMA = (
    "additionalProperties",
    "propertyNames",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


# ---- Formats ------------------------------------------------------------------------------------------------

FORMATS: dict = {}


def register_format(name: str, check) -> None:
    """Register `check(text) -> reason | None` as the format `name` (the reason in the user's language)."""
    FORMATS[name] = check  # at import time: a form compiled before keeps the formats it was compiled with


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_ID_CARD = re.compile(r"[0-9]{17}[0-9X]")
ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CARD_CHECK = "10X98765432"  # GB 11643-1999: the check character of (weighted sum mod 11)
EARLIEST_BIRTH = date(1900, 1, 1)


def _outside_typed_range(day: date) -> str | None:
    earliest, latest = typed_day_range()
    if not earliest <= day <= latest:
        return _(
            "give a date from %(earliest)s to %(latest)s", earliest=earliest.isoformat(), latest=latest.isoformat()
        )
    return None


def check_date(text: str) -> str | None:
    """Return why `text` is no date YYYY-MM-DD within the years a person may type (config TYPED_DATE_*)."""
    try:
        day = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        return _("give a date like 2024-05-01")
    return _outside_typed_range(day)


def check_date_time(text: str) -> str | None:
    """Return why `text` is no RFC 3339 date and time with its offset (2024-05-01T09:30:00+08:00)."""
    try:
        moment = datetime.fromisoformat(text.upper()) if _DATE_TIME.fullmatch(text) else None
    except ValueError:
        moment = None
    if moment is None:
        return _("give a date and time like 2024-05-01T09:30:00+08:00")
    return _outside_typed_range(moment.date())


def check_email(text: str) -> str | None:
    """Return why `text` is no e-mail address (a plausible one: the mail server has the last word)."""
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return _("give an e-mail address like name@example.com")
    return None


def check_uscc(text: str) -> str | None:
    """Return why `text` is no unified social credit code (GB 32100-2015: its parts and check characters), read
    as typed with an input method (full-width, spaces, lower case: the form stores it normalised)."""
    return uscc_problem(text)


def id_card_check_char(first17: str) -> str:
    """Return the check character of a resident identity card number's first 17 digits (GB 11643-1999)."""
    return ID_CARD_CHECK[sum(int(digit) * weight for digit, weight in zip(first17, ID_CARD_WEIGHTS, strict=True)) % 11]


def check_cn_id_card(text: str) -> str | None:
    """Return why `text` is no resident identity card number (GB 11643-1999: a real birth date, its check)."""
    if len(text) != 18:
        return _("it must have 18 characters")
    if not _ID_CARD.fullmatch(text):
        return _("the first 17 characters must be digits and the last a digit or X")
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if born is None or not EARLIEST_BIRTH <= born <= local_today():
        return _("the date of birth (characters 7 to 14) is not a real date")
    if id_card_check_char(text[:17]) != text[17]:
        return _("the check character (the last one) does not match; check what was typed")
    return None


def check_cn_mobile(text: str) -> str | None:
    """Return why `text` is no mainland mobile number (11 digits, 13x to 19x)."""
    if not _MOBILE.fullmatch(text):
        return _("give an 11-digit mobile number starting with 1")
    return None


def check_money_yuan(text: str) -> str | None:
    """Return why `text` is no amount of yuan in digits (not negative, whole fen, within core.money's bound)."""
    typed = text.strip()
    if not _AMOUNT.fullmatch(typed):  # no sign, exponent, separators, NaN or Infinity
        if typed.startswith("-") and _AMOUNT.fullmatch(typed[1:]):
            return _("an amount cannot be negative")
        return _("Type the amount in digits, e.g. 1234.56")
    try:
        parse_yuan(typed)
    except AmountError as exc:
        return str(exc.message)
    return None


register_format("date", check_date)
register_format("date-time", check_date_time)
register_format("email", check_email)
register_format("uscc", check_uscc)
register_format("cn-id-card", check_cn_id_card)
register_format("cn-mobile", check_cn_mobile)
register_format("money-yuan", check_money_yuan)
# formats whose values have an order: a field of one may bound them with formatMinimum / formatMaximum (the keywords
# of ajv-formats, which RJSF uses), e.g. {"format": "date", "formatMinimum": "2020-01-01"}, {"format": "money-yuan",
# "formatMaximum": "1000000000"}
ORDERED_FORMATS = ("date", "date-time", "money-yuan")
FORMAT_BOUNDS = ("formatMinimum", "formatMaximum")


class FormatProblem(ValueError):
    """A value not of its format; the argument is the reason, in the user's language."""


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name, raises=FormatProblem)(_raising(check))
    return checker


def _raising(check):
    def run(value):
        if isinstance(value, str):  # a format says nothing about other types ("type" does)
            reason = check(value)
            if reason is not None:
                raise FormatProblem(reason)
        return True

    return run


# ---- Deploy checks ------------------------------------------------------------------------------------------


def schema_problems(file_name: str, schema, ui_schema=None, ui_file_name: str | None = None) -> list[str]:
    """Return why a form's schema (and its ui schema) cannot be deployed, one line each naming file and place."""
    if not isinstance(schema, dict):
        return [_("%(where)s: a form's schema must be a JSON object", where=file_name)]
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        return [
            _(
                "%(where)s: the schema is nested more than %(depth)d levels deep",
                where=file_name,
                depth=MAX_SCHEMA_DEPTH,
            )
        ]
    dialect = schema.get("$schema", DIALECT)
    if not isinstance(dialect, str) or dialect.rstrip("#") != DIALECT:
        return [
            _(
                '%(where)s: forms are JSON Schema draft 2020-12; leave out "$schema" or give %(dialect)s',
                where=_where(file_name, ("$schema",)),
                dialect=DIALECT,
            )
        ]
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    problems = [
        _(
            "%(where)s: not valid JSON Schema (draft 2020-12): %(reason)s",
            where=_where(file_name, error.absolute_path),
            reason=_shortened(error.message),
        )
        for error in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        return problems
    resolver = Registry().resolver_with_root(DRAFT202012.create_resource(schema))
    problems += _rules_problems(file_name, schema)
    problems += _keyword_problems(file_name, schema, (), resolver)
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        problems.append(
            _(
                '%(where)s: a form\'s schema must be "type": "object" with its fields under "properties"',
                where=file_name,
            )
        )
    if problems:
        return problems
    if ui_schema is not None:
        ui_file_name = ui_file_name or _("the ui schema of %(file)s", file=file_name)
        if not isinstance(ui_schema, dict):
            return [_("%(where)s: a ui schema must be a JSON object", where=ui_file_name)]
        problems += _ui_problems(ui_file_name, _gather_fields(schema, ui_schema), ui_schema, ())
    return problems


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_SCHEMA_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return deepest


def _where(file_name: str, pointer) -> str:
    """The file and the JSON pointer of a place in it, e.g. form.json#/properties/age."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in pointer]
    return f"{file_name}#/{'/'.join(parts)}" if parts else file_name


def _shortened(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _subschemas(schema: dict):
    """(pointer steps, subschema) of the schemas `schema`'s keywords hold."""
    for keyword in _ONE_SCHEMA:
        if keyword in schema:
            yield (keyword,), schema[keyword]
    for keyword in _SCHEMA_LISTS:
        if isinstance(schema.get(keyword), list):
            for index, sub in enumerate(schema[keyword]):
                yield (keyword, index), sub
    for keyword in _SCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            for name, sub in schema[keyword].items():
                yield (keyword, name), sub


def _rules_problems(file_name: str, schema: dict) -> list[str]:
    """An "x-rules" that is no list of names, or names a rule no module registers (forms/rules)."""
    if RULES_KEYWORD not in schema:
        return []
    names = schema[RULES_KEYWORD]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return [
            _(
                '%(where)s: "x-rules" must be a list of rule names, e.g. ["%(example)s"]',
                where=_where(file_name, (RULES_KEYWORD,)),
                example=(known_rules() or ["rule_name"])[0],
            )
        ]
    return [
        _(
            '%(where)s: unknown form rule "%(rule)s" (known: %(known)s)',
            where=_where(file_name, (RULES_KEYWORD, index)),
            rule=name,
            known=", ".join(known_rules()) or "—",
        )
        for index, name in enumerate(names)
        if name not in known_rules()
    ]


def _keyword_problems(file_name, schema, pointer, resolver) -> list[str]:
    """Patterns that do not compile, unknown formats, $refs outside the file or to nothing in it, "x-rules" below
    the top (where nothing reads it)."""
    if not isinstance(schema, dict):
        return []
    problems = []
    if pointer and RULES_KEYWORD in schema:
        problems.append(
            _(
                '%(where)s: "x-rules" is read at the top of a form\'s schema only; move it there',
                where=_where(file_name, (*pointer, RULES_KEYWORD)),
            )
        )
    if "$id" in schema and pointer:
        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
    for keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(keyword)
        if ref is None:
            continue
        where = _where(file_name, (*pointer, keyword))
        if not ref.startswith("#"):
            problems.append(
                _(
                    '%(where)s: "%(ref)s" points outside this file; only references within it '
                    '("#/$defs/...") are allowed',
                    where=where,
                    ref=ref,
                )
            )
            continue
        try:
            resolver.lookup(ref)
        except Unresolvable:
            problems.append(_('%(where)s: "%(ref)s" points to nothing in this file', where=where, ref=ref))
    patterns = [((*pointer, "pattern"), schema["pattern"])] if "pattern" in schema else []
    patterns += [((*pointer, "patternProperties", key), key) for key in schema.get("patternProperties", {})]
    for steps, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(
                _(
                    "%(where)s: the pattern %(pattern)s does not compile: %(reason)s",
                    where=_where(file_name, steps),
                    pattern=pattern,
                    reason=str(exc),
                )
            )
    if "format" in schema:
        where = _where(file_name, (*pointer, "format"))
        if schema["format"] not in FORMATS:
            problems.append(
                _(
                    '%(where)s: unknown format "%(format)s" (known: %(known)s)',
                    where=where,
                    format=schema["format"],
                    known=", ".join(FORMATS),
                )
            )
        elif schema["format"] == "money-yuan" and schema.get("type") != "string":
            problems.append(
                _(
                    '%(where)s: the format money-yuan needs "type": "string" (an amount is sent as '
                    'text, e.g. "1234.50", never as a binary fraction)',
                    where=where,
                )
            )
    for keyword in FORMAT_BOUNDS:
        if keyword in schema:
            problems += _bound_problems(file_name, schema, (*pointer, keyword))
    for steps, sub in _subschemas(schema):
        problems += _keyword_problems(file_name, sub, (*pointer, *steps), resolver)
    return problems


def _bound_problems(file_name, schema, steps) -> list[str]:
    """A formatMinimum or formatMaximum beside no ordered format, or whose bound is no value of that format."""
    where, bound, format_name = _where(file_name, steps), schema[steps[-1]], schema.get("format")
    if format_name not in ORDERED_FORMATS:
        return [
            _(
                '%(where)s: %(keyword)s bounds a field of the format %(formats)s; give the field its "format"',
                where=where,
                keyword=steps[-1],
                formats=", ".join(ORDERED_FORMATS),
            )
        ]
    if _ordered_value(format_name, bound) is None:
        return [
            _(
                '%(where)s: the bound "%(bound)s" is no value of the format %(format)s',
                where=where,
                bound=_shortened(str(bound)),
                format=format_name,
            )
        ]
    return []


def _ui_problems(file_name, field, ui, pointer) -> list[str]:
    """Widgets no page renders, and ui:order lists that do not match the fields (RJSF refuses those too)."""
    if not isinstance(ui, dict):
        return [_("%(where)s: the ui schema of a field must be a JSON object", where=_where(file_name, pointer))]
    problems = []
    widget = ui.get("ui:widget")
    if widget is not None and widget not in UI_WIDGETS:
        problems.append(
            _(
                '%(where)s: the widget "%(widget)s" is not supported (supported: %(known)s)',
                where=_where(file_name, (*pointer, "ui:widget")),
                widget=widget,
                known=", ".join(UI_WIDGETS),
            )
        )
    if "ui:order" in ui:
        where = _where(file_name, (*pointer, "ui:order"))
        order = ui["ui:order"]
        if not isinstance(order, list) or not all(isinstance(name, str) for name in order):
            problems.append(_("%(where)s: ui:order must be a list of field names", where=where))
        else:
            unknown = [name for name in order if name != "*" and name not in field.names]
            missing = [name for name in field.names if name not in order]
            if unknown:
                problems.append(
                    _("%(where)s: ui:order names what is no field: %(names)s", where=where, names=", ".join(unknown))
                )
            if missing and "*" not in order:
                problems.append(
                    _(
                        '%(where)s: ui:order leaves out %(names)s; list them or end the order with "*"',
                        where=where,
                        names=", ".join(sorted(missing)),
                    )
                )
    for name, child in field.children.items():
        if name in ui:
            problems += _ui_problems(file_name, child, ui[name], (*pointer, name))
    if field.items is not None and "items" in ui:
        problems += _ui_problems(file_name, field.items, ui["items"], (*pointer, "items"))
    return problems


# ---- What a schema's fields are -----------------------------------------------------------------------------


class _Field:
    """What the schema says of one place in the data: its title, its fields or rows, its formats."""

    __slots__ = ("title", "ui_title", "names", "patterns", "open", "children", "items", "types", "formats", "options")

    def __init__(self):
        self.title = self.ui_title = None
        self.names: dict[str, None] = {}  # declared field names, in order
        self.patterns: list = []  # patternProperties
        self.open = False  # the schema says what other keys may be (additional/unevaluatedProperties)
        self.children: dict[str, _Field] = {}
        self.items: _Field | None = None
        self.types: set[str] = set()
        self.formats: set[str] = set()
        self.options: list | None = None  # (value, title) of a choice by enum or oneOf/anyOf of const

    def at(self, path):
        """The field at a path below this one (None when the schema does not describe it)."""
        field = self
        for step in path:
            field = field.items if isinstance(step, int) else field.children.get(step)
            if field is None:
                return None
        return field


def _gather_fields(schema: dict, ui_schema) -> _Field:
    root = _Field()
    _gather(root, schema, Registry().resolver_with_root(DRAFT202012.create_resource(schema)), frozenset(), True)
    _apply_ui(root, ui_schema)
    return root


def _gather(field: _Field, schema, resolver, expanding: frozenset, own: bool) -> None:
    """Merge what `schema` says into `field`; `own` is False for schemas applied in place (allOf, then ...)."""
    if not isinstance(schema, dict):
        return
    if "$id" in schema:
        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        resolved = resolver.lookup(ref)
        if id(resolved.contents) in expanding:  # a recursive schema: below here jsonschema judges alone
            field.open = True
        else:
            _gather(field, resolved.contents, resolved.resolver, expanding | {id(resolved.contents)}, own)
    if own and field.title is None and isinstance(schema.get("title"), str):
        field.title = schema["title"]
    kinds = schema.get("type")
    field.types.update(kinds if isinstance(kinds, list) else [kinds] if kinds else [])
    if "format" in schema:
        field.formats.add(schema["format"])
    if "additionalProperties" in schema or "unevaluatedProperties" in schema:
        field.open = True
    for key in schema.get("patternProperties", {}):
        field.patterns.append(re.compile(key))
    for name, sub in schema.get("properties", {}).items():
        field.names[name] = None
        _gather(field.children.setdefault(name, _Field()), sub, resolver, expanding, True)
    for sub in [*([schema["items"]] if "items" in schema else []), *schema.get("prefixItems", [])]:
        field.items = field.items or _Field()
        _gather(field.items, sub, resolver, expanding, True)
    choices = [sub for keyword in ("oneOf", "anyOf") for sub in schema.get(keyword, [])]
    if choices and all(isinstance(sub, dict) and "const" in sub for sub in choices):
        field.options = [(sub["const"], sub.get("title")) for sub in choices]
        choices = []
    elif "enum" in schema and field.options is None:
        field.options = [(value, None) for value in schema["enum"]]
    in_place = [
        *schema.get("allOf", []),
        *choices,
        *(schema[k] for k in ("if", "then", "else") if k in schema),
        *schema.get("dependentSchemas", {}).values(),
    ]
    for sub in in_place:
        _gather(field, sub, resolver, expanding, False)


def _apply_ui(field: _Field, ui) -> None:
    if not isinstance(ui, dict):
        return
    if isinstance(ui.get("ui:title"), str):
        field.ui_title = ui["ui:title"]
    for name, child in field.children.items():
        _apply_ui(child, ui.get(name))
    if field.items is not None:
        _apply_ui(field.items, ui.get("items"))


# ---- Validation ---------------------------------------------------------------------------------------------


def _is_integer(checker, value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    return isinstance(value, int)


def _is_number(checker, value) -> bool:
    """A finite number: NaN and Infinity (which Python's JSON reader takes) are none."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int)


def _ordered_value(format_name: str, text):
    """A value of an ordered format (a date, a date and time, an amount), comparable; None when it is none."""
    if not isinstance(text, str) or FORMATS.get(format_name, lambda _text: "")(text) is not None:
        return None
    if format_name == "date":
        return date.fromisoformat(text)
    if format_name == "date-time":
        return datetime.fromisoformat(text.upper())
    return parse_yuan(text.strip())


def _format_bound(keyword: str, beyond):
    """The validator of formatMinimum or formatMaximum: a value of the field's format beyond the bound."""

    def check(validator, bound, instance, schema):
        format_name = schema.get("format")
        if format_name not in ORDERED_FORMATS:
            return
        value, limit = _ordered_value(format_name, instance), _ordered_value(format_name, bound)
        if value is not None and limit is not None and beyond(value, limit):
            yield ValidationError(f"{instance!r} is beyond {keyword} {bound!r}")

    return check


_FormValidator = extend(
    Draft202012Validator,
    validators={
        "formatMinimum": _format_bound("formatMinimum", lambda value, limit: value < limit),
        "formatMaximum": _format_bound("formatMaximum", lambda value, limit: value > limit),
    },
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


class SchemaForm:
    """A form given as JSON Schema (one that passed schema_problems) and an RJSF ui schema, compiled once."""

    def __init__(self, schema: dict, ui_schema: dict | None = None):
        self.schema = schema
        self.ui_schema = ui_schema or {}
        self._validator = _FormValidator(schema, format_checker=_format_checker(), registry=Registry())
        self._root = _gather_fields(schema, self.ui_schema)
        self.rules = tuple(schema.get(RULES_KEYWORD) or ())

    def validate(self, data, context: FormContext | None = None) -> dict[str, str]:
        """Return the errors of `data` keyed by path ("" for the whole form, "name", "trainees.0.name"): the
        schema's, and once the schema lets the data through, those of the named rules it lists (forms/rules), which
        see `context` (the case's data, the enterprise, today, the actor; without one: nothing but today)."""
        errors = self._schema_errors(data)
        if errors or not self.rules:
            return errors
        return rule_errors(self.rules, self.stored_data(data), context or FormContext())

    def _schema_errors(self, data) -> dict[str, str]:
        errors: dict[str, str] = {}
        for error in self._validator.iter_errors(data):
            for path, message in self._messages(error):
                key = ".".join(map(str, path))
                if key not in errors or error.validator == "type":
                    errors[key] = message
        for path in self._unknown_keys(self._root, data, ()):
            errors.setdefault(
                ".".join(map(str, path)), _("%(field)s is not a field of this form", field=_quoted(path[-1]))
            )
        return errors

    def stored_data(self, data: dict) -> dict:
        """Return valid data as task data keeps it: money-yuan text as Decimal, whole numbers of integers as int."""
        return _stored(self._root, data)

    def describe(self) -> dict:
        """Return the form as the API shows it (copies: a caller may add to them)."""
        return {"schema": deepcopy(self.schema), "ui_schema": deepcopy(self.ui_schema)}

    def title_of(self, path: str) -> str:
        """The title of the field at a path ("trainees.0.name"): its ui:title, else its title, else its key."""
        steps = _steps(path)
        field = self._root.at(steps)
        names = [step for step in steps if isinstance(step, str)]
        return (field and (field.ui_title or field.title)) or (names[-1] if names else "")

    # -- messages

    def _is_choice(self, path) -> bool:
        field = self._root.at(path)
        return field is not None and field.options is not None

    def _label(self, path: tuple) -> str:
        """The field at `path` as a message names it: 'Name', 'Name' in row 2, row 2 of 'Trainees'."""
        if not path:
            return _("the form")
        rows = [index for index, step in enumerate(path) if isinstance(step, int)]
        if not rows:
            return _quoted(self.title_of(".".join(path)))
        last = rows[-1]
        if last == len(path) - 1:
            return _("row %(row)d of %(field)s", row=path[last] + 1, field=self._label(path[:last]))
        inner = _(
            "%(field)s in row %(row)d", field=_quoted(self.title_of(".".join(map(str, path)))), row=path[last] + 1
        )
        if len(rows) == 1:
            return inner
        return _("%(inner)s of %(outer)s", inner=inner, outer=self._label(path[:last]))

    def _messages(self, error):
        """(path, message) of one jsonschema error; a missing or unknown field gives its own path."""
        path = tuple(error.absolute_path)
        keyword, value, instance = error.validator, error.validator_value, error.instance
        if keyword == "required" and isinstance(instance, dict):
            for name in value:
                if name not in instance:
                    yield (*path, name), _("Fill in %(field)s", field=self._label((*path, name)))
        elif keyword == "dependentRequired" and isinstance(instance, dict):
            for name, needed in value.items():
                for other in needed if name in instance else ():
                    if other not in instance:
                        yield (
                            (*path, other),
                            _(
                                "Fill in %(field)s when %(other)s is filled in",
                                field=self._label((*path, other)),
                                other=self._label((*path, name)),
                            ),
                        )
        elif keyword == "additionalProperties" and value is False and isinstance(instance, dict):
            declared = error.schema.get("properties", {})
            patterns = error.schema.get("patternProperties", {})
            for name in instance:
                if name not in declared and not any(re.search(pattern, name) for pattern in patterns):
                    yield (*path, name), _("%(field)s is not a field of this form", field=_quoted(name))
        elif keyword in ("oneOf", "anyOf") and error.context and not self._is_choice(path):
            # alternatives other than choices: say what is wrong with the one that came closest, the one whose
            # error lies deepest, and among those one the value has the type for (0 is too small, not "no text")
            closest = max(error.context, key=lambda sub: (len(sub.absolute_path), sub.validator != "type"))
            closest = list(self._messages(closest))
            yield path, closest[0][1] if closest else self._message(error, path)
        else:
            yield path, self._message(error, path)

    def _message(self, error, path) -> str:
        field_label = self._label(path)
        keyword, value, instance = error.validator, error.validator_value, error.instance
        field = self._root.at(path) or _Field()
        if keyword == "type":
            if "money-yuan" in field.formats:
                return _('%(field)s: give the amount as text in digits, e.g. "1234.56"', field=field_label)
            kinds = [kind for kind in (value if isinstance(value, list) else [value]) if kind != "null"] or ["null"]
            return _type_message(kinds[0], field_label)
        if keyword == "format":
            if not isinstance(error.cause, FormatProblem):
                return _("%(field)s is not in the required format", field=field_label)
            return _("%(field)s: %(reason)s", field=field_label, reason=str(error.cause))
        if keyword in ("enum", "oneOf", "anyOf") and field.options is not None:
            return _choice_message(field.options, field_label)
        if keyword == "const":
            if value is True:
                return _("Tick %(field)s", field=field_label)
            return _("%(field)s must be %(value)s", field=field_label, value=_shown(value))
        if keyword in _LIMIT_MESSAGES:
            return _LIMIT_MESSAGES[keyword](field_label, _number_text(value))
        if keyword in FORMAT_BOUNDS:
            return _bound_message(keyword, error.schema.get("format"), value, field_label)
        if keyword == "minLength":
            if value == 1 and instance == "":
                return _("Fill in %(field)s", field=field_label)
            return ngettext(
                "%(field)s must have at least %(num)d character",
                "%(field)s must have at least %(num)d characters",
                value,
                field=field_label,
            )
        if keyword == "maxLength":
            return ngettext(
                "%(field)s must have at most %(num)d character",
                "%(field)s must have at most %(num)d characters",
                value,
                field=field_label,
            )
        if keyword == "pattern":
            return _("%(field)s is not in the required format", field=field_label)
        if keyword in ("minItems", "maxItems"):
            rows = field.items is not None and ("object" in field.items.types or field.items.children)
            return _items_message(keyword, rows, value, field_label)
        if keyword == "uniqueItems":
            return _("%(field)s has the same entry more than once", field=field_label)
        return _("%(field)s is not filled in correctly", field=field_label)

    def _unknown_keys(self, field: _Field, value, path):
        """Paths of keys the schema does not declare where it lists its fields and says nothing of others."""
        if isinstance(value, dict):
            for key, item in value.items():
                child = field.children.get(key)
                if child is not None:
                    yield from self._unknown_keys(child, item, (*path, key))
                elif field.names and not field.open and not any(p.search(key) for p in field.patterns):
                    yield (*path, key)
        elif isinstance(value, list) and field.items is not None:
            for index, item in enumerate(value):
                yield from self._unknown_keys(field.items, item, (*path, index))


def _stored(field: _Field | None, value):
    if field is None:
        return value
    if isinstance(value, dict):
        return {key: _stored(field.children.get(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stored(field.items, item) for item in value]
    if isinstance(value, str) and "money-yuan" in field.formats:
        return parse_yuan(value)
    if isinstance(value, str) and "uscc" in field.formats:
        return normalise_uscc(value)
    if isinstance(value, float) and "integer" in field.types and value.is_integer():
        return int(value)
    return value


def _steps(path: str) -> tuple:
    return tuple(int(step) if step.isdigit() else step for step in path.split(".")) if path else ()


def _quoted(title) -> str:
    return _("'%(title)s'", title=title)


def _shown(value) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if value is None:
        return _("empty")
    return _number_text(value) if isinstance(value, (int, float, Decimal)) else str(value)


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_message(kind: str, field_label: str) -> str:
    if kind == "string":
        return _("%(field)s must be text", field=field_label)
    if kind == "integer":
        return _("%(field)s must be a whole number", field=field_label)
    if kind == "number":
        return _("%(field)s must be a number", field=field_label)
    if kind == "boolean":
        return _("%(field)s must be yes or no", field=field_label)
    if kind == "object":
        return _("%(field)s must be a group of fields (a JSON object)", field=field_label)
    if kind == "array":
        return _("%(field)s must be a list (a JSON array)", field=field_label)
    return _("%(field)s must be left empty", field=field_label)


def _choice_message(options, field_label) -> str:
    if len(options) > MAX_CHOICES_NAMED:
        return _("Choose %(field)s from the options listed", field=field_label)
    return _(
        "%(field)s must be one of: %(choices)s",
        field=field_label,
        choices=_(", ").join(title if title is not None else _shown(value) for value, title in options),
    )


def _bound_message(keyword: str, format_name: str, bound: str, field_label: str) -> str:
    """What a formatMinimum or formatMaximum refused: an amount above (below) its bound, a date before (after)."""
    if format_name == "money-yuan":
        amount = format_yuan(yuan_to_fen(parse_yuan(bound.strip())))
        if keyword == "formatMinimum":
            return _("%(field)s must be at least %(amount)s yuan", field=field_label, amount=amount)
        return _("%(field)s must be at most %(amount)s yuan", field=field_label, amount=amount)
    if keyword == "formatMinimum":
        return _("%(field)s cannot be before %(limit)s", field=field_label, limit=bound)
    return _("%(field)s cannot be after %(limit)s", field=field_label, limit=bound)


_LIMIT_MESSAGES = {
    "minimum": lambda field, limit: _("%(field)s must be at least %(limit)s", field=field, limit=limit),
    "maximum": lambda field, limit: _("%(field)s must be at most %(limit)s", field=field, limit=limit),
    "exclusiveMinimum": lambda field, limit: _("%(field)s must be more than %(limit)s", field=field, limit=limit),
    "exclusiveMaximum": lambda field, limit: _("%(field)s must be less than %(limit)s", field=field, limit=limit),
    "multipleOf": lambda field, limit: _("%(field)s must be a multiple of %(limit)s", field=field, limit=limit),
}


def _items_message(keyword, rows, count, field_label) -> str:
    if keyword == "minItems" and rows:
        return ngettext(
            "Add at least %(num)d row to %(field)s", "Add at least %(num)d rows to %(field)s", count, field=field_label
        )
    if keyword == "minItems":
        return ngettext(
            "Choose at least %(num)d for %(field)s", "Choose at least %(num)d for %(field)s", count, field=field_label
        )
    if rows:
        return ngettext(
            "%(field)s can have at most %(num)d row",
            "%(field)s can have at most %(num)d rows",
            count,
            field=field_label,
        )
    return ngettext(
        "Choose at most %(num)d for %(field)s", "Choose at most %(num)d for %(field)s", count, field=field_label
    )


# ---- Compiled forms, kept per version ------------------------------------------------------------------------

# Forms kept compiled: more than the forms of all deployed versions a worker serves at once
SCHEMA_FORMS_KEPT = 256
_kept: OrderedDict = OrderedDict()
_kept_lock = threading.Lock()


def schema_form(cache_key, schema: dict, ui_schema: dict | None = None) -> SchemaForm:
    """Return the compiled form kept under `cache_key` (e.g. (version sha256, file name)), compiling it once."""
    with _kept_lock:
        form = _kept.get(cache_key)
        if form is not None:
            _kept.move_to_end(cache_key)
            return form
    form = SchemaForm(schema, ui_schema)
    with _kept_lock:
        _kept[cache_key] = form
        while len(_kept) > SCHEMA_FORMS_KEPT:
            _kept.popitem(last=False)
    return form
