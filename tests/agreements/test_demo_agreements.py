"""The demo's agreements: one in each state, one ended by default whose late fee runs, under a policy the demo extends
(the package says the notice's 2023-12-31)."""

from datetime import date

import sqlalchemy as sa

from tests.conftest import open_task_of
from workflow_app.agreements.models import Agreement
from workflow_app.agreements.queries import agreement_late_fees, current_agreement
from workflow_app.auth.models import User
from workflow_app.cases.task_handlers import submit_task
from workflow_app.core.time import local_today
from workflow_app.demo import open_installment_policy, seed_agreements
from workflow_app.engine.queries import current_data, newest_stored_version
from workflow_app.extensions import db


def step(case, bpmn_id, username, data):
    user = db.session.scalar(sa.select(User).where(User.username == username))
    submit_task(open_task_of(case, bpmn_id).id, data, user, client_ip="127.0.0.1")


def test_the_demo_has_an_agreement_in_each_state_and_one_ended_by_default(bureau):
    shipped = newest_stored_version("installment_agreement").version
    waiting, to_sign, active, defaulted = seed_agreements(step)
    db.session.commit()
    assert newest_stored_version("installment_agreement").version == shipped + 1  # the policy extended once
    assert not open_installment_policy(date(local_today().year + 1, 12, 31))  # and not again
    assert current_data(waiting.instance)["policy_deadline"] == f"{local_today().year + 1}-12-31"
    assert open_task_of(waiting).bpmn_id == "agency_check"
    assert [current_agreement(case.id).status for case in (to_sign, active, defaulted)] == [
        "awaiting_signature",
        "active",
        "defaulted",
    ]
    agreement = current_agreement(defaulted.id)
    assert agreement.signer_name == "王建华" and agreement.installments[0].paid_on is not None
    fees = agreement_late_fees(agreement, local_today())
    assert [line.installment.seq for line in fees.lines] == [2] and fees.total_fen > 0 and fees.lines[0].days > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agreement)) == 3
