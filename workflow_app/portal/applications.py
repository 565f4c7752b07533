"""What an enterprise can apply for in the portal: each with its form and the operation that starts the case."""
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l

from forms.installment_agreement import InstallmentApplicationForm
from forms.loan_extension import LoanExtensionApplicationForm
from workflow_app.agreements.operations import apply_for_installment_agreement
from workflow_app.cases.operations import apply_for_loan_extension, start_health_check
from workflow_app.portal.forms import HealthCheckRequestForm


@dataclass(frozen=True)
class Application:
    process_id: str
    label: str
    explanation: str
    form_class: type
    start: Callable  # (form, user) -> Case


APPLICATIONS = {
    "installment_agreement": Application(
        "installment_agreement", _l("Pay deferred social insurance in installments"),
        _l("If paying the deferred contributions at once is hard, sign an agreement with the agency and pay them in "
           "installments; no late fees are charged during the installment period."),
        InstallmentApplicationForm, lambda form, user: apply_for_installment_agreement(
            form.task_data(), user, {"policy_deadline": current_app.config["INSTALLMENT_POLICY_DEADLINE"]})),
    "loan_extension": Application(
        "loan_extension", _l("Extend the repayment of a loan"),
        _l("If a temporary difficulty keeps you from repaying an entrepreneurship guarantee loan or a 潍岗贷 loan "
           "on time, ask for an extension of up to 12 months."),
        LoanExtensionApplicationForm, lambda form, user: apply_for_loan_extension(form.task_data(), user)),
    "health_check": Application(
        "health_check", _l("Ask for a labour-rules health check"),
        _l("The county checks your workplace rules, contracts, working time, wages and social insurance against the "
           "labour laws, and suggests how to prevent and resolve the risks it finds."),
        HealthCheckRequestForm, lambda form, user: start_health_check(user.enterprise_id, user)),
}
