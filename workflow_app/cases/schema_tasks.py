"""Tasks and starts whose form is a JSON Schema of their process package: the form, and the data it lets through.

The page and the API check what is sent with the same SchemaForm (forms.schema_forms), compiled once per process
version and file; a case keeps the forms of the version it started on.
"""
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from forms.schema_forms import SchemaForm, schema_form
from forms.schema_html import read_formdata
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.projections import json_safe
from workflow_app.engine.queries import (instance_spec_key, spec_form_files, start_form_files, task_form_files,
                                         version_json)


def _form_of(sha256: str, schema_name: str | None, ui_name: str | None) -> SchemaForm | None:
    if schema_name is None:
        return None
    return schema_form((sha256, schema_name, ui_name), version_json(sha256, schema_name),
                       version_json(sha256, ui_name) if ui_name else None)


def task_schema_form(task) -> SchemaForm | None:
    """The JSON Schema form a task row's user task names in its case's version; None for a WTForms task."""
    schema_name, ui_name = task_form_files(task)
    return _form_of(instance_spec_key(task.instance), schema_name, ui_name) if schema_name else None


def instance_schema_form(instance, bpmn_id: str | None) -> SchemaForm | None:
    """The JSON Schema form that a task (by its BPMN id) of a case's version names; None if it names none."""
    if not bpmn_id:
        return None
    key = instance_spec_key(instance)
    return _form_of(key, *spec_form_files(key, bpmn_id))


def start_schema_form(version) -> SchemaForm | None:
    """The JSON Schema form a process version's start event names; None if it names none."""
    return _form_of(version.sha256, *start_form_files(version))


def checked_data(form: SchemaForm, data) -> dict:
    """The data as task data stores it, if the form lets it through; else InvalidInput naming every field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(_l("'data' must be a JSON object of form fields"))
    errors = form.validate(data)
    if errors:
        raise InvalidInput(_l("Some fields are not filled in correctly"),
                           [{"field": path, "message": message} for path, message in errors.items()])
    return answer(form, data)


def answer(form: SchemaForm, values: dict) -> dict:
    """The task data a checked form gives: its values as stored, and None for each of its fields left empty, so that
    an answer given in an earlier round (a reason, on a step done again after a send-back) does not linger."""
    properties = form.schema.get("properties") or {}
    return {**{name: None for name in properties}, **form.stored_data(values)}


def take_files(form: SchemaForm, values: dict) -> tuple[dict, list[tuple[str, bytes]]]:
    """Take the files a form's `file` widgets posted out of its values: the values keep the files' names (what the
    schema checks and the case's data records: a list of names, or one name for a field of type string), the files
    themselves go to the case's attachments with the step (with the same type and size checks as any upload)."""
    files: list[tuple[str, bytes]] = []

    def take(value, schema):
        schema = schema if isinstance(schema, dict) else {}
        if isinstance(value, list) and value and all(isinstance(item, FileStorage) for item in value):
            files.extend((item.filename, item.read()) for item in value)
            names = [item.filename for item in value]
            return names[0] if schema.get("type") == "string" else names
        if isinstance(value, dict):
            properties = schema.get("properties") or {}
            return {key: take(item, properties.get(key)) for key, item in value.items()}
        if isinstance(value, list):
            return [take(item, schema.get("items")) for item in value]
        return value
    return take(values, form.schema), files


def posted_answer(form: SchemaForm, formdata) -> tuple[dict, list[tuple[str, bytes]], dict[str, str]]:
    """What a page posted to a form (`formdata`: the request's form and files): its values, with the names of the
    files its file widgets took in their place, those files, and what is wrong with the values."""
    values, files = take_files(form, read_formdata(form, formdata))
    return values, files, form.validate(values)


def form_values(form: SchemaForm, data) -> dict:
    """The values a form shows at first: what the case's data already holds for its fields (a step sent back keeps
    what was typed before)."""
    properties = form.schema.get("properties") or {}
    return json_safe({name: data[name] for name in properties if name in data and data[name] is not None})
