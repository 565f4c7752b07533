"""Tasks and starts whose form is a JSON Schema of their process package: the form, and the data it lets through.

The page and the API check what is sent with the same SchemaForm (forms.schema_forms), compiled once per process
version and file; a case keeps the forms of the version it started on.
"""

from collections.abc import Callable, Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from forms import known_form_keys
from forms.rules import FormContext
from forms.schema_forms import SchemaForm, schema_form
from forms.schema_html import read_formdata
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Case
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import local_today
from workflow_app.core.uscc import uscc_problem
from workflow_app.engine.projections import json_safe
from workflow_app.engine.queries import (
    DataOnFirstRead,
    form_key_files,
    instance_spec_key,
    latest_process_facts,
    process_facts,
    spec_form_files,
    start_form_files,
    task_form_files,
    version_json,
)
from workflow_app.extensions import db


def _form_of(sha256: str, schema_name: str | None, ui_name: str | None) -> SchemaForm | None:
    if schema_name is None:
        return None
    return schema_form(
        (sha256, schema_name, ui_name),
        version_json(sha256, schema_name),
        version_json(sha256, ui_name) if ui_name else None,
    )


def replacement_form(process_id: str, form_key: str | None) -> SchemaForm | None:
    """The JSON Schema form that takes the place of an old version's formKey whose hand-written form is gone: the
    file the newest deployed version of the process names for it in its package's form_keys (with the ui schema of
    that name); None for a formKey that still has its form class, or that the package does not name."""
    if not form_key or form_key in known_form_keys():
        return None
    found = form_key_files(process_id, form_key)
    return _form_of(*found) if found else None


def task_schema_form(task) -> SchemaForm | None:
    """The JSON Schema form a task row's user task names in its case's version (or, for an old formKey whose class
    is gone, the one its package's form_keys put in its place); None for a WTForms task."""
    if task.form_key:
        return replacement_form(task.instance.process_id, task.form_key)
    schema_name, ui_name = task_form_files(task)
    return _form_of(instance_spec_key(task.instance), schema_name, ui_name) if schema_name else None


def instance_schema_form(instance, bpmn_id: str | None) -> SchemaForm | None:
    """The JSON Schema form that a task (by its BPMN id) of a case's version names; None if it names none."""
    if not bpmn_id:
        return None
    key = instance_spec_key(instance)
    return _form_of(key, *spec_form_files(key, bpmn_id))


def start_schema_form(version) -> SchemaForm | None:
    """The JSON Schema form a process version's start event names (or, for an old formKey whose class is gone, the
    one its package's form_keys put in its place); None if it names none."""
    schema_name, ui_name = start_form_files(version)
    if schema_name:
        return _form_of(version.sha256, schema_name, ui_name)
    return replacement_form(version.process_id, process_facts(version).start_form_key)


def task_form_context(task, actor, case: Case | None = None) -> FormContext:
    """What the rules of a task's form may consult: its case's data (read only if a rule reads it), the case's
    enterprise, today and the user who sends the form."""
    if case is None:
        case = db.session.scalar(sa.select(Case).where(Case.instance_id == task.instance_id))
    enterprise = db.session.get(Enterprise, case.enterprise_id) if case and case.enterprise_id else None
    return FormContext(
        case_data=DataOnFirstRead(task), enterprise=enterprise, today=local_today(), actor=_the_user(actor)
    )


def start_form_context(actor, process_id: str, fields: Mapping) -> FormContext:
    """What the rules of a start form may consult: no case data yet; the enterprise an enterprise account applies
    for, else the registered one whose code the start field of the model's enterpriseField holds in `fields` (None
    when none does: starting refuses that itself); today; the user."""
    enterprise = None
    if actor.enterprise_id is not None:
        enterprise = db.session.get(Enterprise, actor.enterprise_id)
    else:
        facts = latest_process_facts(process_id)
        uscc = fields.get(facts.enterprise_field) if facts and facts.enterprise_field else None
        if isinstance(uscc, str) and not uscc_problem(uscc.strip().upper()):
            enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc.strip().upper()))
    return FormContext(case_data={}, enterprise=enterprise, today=local_today(), actor=_the_user(actor))


def _the_user(actor):
    """The user row itself, not Flask-Login's current_user proxy (which names whoever asks when it is read)."""
    return actor._get_current_object() if hasattr(actor, "_get_current_object") else actor


def checked_data(form: SchemaForm, data, context: FormContext | None = None) -> dict:
    """The data as task data stores it, if the form (and the rules it names, seeing `context`) lets it through;
    else InvalidInput naming every field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(_l("'data' must be a JSON object of form fields"))
    errors = form.validate(data, context)
    if errors:
        raise InvalidInput(
            _l("Some fields are not filled in correctly"),
            [{"field": path, "message": message} for path, message in errors.items()],
        )
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


def posted_answer(
    form: SchemaForm, formdata, context: FormContext | Callable[[dict], FormContext] | None = None
) -> tuple[dict, list[tuple[str, bytes]], dict[str, str]]:
    """What a page posted to a form (`formdata`: the request's form and files): its values, with the names of the
    files its file widgets took in their place, those files, and what is wrong with the values (the rules see
    `context`, or what `context` gives for the values: a start's enterprise may be one of its fields)."""
    values, files = take_files(form, read_formdata(form, formdata))
    return values, files, form.validate(values, context(values) if callable(context) else context)


def form_values(form: SchemaForm, data) -> dict:
    """The values a form shows at first: what the case's data already holds for its fields (a step sent back keeps
    what was typed before)."""
    properties = form.schema.get("properties") or {}
    return json_safe({name: data[name] for name in properties if name in data and data[name] is not None})
