"""What an enterprise can apply for in the portal: each with its form and the operation that starts the case.

Which processes these are comes from their models (engine.process_facts): those whose start event says
portalApplication="true", with the process's label and the start event's documentation as the explanation.
A process is applied for with its start event's JSON Schema form (its values are the start data; the files its
file widgets take, the case's first attachments), or with no data when it names none; the case belongs to the
applicant's enterprise.
"""

from collections.abc import Callable
from dataclasses import dataclass

from forms.schema_forms import SchemaForm
from workflow_app.cases.operations import start_generic_case
from workflow_app.cases.schema_tasks import start_schema_form
from workflow_app.engine.queries import latest_version, process_facts, startable_versions
from workflow_app.portal.forms import ApplicationForm


@dataclass(frozen=True)
class Application:
    process_id: str
    label: str
    explanation: str
    form_class: type
    start: Callable  # (form, user[, values of the JSON Schema form]) -> Case
    free_data: bool = False  # the API may send any JSON object of start variables (processes without a form)
    schema: SchemaForm | None = None  # the start event's JSON Schema form, whose values the start gets besides


def _application(version) -> Application:
    facts = process_facts(version)
    process_id = facts.process_id

    def start(form, user, values=None):
        return start_generic_case(process_id, {**form.task_data(), **(values or {})}, user)

    return Application(
        process_id,
        facts.label,
        facts.description or "",
        ApplicationForm,
        start,
        free_data=True,
        schema=start_schema_form(version),
    )


def portal_applications() -> list[Application]:
    """The deployed processes an enterprise may apply for (portalApplication), by process id."""
    return [_application(version) for version in startable_versions() if process_facts(version).portal_application]


def portal_application(process_id: str) -> Application | None:
    """The process by id, if it is deployed and enterprises may apply for it."""
    version = latest_version(process_id)
    return _application(version) if version is not None and process_facts(version).portal_application else None
