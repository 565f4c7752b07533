"""The processes staff start from the case list, each with its form, its start operation and who may.

Who may start a process and its label come from its model (engine.process_facts): the roles its start event's
`startableBy` names, else its lane's (admins only when it has none). A process is started with its start event's
JSON Schema form, if it names one, and a title; through the API, with a JSON object of start variables; plus the
enterprise's code when its model names an enterpriseField that the form does not hold itself.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.schema_forms import SchemaForm
from workflow_app.cases.operations import start_generic_case
from workflow_app.cases.schema_tasks import start_schema_form
from workflow_app.core.uscc import normalise_uscc, uscc_problem
from workflow_app.engine.queries import latest_version, process_facts, startable_versions


@dataclass(frozen=True)
class StartableProcess:
    process_id: str
    label: str
    roles: frozenset
    form_class: type
    start: Callable  # (form, actor[, values of the JSON Schema form]) -> Case
    form_kwargs: Callable = lambda user: {}
    free_data: bool = False  # the API may send any JSON object of start variables (processes without a start form)
    schema: SchemaForm | None = None  # the start event's JSON Schema form, whose values the start gets besides
    start_fields: Callable = lambda form, values: dict(values)  # (form, values) -> the data the case starts with


class GenericStartForm(FlaskForm):
    """The start form of a process that has none of its own: a title for the case."""

    title = StringField(
        _l("Title of the case"),
        validators=[Optional(), Length(max=300)],
        description=_l("Left empty: the title the process gives, else its name."),
    )

    def task_data(self) -> dict:
        return {"title": (self.title.data or "").strip()}


class EnterpriseStartForm(GenericStartForm):
    """The start form of a process without one of its own whose cases belong to an enterprise (enterpriseField)."""

    enterprise_uscc = StringField(
        _l("Enterprise (unified social credit code)"),
        filters=[normalise_uscc],
        validators=[DataRequired(), Length(min=18, max=18)],
        description=_l("The 18-character code of the enterprise the case is about."),
    )

    def validate_enterprise_uscc(self, field):
        problem = uscc_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def task_data(self) -> dict:
        return {**super().task_data(), "enterprise_uscc": normalise_uscc(self.enterprise_uscc.data)}


def _startable(version) -> StartableProcess:
    facts = process_facts(version)
    process_id, field, schema = facts.process_id, facts.enterprise_field, start_schema_form(version)
    # the enterprise's code is asked for beside the start form, unless the form holds that field itself
    asks_code = bool(field) and field not in ((schema.schema.get("properties") or {}) if schema else {})

    def start_fields(form, values=None):
        data = form.task_data()
        if asks_code:
            data[field] = data.pop("enterprise_uscc")
        # a schema's field left empty (None) does not undo what the page's own fields gave (the enterprise's code)
        typed = {key: value for key, value in (values or {}).items() if value is not None or key not in data}
        return {**data, **typed}

    def start(form, actor, values=None):
        return start_generic_case(process_id, start_fields(form, values), actor)

    return StartableProcess(
        process_id,
        facts.label,
        facts.startable_by,
        EnterpriseStartForm if asks_code else GenericStartForm,
        start,
        free_data=True,
        schema=schema,
        start_fields=start_fields,
    )


def startable_by(user) -> list[StartableProcess]:
    """The processes this user may start from the staff side (enterprises apply in the portal)."""
    if user.enterprise_id is not None:
        return []
    return [p for p in map(_startable, startable_versions()) if p.roles & user.role_names]


def startable_process(process_id: str) -> StartableProcess | None:
    """The process by id, if it is deployed."""
    version = latest_version(process_id)
    return _startable(version) if version is not None else None
