"""The processes staff start from the case list, each with its form, its start operation and who may.

The bureau's processes have their own registration forms. Any other deployed process (any valid
BPMN) may be started by the holders of its start event's lane role (admins only when it has no
lanes), with a title and, through the API, a JSON object of start variables.
"""
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from forms.health_check import HealthCheckStartForm
from forms.referral import ReferralRegistrationForm
from workflow_app.cases.operations import CASE_PREFIXES, register_referral, start_generic_case, start_health_check
from workflow_app.engine.queries import latest_version, list_latest_versions, start_lane


@dataclass(frozen=True)
class StartableProcess:
    process_id: str
    label: str
    roles: frozenset
    form_class: type
    start: Callable  # (form, actor) -> Case
    form_kwargs: Callable = lambda user: {}
    free_data: bool = False  # the API may send any JSON object of start variables (processes without a start form)


STARTABLE = {
    "referral": StartableProcess(
        "referral", _l("Register a problem/need referral (问题需求转办)"), frozenset({"dispatcher"}),
        ReferralRegistrationForm, lambda form, actor: register_referral(form.task_data(), actor)),
    "health_check": StartableProcess(
        "health_check", _l("Plan a labour-rules health check (劳动规章制度体检)"), frozenset({"county_handler", "specialist"}),
        HealthCheckStartForm, lambda form, actor: start_health_check(form.enterprise.data, actor),
        lambda user: {"county_id": user.org_unit_id}),
}


class GenericStartForm(FlaskForm):
    """The start form of a process that has none of its own: a title for the case."""

    title = StringField(_l("Title of the case"), validators=[Optional(), Length(max=300)],
                        description=_l("Left empty: the process id."))

    def task_data(self) -> dict:
        return {"title": (self.title.data or "").strip()}


def _generic(version) -> StartableProcess:
    lane = start_lane(version)
    process_id = version.process_id
    return StartableProcess(process_id, version.name or process_id, frozenset({lane} if lane else {"admin"}),
                            GenericStartForm, lambda form, actor: start_generic_case(process_id, form.task_data(), actor),
                            free_data=True)


def startable_by(user) -> list[StartableProcess]:
    """The processes this user may start from the staff side (enterprises apply in the portal)."""
    if user.enterprise_id is not None:
        return []
    generic = [_generic(v) for v in list_latest_versions() if v.process_id not in CASE_PREFIXES]
    return [p for p in [*STARTABLE.values(), *generic] if p.roles & user.role_names]


def startable_process(process_id: str) -> StartableProcess | None:
    """The process by id, if it is deployed (bureau processes: if they have a staff start form)."""
    if process_id in STARTABLE:
        return STARTABLE[process_id]
    if process_id in CASE_PREFIXES:
        return None
    version = latest_version(process_id)
    return _generic(version) if version is not None else None
