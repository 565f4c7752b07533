"""Show a JSON Schema form as Bootstrap fields, and read the posted fields back into the values they stand for.

A field's HTML name is the prefix and the value's path (`data.trainees.0.name`); `read_formdata` is the exact
inverse of that naming. An array of objects is a list of rows: two blank rows are offered beyond the filled ones
(without JavaScript they are how rows are added; blank rows are dropped when read), and static/schema_rows.js adds
and removes rows where scripts run.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask import get_template_attribute
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import FileStorage

from workflow_app.core.time import SHANGHAI

SPARE_ROWS = 2  # blank rows offered beyond the filled ones: how a page without JavaScript adds rows
MAX_DEPTH = 6  # objects and arrays nested deeper are neither shown nor read (a schema that refers to itself ends)
ROW_PLACEHOLDER = "__row__"  # stands for the row number in the template the script copies a new row from
CHECKED = "y"  # what a checked checkbox posts
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_LOCAL_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?")
_MISSING = object()
_FOLLOWED = "$ref followed"  # put by _SchemaWalk.resolve beside what a $ref led to: the $ref (never validated)


@dataclass
class Option:
    value: str  # as posted
    title: str
    selected: bool = False


@dataclass
class Row:
    number: int  # 1 for the first row: what people call it
    fields: list
    error: str | None = None
    spare: bool = False  # a blank row offered beyond the filled ones (the script keeps only one of them)


@dataclass
class FieldView:
    """What the macros in templates/forms/_schema_form.html need to draw one field."""

    kind: str  # input, textarea, select, radio, checkbox, checkboxes, multiselect, file, hidden, object, rows
    name: str
    label: str
    help: list = field(default_factory=list)
    required: bool = False
    readonly: bool = False
    placeholder: str = ""
    input_type: str = "text"
    inputmode: str = ""
    unit: str = ""
    textarea_rows: int = 4
    value: str = ""
    checked: bool = False
    options: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    children: list = field(default_factory=list)  # an object's fields
    rows: list = field(default_factory=list)  # an array's rows
    template: Row | None = None  # the blank row the script copies
    stacked: bool = False  # rows holding objects or arrays are shown as cards, never as a table
    min_rows: int = 0
    max_rows: int | None = None
    next_index: int = 0
    multiple: bool = False  # a file field taking several files
    files_again: str = ""  # the files chosen before a refusal, which the browser does not send again
    # the field belongs to branches of the form: shown when one holds ({"control": a field's name, "values": the
    # posted values that choose the branch, or None for any value}); static/schema_branches.js shows and hides it
    show_when: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.name


@dataclass
class FormView:
    fields: list
    errors: list  # messages for the form as a whole, and for fields not shown beside one
    has_rows: bool
    has_branches: bool = False


def render_schema_form(form, values: dict, errors: dict[str, str], prefix: str = "data") -> Markup:
    """Render a SchemaForm's fields with `values` filled in and each of `errors` (path -> message) beside its field."""
    view = _FormBuilder(form, errors).build(values or {}, prefix)
    return Markup(get_template_attribute("forms/_schema_form.html", "schema_form")(view))


def read_formdata(form, formdata, prefix: str = "data") -> dict:
    """Return the values a rendered SchemaForm posted: typed by the schema, blank rows and empty fields left out.

    `formdata` is a MultiDict; include the request's files (CombinedMultiDict) for `file` widgets, which give
    the chosen FileStorage objects as a list. Integers and numbers that do not parse stay strings, so that
    validation names the field.
    """
    reader = _FormReader(form, formdata)
    values = reader.read_object(reader.resolve(form.schema), form.ui_schema or {}, prefix, required=True, depth=0)
    return values if isinstance(values, dict) else {}


def describe_values(form, data) -> list[tuple[str, str]]:
    """(label, shown value) pairs of the data a form gave, in the form's order, as the history shows them: fields
    by their titles, choices by theirs, yes/no, objects and rows one line each ("第 2 行：姓名 李娜；…")."""
    walk = _SchemaWalk(form)
    return [
        (_label(name, schema, ui), shown)
        for name, schema, ui in walk.properties(walk.root, _ui(form.ui_schema))
        if data.get(name) not in (None, "", [], {})
        for shown in [_described(walk, schema, ui, data[name])]
        if shown
    ]


def outcome_title(form, data) -> str | None:
    """What a form's answer chose, as its choice's title says it up to a colon ("退回：不属本辖区" gives 退回): the
    choice the form's branches turn on, else its first required choice; None when it has neither."""
    walk = _SchemaWalk(form)
    root = walk.resolve(form.schema)
    fields = {name: (schema, ui) for name, schema, ui in walk.properties(root, _ui(form.ui_schema))}
    controls = [control for control, _values, _part in walk.branches(root)]
    for name in dict.fromkeys([*controls, *(root.get("required") or [])]):
        if name not in fields or walk.type_of(fields[name][0]) == "boolean":
            continue
        titles = {_shown(value): title for value, title in walk.choices(*fields[name]) or []}
        chosen = data.get(name) if isinstance(data, dict) else None
        if chosen is not None and _shown(chosen) in titles:
            return re.split("[：:]", titles[_shown(chosen)], maxsplit=1)[0].strip() or titles[_shown(chosen)]
    return None


def _label(name: str, schema: dict, ui: dict) -> str:
    return str(ui.get("ui:title") or schema.get("title") or name)


def _described(walk, schema: dict, ui: dict, value) -> str:
    kind = walk.type_of(schema)
    if kind == "object" and isinstance(value, dict):
        return "；".join(
            f"{_label(n, s, u)} {shown}"
            for n, s, u in walk.properties(schema, ui)
            if value.get(n) not in (None, "", [], {})
            for shown in [_described(walk, s, u, value[n])]
            if shown
        )
    if kind == "array" and isinstance(value, list):
        items, items_ui = walk.items(schema, ui)
        if walk.type_of(items) == "object":
            return "\n".join(
                _("Row %(number)d: %(row)s", number=number, row=_described(walk, items, items_ui, row))
                for number, row in enumerate(value, 1)
            )
        return "、".join(_described(walk, items, items_ui, item) for item in value)
    choices = dict(walk.choices(schema, ui) or [])
    if value in choices:
        return choices[value]
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


class _SchemaWalk:
    """What rendering and reading both need to know of the schema, decided the same way for both."""

    def __init__(self, form):
        self.root = form.schema

    def resolve(self, schema) -> dict:
        """Follow local $refs (`#/$defs/x`), keeping the keywords beside the $ref."""
        for _hop in range(16):
            if not (
                isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#")
            ):
                break
            target = self._pointer(schema["$ref"][1:])
            schema = {
                **target,
                _FOLLOWED: schema.get(_FOLLOWED, schema["$ref"]),
                **{k: v for k, v in schema.items() if k not in ("$ref", _FOLLOWED)},
            }
        return schema if isinstance(schema, dict) else {}

    def _pointer(self, pointer: str) -> dict:
        node = self.root
        for part in filter(None, pointer.split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node if isinstance(node, dict) else {}

    def properties(self, schema: dict, ui: dict) -> list[tuple[str, dict, dict]]:
        """(name, schema, ui schema) of an object's fields in ui:order; fields that only if/then/else or allOf
        name come after those the object names itself."""
        found: dict = {}
        self._collect_properties(schema, found, 0)
        names = list(found)
        order = ui.get("ui:order")
        if isinstance(order, list):
            if "*" in order:
                star = order.index("*")
                before = [n for n in order[:star] if n in found]
                after = [n for n in order[star + 1 :] if n in found and n not in before]
                names = before + [n for n in names if n not in before and n not in after] + after
            else:
                listed = list(dict.fromkeys(n for n in order if n in found))
                names = listed + [n for n in names if n not in listed]
        return [(name, self.resolve(found[name]), _ui(ui.get(name))) for name in names]

    def _collect_properties(self, schema: dict, found: dict, depth: int) -> None:
        schema = self.resolve(schema)
        for name, prop in (schema.get("properties") or {}).items():
            found.setdefault(name, prop)
        if depth > 4:
            return
        alternatives = [*(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
        if self.choices(schema, {}) is not None:
            alternatives = []  # choices of a value, not groups of fields
        parts = [
            *(schema.get("allOf") or []),
            *alternatives,
            schema.get("then"),
            schema.get("else"),
            *((schema.get("dependentSchemas") or {}).values()),
        ]
        for part in parts:
            if isinstance(part, dict):
                self._collect_properties(part, found, depth + 1)

    def branches(self, schema: dict) -> list[tuple[str, list | None, dict]]:
        """(the field a branch turns on, the values that choose it or None for any value, the branch's schema) of
        an object's if/then/else (an `if` on one field's const or enum), its dependentSchemas, and those of its
        allOf; an `else` is chosen by the field's other choices (and is left out for a field without choices)."""
        found: list = []
        fields = {name: (prop, {}) for name, prop, _ui_ in self.properties(schema, {})}

        def walk(node, depth):
            node = self.resolve(node)
            condition = self._condition(node.get("if"))
            if condition is not None:
                control, values = condition
                if isinstance(node.get("then"), dict):
                    found.append((control, values, self.resolve(node["then"])))
                if isinstance(node.get("else"), dict) and control in fields:
                    others = [v for v, _title in self.field_choices(*fields[control]) if v not in values]
                    if others:
                        found.append((control, others, self.resolve(node["else"])))
            for control, part in (node.get("dependentSchemas") or {}).items():
                if isinstance(part, dict):
                    found.append((control, None, self.resolve(part)))
            if depth < 4:
                for part in node.get("allOf") or []:
                    if isinstance(part, dict):
                        walk(part, depth + 1)

        walk(schema, 0)
        return found

    def _condition(self, condition) -> tuple[str, list] | None:
        """(field, values) of an `if` that holds when one field has one of some values; None for any other `if`."""
        if not isinstance(condition, dict):
            return None
        properties = condition.get("properties")
        if not isinstance(properties, dict) or len(properties) != 1:
            return None
        ((control, test),) = properties.items()
        test = self.resolve(test)
        if "const" in test:
            return control, [test["const"]]
        if isinstance(test.get("enum"), list) and test["enum"]:
            return control, list(test["enum"])
        return None

    def branch_fields(self, schema: dict) -> dict[str, tuple[list, bool]]:
        """{field: (the conditions that show it, whether every branch naming it requires it)} for the fields of an
        object that only its branches name (a field the object itself requires is always shown)."""
        always = set(schema.get("required") or [])
        found: dict = {}
        for control, values, part in self.branches(schema):
            required = set(part.get("required") or [])
            for name in dict.fromkeys([*required, *(part.get("properties") or {})]):
                if name == control or name in always:
                    continue
                conditions, all_required = found.get(name, ([], True))
                shown = None if values is None else [_shown(value) for value in values]
                conditions.append({"control": control, "values": shown})
                found[name] = (conditions, all_required and name in required)
        return found

    def type_of(self, schema: dict) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if isinstance(kind, str):
            return kind
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        values = [c[0] for c in self.choices(schema, {}) or []]
        if values and all(isinstance(v, bool) for v in values):
            return "boolean"
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "integer"
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return "number"
        return "string"

    def choices(self, schema: dict, ui: dict) -> list[tuple] | None:
        """(value, title) of a field's choices: oneOf/anyOf of {const, title}, else enum; None when it has none."""
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                resolved = [self.resolve(option) for option in options]
                if all("const" in option for option in resolved):
                    return [
                        (o["const"], str(o.get("title", _shown(o["const"]))))
                        for o in resolved
                        if o["const"] is not None
                    ]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            names = ui.get("ui:enumNames") or schema.get("x-enumNames")  # the ui schema's, else the schema's own
            if not (isinstance(names, list) and len(names) == len(enum)):
                names = [_shown(value) for value in enum]
            return [(value, str(name)) for value, name in zip(enum, names, strict=True) if value is not None]
        return None

    def items(self, schema: dict, ui: dict) -> tuple[dict, dict]:
        items = schema.get("items")
        return self.resolve(items if isinstance(items, dict) else {}), _ui(ui.get("items"))

    def kind(self, schema: dict, ui: dict) -> str:
        """Which widget shows the field."""
        widget = ui.get("ui:widget")
        kind = self.type_of(schema)
        if widget == "hidden":
            return "hidden"
        if kind == "object":
            return "object"
        if widget == "file":
            return "file"
        if kind == "array":
            items, _items_ui = self.items(schema, ui)
            if self.type_of(items) != "boolean" and self.choices(items, {}) is not None:
                return "multiselect" if widget == "select" else "checkboxes"
            return "rows"
        if kind == "boolean":
            return widget if widget in ("radio", "select") else "checkbox"
        if self.choices(schema, ui) is not None:
            return "radio" if widget == "radio" else "select"
        return "textarea" if widget == "textarea" else "input"

    def field_choices(self, schema: dict, ui: dict) -> list[tuple]:
        if self.type_of(schema) == "boolean" and self.choices(schema, ui) is None:
            return [(True, _("Yes")), (False, _("No"))]
        return self.choices(schema, ui) or []

    @staticmethod
    def input_type(schema: dict, ui: dict) -> str:
        widget, format_name = ui.get("ui:widget"), schema.get("format")
        if widget == "text":
            return "text"
        if widget == "date" or format_name == "date":
            return "date"
        return {"date-time": "datetime-local", "email": "email", "cn-mobile": "tel"}.get(format_name, "text")

    def row_is_stacked(self, items: dict, items_ui: dict) -> bool:
        """Rows whose item holds an object or an array are cards; others are table rows on a wide screen."""
        if self.type_of(items) != "object":
            return False
        return any(
            self.kind(prop, prop_ui) in ("object", "rows", "checkboxes", "multiselect")
            for _name, prop, prop_ui in self.properties(items, items_ui)
        )


class _FormBuilder(_SchemaWalk):
    """Decides what each field shows; the template draws it."""

    def __init__(self, form, errors: dict):
        super().__init__(form)
        self.ui_root = _ui(form.ui_schema)
        self.errors = {str(path): str(message) for path, message in (errors or {}).items()}
        self.shown: set[str] = set()
        self.defaults = not self.errors  # a page sent back shows what was sent, not the defaults again
        self.in_blank_row = False  # lists inside a blank row get one blank row of their own, no more
        self.expanding: list = []  # the $refs of the objects being shown, outermost first
        self.has_rows = False
        self.has_branches = False

    def build(self, values: dict, prefix: str) -> FormView:
        fields = self.object_fields(self.resolve(self.root), self.ui_root, values, "", prefix, False, 0)
        rest = [message for path, message in self.errors.items() if path not in self.shown]
        return FormView(fields=fields, errors=rest, has_rows=self.has_rows, has_branches=self.has_branches)

    def object_fields(self, schema, ui, values, path, name, readonly, depth) -> list[FieldView]:
        values = values if isinstance(values, dict) else {}
        required = set(schema.get("required") or [])
        readonly = readonly or bool(ui.get("ui:readonly"))
        self.expanding.append(schema.get(_FOLLOWED))
        branch_fields = self.branch_fields(schema)
        fields = []
        for key, prop, prop_ui in self.properties(schema, ui):
            # a field the ui schema keeps in view (a comment any choice may have) is not hidden with its branch
            conditions, required_in_branch = (
                ([], False) if prop_ui.get("ui:alwaysShown") else branch_fields.get(key, ([], False))
            )
            view = self.field(
                prop,
                prop_ui,
                values.get(key, _MISSING),
                _join(path, key),
                _join(name, key),
                key,
                key in required or required_in_branch,  # marked as required where it is shown
                readonly,
                depth,
            )
            if conditions and view.kind not in ("hidden", "none"):
                view.show_when = [
                    {**condition, "control": _join(name, condition["control"])} for condition in conditions
                ]
                self.has_branches = True
            fields.append(view)
        self.expanding.pop()
        return fields

    def field(self, schema, ui, value, path, name, key, required, readonly, depth) -> FieldView:
        kind = self.kind(schema, ui)
        if kind in ("object", "rows") and value in (_MISSING, None, {}, []) and self.refers_back(schema, ui, kind):
            kind = "none"  # a schema that refers to itself is offered one level deeper without values, no more
        if value is _MISSING and self.defaults and "default" in schema:
            value = schema["default"]
        view = FieldView(
            kind=kind,
            name=name,
            label=str(ui.get("ui:title") or schema.get("title") or key),
            help=[str(text) for text in (schema.get("description"), ui.get("ui:help")) if text],
            required=required,
            placeholder=str(ui.get("ui:placeholder") or ""),
            readonly=readonly or bool(ui.get("ui:readonly")) or schema.get("readOnly") is True,
        )
        if kind != "hidden":
            view.errors = self.take_errors(path, whole_array=kind in ("checkboxes", "multiselect", "file"))
        value = None if value is _MISSING else value
        if kind == "object":
            if depth < MAX_DEPTH:
                view.children = self.object_fields(schema, ui, value, path, name, view.readonly, depth + 1)
        elif kind == "rows":
            if depth < MAX_DEPTH:
                self.rows(view, schema, ui, value, path, depth)
        elif kind in ("select", "radio", "checkboxes", "multiselect"):
            options = (
                self.field_choices(*self.items(schema, ui))
                if kind in ("checkboxes", "multiselect")
                else self.field_choices(schema, ui)
            )
            chosen = {_shown(v) for v in value} if isinstance(value, list) else {_shown(value)}
            view.options = [Option(_shown(v), title, _shown(v) in chosen and value is not None) for v, title in options]
        elif kind == "checkbox":
            view.checked = value is True
        elif kind == "file":
            view.multiple = self.type_of(schema) == "array"
            chosen = value if isinstance(value, list) else [value]
            view.files_again = "、".join(f.filename for f in chosen if isinstance(f, FileStorage) and f.filename)
        else:
            view.input_type = self.input_type(schema, ui)
            view.value = _local_minute(value) if view.input_type == "datetime-local" else _shown(value)
            kind_of_value = self.type_of(schema)
            if kind_of_value == "integer":
                view.inputmode = "numeric"
            elif kind_of_value == "number" or schema.get("format") == "money-yuan":
                view.inputmode = "decimal"
            if schema.get("format") == "money-yuan":
                view.unit = _("yuan")
            options = ui.get("ui:options") if isinstance(ui.get("ui:options"), dict) else {}
            if isinstance(options.get("rows"), int) and 1 <= options["rows"] <= 40:
                view.textarea_rows = options["rows"]
        return view

    def rows(self, view: FieldView, schema, ui, value, path, depth) -> None:
        self.has_rows = True
        items, items_ui = self.items(schema, ui)
        view.stacked = self.row_is_stacked(items, items_ui)
        view.min_rows = _count(schema.get("minItems"), 0)
        view.max_rows = _count(schema.get("maxItems"), None)
        filled = value if isinstance(value, list) else []
        count = max(len(filled), view.min_rows, 1 if self.in_blank_row else 0)
        spares = 0 if view.readonly or self.in_blank_row else SPARE_ROWS  # no one adds rows to a read-only list
        if view.max_rows is not None:
            spares = max(0, min(spares, view.max_rows - count))
        key = str(items_ui.get("ui:title") or items.get("title") or view.label)
        for index in range(count + spares):
            item = filled[index] if index < len(filled) else _MISSING
            view.rows.append(
                self.row(
                    items,
                    items_ui,
                    item,
                    _join(path, str(index)),
                    f"{view.name}.{index}",
                    key,
                    index,
                    view.readonly,
                    depth,
                    spare=index >= count,
                )
            )
        view.next_index = count + spares
        saved, self.errors = self.errors, {}
        view.template = self.row(
            items,
            items_ui,
            _MISSING,
            _join(path, ROW_PLACEHOLDER),
            f"{view.name}.{ROW_PLACEHOLDER}",
            key,
            -1,
            view.readonly,
            depth,
            spare=False,
        )
        self.errors = saved

    def row(self, items, items_ui, item, path, name, key, index, readonly, depth, spare) -> Row:
        outer = self.defaults, self.in_blank_row
        self.defaults = self.defaults or item is _MISSING  # new rows get defaults
        self.in_blank_row = self.in_blank_row or item is _MISSING
        if self.type_of(items) == "object":
            readonly = readonly or bool(items_ui.get("ui:readonly"))
            fields = self.object_fields(
                items, items_ui, None if item is _MISSING else item, path, name, readonly, depth + 1
            )
        else:
            # not marked required: a blank row is dropped, never refused
            fields = [self.field(items, items_ui, item, path, name, key, False, readonly, depth + 1)]
        self.defaults, self.in_blank_row = outer
        error = None
        if path in self.errors and fields and self.type_of(items) == "object":
            error = self.take_errors(path)[0]
        return Row(number=index + 1, fields=fields, error=error, spare=spare)

    def refers_back(self, schema, ui, kind) -> bool:
        """Whether the object (or a list's row) is one that already encloses this field twice."""
        ref = (schema if kind == "object" else self.items(schema, ui)[0]).get(_FOLLOWED)
        return ref is not None and self.expanding.count(ref) >= 2

    def take_errors(self, path: str, whole_array: bool = False) -> list[str]:
        """The messages shown beside the field at `path` (and, for a list of choices or files, its items')."""
        paths = [p for p in self.errors if p == path or (whole_array and p.startswith(path + "."))]
        self.shown.update(paths)
        return [self.errors[p] for p in paths]


class _FormReader(_SchemaWalk):
    """Reads the fields the builder named back into values."""

    def __init__(self, form, formdata):
        super().__init__(form)
        self.formdata = formdata
        self.keys = list(formdata.keys())

    def read_object(self, schema, ui, name, required, depth):
        required_keys = set(schema.get("required") or [])
        values = {}
        for key, prop, prop_ui in self.properties(schema, ui):
            value = self.read(prop, prop_ui, _join(name, key), key in required_keys, depth)
            if value is not _MISSING:
                values[key] = value
        # an optional object left blank says nothing; a required one is kept so that its fields' errors show
        return values if required or not self.blank(values, schema) else _MISSING

    def read(self, schema, ui, name, required, depth):
        kind = self.kind(schema, ui)
        if kind == "object":
            return self.read_object(schema, ui, name, required, depth + 1) if depth < MAX_DEPTH else _MISSING
        if kind == "rows":
            return self.read_rows(schema, ui, name, depth) if depth < MAX_DEPTH else _MISSING
        if kind == "checkbox":
            return self.formdata.get(name) == CHECKED
        if kind == "file":
            files = [f for f in self.formdata.getlist(name) if isinstance(f, FileStorage) and f.filename]
            return files or _MISSING
        if kind in ("checkboxes", "multiselect"):
            items, items_ui = self.items(schema, ui)
            chosen = [
                self.typed(items, items_ui, raw.strip(), "select")
                for raw in self.formdata.getlist(name)
                if isinstance(raw, str) and raw.strip()
            ]
            return chosen or _MISSING
        raw = self.formdata.get(name)
        if not isinstance(raw, str) or not raw.strip():
            return _MISSING
        return self.typed(schema, ui, raw.strip(), kind)

    def typed(self, schema, ui, raw: str, kind: str):
        """The JSON value a non-empty posted string stands for; the string itself when it does not parse."""
        if kind in ("select", "radio"):
            for value, _title in self.field_choices(schema, ui):
                if _shown(value) == raw:
                    return value
            return raw
        kind_of_value = self.type_of(schema)
        if kind_of_value in ("integer", "number"):
            typed = unicodedata.normalize("NFKC", raw).replace(" ", "")
            try:
                if _INTEGER.fullmatch(typed):
                    return int(typed)
                if kind_of_value == "number" and _NUMBER.fullmatch(typed):
                    return Decimal(typed)
            except (ValueError, InvalidOperation):  # more digits than Python converts: not a number a person means
                pass
            return raw
        if kind_of_value == "boolean":
            return {"true": True, "false": False}.get(raw, raw)
        if self.input_type(schema, ui) == "datetime-local" and _LOCAL_MINUTE.fullmatch(raw):
            try:
                moment = datetime.fromisoformat(raw).replace(tzinfo=SHANGHAI)  # typed in Beijing time
            except ValueError:
                return raw
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return raw

    def read_rows(self, schema, ui, name, depth):
        items, items_ui = self.items(schema, ui)
        of_objects = self.type_of(items) == "object"
        rows = []
        for index in self.row_indices(name):
            if of_objects:  # the row's fields one level down, as _FormBuilder.row shows them
                value = self.read_object(items, items_ui, f"{name}.{index}", True, depth + 1)
            else:
                value = self.read(items, items_ui, f"{name}.{index}", False, depth + 1)
            if not self.blank(value, items):
                rows.append(value)
        return rows or _MISSING

    def row_indices(self, name: str) -> list[int]:
        """The numbers of the rows posted under `name` (gaps where rows were removed), in order."""
        start, found = name + ".", set()
        for key in self.keys:
            if key.startswith(start):
                head = key[len(start) :].split(".", 1)[0]
                if head.isascii() and head.isdigit() and len(head) <= 6 and (head == "0" or head[0] != "0"):
                    found.add(int(head))
        return sorted(found)

    def blank(self, value, schema) -> bool:
        """Whether a row holds nothing a person typed: only empty fields, unticked boxes and the defaults."""
        if value is _MISSING or value is False or (isinstance(value, (dict, list)) and not value):
            return True
        if "default" in schema and _shown(value) == _shown(schema["default"]):
            return True
        if isinstance(value, dict):
            props = {name: prop for name, prop, _ui_ in self.properties(schema, {})}
            return all(self.blank(v, props.get(k, {})) for k, v in value.items())
        return False


def _ui(ui) -> dict:
    return ui if isinstance(ui, dict) else {}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _count(value, otherwise):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else otherwise


def _shown(value) -> str:
    """A value as a field shows it and posts it."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _local_minute(value) -> str:
    """A stored date-time as a datetime-local field shows it: Beijing time to the minute."""
    if not isinstance(value, str) or not value:
        return _shown(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.strftime("%Y-%m-%dT%H:%M")


class SchemaTaskForm(FlaskForm):
    """The CSRF check of a page whose fields come from a package's JSON Schema (drawn by render_schema_form)."""
