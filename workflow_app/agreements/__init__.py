"""Installment agreements (缓缴社保费分期补缴协议): schedules, agreement text, signatures, payments."""

from workflow_app.agreements import operations, routes
from workflow_app.agreements.queries import case_agreement_values
from workflow_app.cases.case_page import register_case_page_values
from workflow_app.cases.task_handlers import register_task_handler

# the operations an installment agreement's user tasks name in their `operation` property
TASK_OPERATIONS = {
    "draft_installment_agreement": operations.draft_agreement,
    "sign_installment_agreement": operations.sign_agreement,
    "countersign_installment_agreement": operations.countersign_agreement,
    "record_installment_payment": operations.record_payment,
}


def init_app(app) -> None:
    """Add the agreement pages, the steps' operations, the receivers that close agreements and tell enterprises, and
    a case's agreement on its page."""
    app.register_blueprint(routes.bp)
    for name, operation in TASK_OPERATIONS.items():
        register_task_handler(name)(operation)
    operations.follow_the_engine()
    register_case_page_values(case_agreement_values)
