"""What the agreements domain does for a process comes from its model, not from its process id: the user tasks name
the operations that complete them (`operation`), the timer events what they tell the enterprise (`enterpriseNotice`),
the end events what the agreement becomes (`agreementStatus`). Deploying refuses an operation no domain registered."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.processes.conftest import fire_timers_when_due, submit
from tests.processes.test_installment_agreement import application, move_to
from workflow_app.agreements.queries import agreement_late_fees, current_agreement
from workflow_app.cases.operations import start_generic_case
from workflow_app.cases.schema_tasks import checked_data, start_form_context, start_schema_form
from workflow_app.core.errors import InvalidInput
from workflow_app.core.money import format_yuan
from workflow_app.core.time import local_today
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import current_data, latest_version
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.queries import CASE_DECIDED, TASK_KINDS

PILOT = "installment_pilot"


def package(app, **replacements):
    """bpmn/installment_agreement/ with texts replaced in every file, its policy open until the end of next year."""
    sources = read_sources([Path(app.config["BPMN_DIR"]) / "installment_agreement"])
    replacements.setdefault('"2023-12-31"', f'"{local_today().year + 1}-12-31"')
    changed = {}
    for name, content in sources.items():
        text = content.decode("utf-8")
        for old, new in replacements.items():
            text = text.replace(old, new)
        changed[name] = text.encode("utf-8")
    return changed


def test_a_copy_of_the_package_under_another_id_keeps_its_agreement_and_notices(app, bureau, clock, client_as):
    deploy_sources(package(app, **{'"installment_agreement"': f'"{PILOT}"', "分期补缴协议": "分期补缴协议（试点）"}))
    db.session.commit()
    huayu = bureau["ent_huayu"]
    huayu.enterprise.legal_representative = "王建华"
    values = application()
    case = start_generic_case(
        PILOT,
        checked_data(start_schema_form(latest_version(PILOT)), values, start_form_context(huayu, PILOT, values)),
        huayu,
    )
    db.session.commit()
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": True})
    submit(
        case,
        "draft_schedule",
        bureau["agency"],
        {"installment_count": 2, "first_due_date": str(local_today() + timedelta(days=20))},
    )
    submit(case, "sign", huayu, {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "王建华"})
    submit(case, "countersign", bureau["agency"], {"countersign_confirmed": True})
    agreement = current_agreement(case.id)
    assert agreement.status == "active" and case.process_id == PILOT
    first = agreement.installments[0]
    move_to(clock, datetime.combine(first.due_date + timedelta(days=1), datetime.min.time(), UTC))
    fire_timers_when_due(0)
    move_to(clock, datetime.combine(first.due_date + timedelta(days=16), datetime.min.time(), UTC))
    fire_timers_when_due(0)
    assert current_data(case.instance)["outcome"] == "defaulted"
    db.session.refresh(agreement)
    assert agreement.status == "defaulted"  # the end event's agreementStatus
    kinds = db.session.scalars(  # the timers' notices, not those of the tasks each step opens (tests/notifications)
        sa.select(Notification.kind)
        .where(Notification.user_id == huayu.id, Notification.kind.not_in((*TASK_KINDS, CASE_DECIDED)))
        .order_by(Notification.id)
    ).all()
    assert kinds == ["installment_missed", "agreement_defaulted"]  # the timers' enterpriseNotice
    fee = agreement_late_fees(agreement, local_today())
    page = client_as("agency").get(f"/cases/{case.id}").get_data(as_text=True)
    assert fee.total_fen > 0 and f'id="late-fee-total">{format_yuan(fee.total_fen)}</th>' in page


def test_deploying_refuses_an_operation_no_domain_registered(app, bureau):
    with pytest.raises(InvalidInput) as refused:
        deploy_sources(package(app, **{'value="draft_installment_agreement"': 'value="draft_agreemnt"'}))
    [problem] = [line for line in refused.value.details if "draft_agreemnt" in line]
    assert "UserTask 'draft_schedule'" in problem and "draft_installment_agreement" in problem  # the known ones
