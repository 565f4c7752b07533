"""The processes staff start from the case list, each with its form, its start operation and who may."""
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l

from forms.health_check import HealthCheckStartForm
from forms.referral import ReferralRegistrationForm
from workflow_app.cases.operations import register_referral, start_health_check


@dataclass(frozen=True)
class StartableProcess:
    process_id: str
    label: str
    roles: frozenset
    form_class: type
    start: Callable  # (form, actor) -> Case
    form_kwargs: Callable = lambda user: {}


STARTABLE = {
    "referral": StartableProcess(
        "referral", _l("Register a problem/need referral (问题需求转办)"), frozenset({"dispatcher"}),
        ReferralRegistrationForm, lambda form, actor: register_referral(form.task_data(), actor)),
    "health_check": StartableProcess(
        "health_check", _l("Plan a labour-rules health check (劳动规章制度体检)"), frozenset({"county_handler", "specialist"}),
        HealthCheckStartForm, lambda form, actor: start_health_check(form.enterprise.data, actor),
        lambda user: {"county_id": user.org_unit_id}),
}


def startable_by(user) -> list[StartableProcess]:
    """The processes this user may start from the staff side (enterprises apply in the portal)."""
    if user.enterprise_id is not None:
        return []
    return [p for p in STARTABLE.values() if p.roles & user.role_names]
