"""A case of the version deployed before the package (d720d35's installment_agreement.bpmn, whose steps named the
hand-written forms by formKey and whose model said no operation, notice or agreement status) runs on after the
package is deployed: its steps' operations, its timers' notices and its end's agreement status are the newest
version's for the same step (engine.queries.model_property)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from wtforms import StringField

from forms import FORM_CLASSES
from forms.base import TaskForm
from tests.conftest import DATA, open_task_of
from tests.processes.conftest import fire_timers_when_due
from tests.processes.test_installment_agreement import move_to
from workflow_app.agreements.queries import agreement_late_fees, current_agreement
from workflow_app.cases.operations import start_generic_case
from workflow_app.cases.task_handlers import submit_task, task_operation
from workflow_app.core.time import local_today
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.queries import CASE_DECIDED, TASK_KINDS

OLD_FORM_KEYS = (
    "installment_apply",
    "installment_check",
    "installment_schedule",
    "installment_sign",
    "installment_countersign",
    "installment_payment",
)


class _GoneForm(TaskForm):
    """Stands for a hand-written form of the old version while it is deployed (the classes are gone since)."""

    anything = StringField()


def step(case, bpmn_id, user, data):
    submit_task(open_task_of(case, bpmn_id).id, data, user, client_ip="127.0.0.1")
    db.session.commit()


def test_an_old_versions_case_drafts_signs_pays_and_defaults_through_the_newest_models_steps(app, bureau, clock):
    for key in OLD_FORM_KEYS:
        FORM_CLASSES[key] = _GoneForm
    try:
        deploy_sources({"installment_agreement.bpmn": (DATA / "installment_agreement_v1.bpmn").read_bytes()})
        db.session.commit()
    finally:
        for key in OLD_FORM_KEYS:
            del FORM_CLASSES[key]
    huayu = bureau["ent_huayu"]
    huayu.enterprise.legal_representative = "王建华"
    today = local_today()
    case = start_generic_case(
        "installment_agreement",
        {  # as d720d35's apply_for_installment_agreement started it
            "pension_fen": 6_000_000,
            "unemployment_fen": 300_000,
            "injury_fen": 0,
            "deferred_total_fen": 6_300_000,
            "deferral_end_date": str(today - timedelta(days=10)),
            "hardship_reason": "订单减少",
            "proposed_installments": 2,
            "policy_deadline": f"{today.year + 1}-12-31",
        },
        huayu,
    )
    db.session.commit()
    step(
        case,
        "agency_check",
        bureau["agency"],
        {"check_decision": "approve", "deferral_confirmed": True, "check_opinion": None},
    )
    assert open_task_of(case, "draft_schedule").form_key == "installment_schedule"

    deploy_sources(read_sources([Path(app.config["BPMN_DIR"]) / "installment_agreement"]))  # the package again
    db.session.commit()
    task = open_task_of(case, "draft_schedule")
    assert task_operation(task) == "draft_installment_agreement"  # the newest version's step of that id
    step(
        case,
        "draft_schedule",
        bureau["agency"],
        {"installment_count": 2, "first_due_date": str(today + timedelta(days=20))},
    )
    agreement = current_agreement(case.id)
    assert (
        agreement.status == "awaiting_signature" and "合计：63,000.00 元（大写：人民币陆万叁仟元整）" in agreement.text
    )
    step(
        case,
        "sign",
        huayu,
        {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "王建华", "decline_reason": None},
    )
    step(case, "countersign", bureau["agency"], {"countersign_confirmed": True})
    first = current_agreement(case.id).installments[0]
    move_to(clock, datetime.combine(first.due_date + timedelta(days=1), datetime.min.time(), UTC))
    fire_timers_when_due(0)
    move_to(clock, datetime.combine(first.due_date + timedelta(days=16), datetime.min.time(), UTC))
    fire_timers_when_due(0)
    agreement = current_agreement(case.id)
    assert agreement.status == "defaulted"  # the newest end event's agreementStatus
    kinds = db.session.scalars(  # the timers' notices, not those of the tasks each step opens (tests/notifications)
        sa.select(Notification.kind)
        .where(Notification.user_id == huayu.id, Notification.kind.not_in((*TASK_KINDS, CASE_DECIDED)))
        .order_by(Notification.id)
    ).all()
    assert kinds == ["installment_missed", "agreement_defaulted"]  # the newest timers' enterpriseNotice
    # the old model set no late-fee terms: nothing is computed for it (the terms are the model's, not Python's)
    assert agreement_late_fees(agreement, local_today()) is None
