"""Issue 30.12, the enterprise's applications in the portal: what it sent is shown on its case page, it may withdraw
(撤回) an application until the agency takes it up, a second open application of the same thing is refused, amounts
and dates beyond the model's bounds are refused, and a refusal by the model's rules is said plainly."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.processes.test_installment_agreement import posted
from tests.processes.test_loan_extension import application as loan_application
from tests.processes.test_loan_extension import apply_in_portal, weigangdai
from workflow_app.cases.models import Case
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.extensions import db
from workflow_app.inbox.operations import claim_task, release_task


@pytest.fixture
def open_policy(bureau):
    """The installment policy extended to the end of next year (the package says the notice's 2023-12-31)."""
    from datetime import date

    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy

    open_installment_policy(date(local_today().year + 1, 12, 31))
    db.session.commit()


def english(client):
    client.post("/language/en")
    return client


def installment_cases():
    db.session.expire_all()
    return db.session.scalars(sa.select(Case).where(Case.process_id == "installment_agreement").order_by(Case.id)).all()


def apply_for_installments(client, **changes):
    response = client.post("/portal/apply/installment_agreement", data=posted(**changes))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return installment_cases()[-1]


def flashed(page: str) -> list[str]:
    return re.findall(r'<div class="alert alert-(\w+)" role="alert">([^<]*)</div>', page)


# ------------------------------------------------------------------------------------- what it sent


def test_the_case_page_shows_the_application_beside_the_agreement(create_agreement_case, client_as):
    """An installment case showed its agreement and hid the application that led to it."""
    case = create_agreement_case("drafted")
    page = client_as("ent_huayu").get(f"/portal/cases/{case.id}").get_data(as_text=True)
    application = page[page.index('id="application"') : page.index('id="schedule"')]
    assert "缓缴期满日期" in application and "一次性补缴的困难" in application and "订单减少" in application
    assert "1,000.00" in application or "1000.00" in application  # the pension deferred, by its title


def test_the_application_lists_the_files_sent_with_it(bureau, client_as):
    client = client_as("ent_huayu")
    assert apply_in_portal(client, loan_application(evidence=["回款明细.pdf", "银行流水.pdf"])).status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "loan_extension")).one()
    page = client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    files = page[page.index('id="application-files"') :]
    files = files[: files.index("</ul>")]
    assert "回款明细.pdf" in files and "银行流水.pdf" in files and "/portal/files/" in files


# ------------------------------------------------------------------------------------------ withdrawing


def test_an_application_is_withdrawn_before_the_agency_takes_it_up(open_policy, bureau, client_as):
    client = english(client_as("ent_huayu"))
    case = apply_for_installments(client)
    task_id = open_task_of(case).id
    page = client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert 'id="withdraw"' in page
    agency = english(client_as("agency"))
    assert f'data-task-id="{task_id}"' in agency.get("/inbox?queue=group").get_data(as_text=True)

    response = client.post(f"/portal/cases/{case.id}/withdraw", data={"reason": "已筹得资金，一次性补缴"})
    assert response.status_code == 302
    page = client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert ("success", f"Your application {case.number} has been withdrawn.") in flashed(page)
    assert 'id="withdraw"' not in page and 'id="withdrawn"' in page and "已筹得资金，一次性补缴" in page
    assert "Withdrawn" in page[page.index('id="case-state"') :][:200]

    db.session.expire_all()
    assert db.session.get(Case, case.id).instance.status == "cancelled"
    assert db.session.get(Task, task_id).state == "cancelled"
    withdrawn = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == "application_withdrawn")).one()
    assert withdrawn.actor_id == bureau["ent_huayu"].id and withdrawn.data == {"reason": "已筹得资金，一次性补缴"}
    assert f'data-task-id="{task_id}"' not in agency.get("/inbox?queue=group").get_data(as_text=True)
    staff_page = agency.get(f"/cases/{case.id}").get_data(as_text=True)
    header = staff_page[staff_page.index('id="case-withdrawn"') :][:600]
    assert "Withdrawn by the enterprise" in header and bureau["ent_huayu"].display_name in header
    assert "已筹得资金，一次性补缴" in header
    assert 'data-kind="application_withdrawn"' in staff_page  # and in the history, with its reason labelled
    assert "Application withdrawn by the enterprise" in staff_page


@pytest.mark.parametrize("taken_up", ["claimed", "claimed and released", "completed"])
def test_no_withdrawal_once_the_agency_has_taken_it_up(open_policy, bureau, client_as, taken_up):
    client = english(client_as("ent_huayu"))
    case = apply_for_installments(client)
    task = open_task_of(case)
    claim_task(task, bureau["agency"])
    if taken_up == "claimed and released":
        release_task(task, bureau["agency"])
    elif taken_up == "completed":
        from workflow_app.cases.task_handlers import submit_task

        submit_task(task.id, {"check_decision": "approve", "deferral_confirmed": True}, bureau["agency"])
    db.session.commit()
    assert 'id="withdraw"' not in client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    client.post(f"/portal/cases/{case.id}/withdraw", data={})
    page = client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert ("danger", "The agency has taken up your application; ask it to close the case instead") in flashed(page)
    db.session.expire_all()
    assert db.session.get(Case, case.id).instance.status == "running"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.kind == "application_withdrawn")) == 0


def test_a_case_the_agency_started_is_not_the_enterprises_to_withdraw(bureau, client_as):
    from workflow_app.cases.operations import start_process_case

    case = start_process_case(
        "health_check",
        {"enterprise_uscc": bureau["ent_huayu"].enterprise.uscc, "focus_items": None, "request_note": "年度计划体检"},
        bureau["kuiwen_handler"],
    )
    db.session.commit()
    client = english(client_as("ent_huayu"))
    assert 'id="withdraw"' not in client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    client.post(f"/portal/cases/{case.id}/withdraw", data={})
    db.session.expire_all()
    assert db.session.get(Case, case.id).instance.status == "running"


def test_another_enterprise_cannot_withdraw_it(open_policy, bureau, client_as):
    case = apply_for_installments(client_as("ent_huayu"))
    assert client_as("ent_lvyuan").post(f"/portal/cases/{case.id}/withdraw", data={}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, case.id).instance.status == "running"


def test_a_reason_too_long_withdraws_nothing(open_policy, bureau, client_as):
    client = english(client_as("ent_huayu"))
    case = apply_for_installments(client)
    client.post(f"/portal/cases/{case.id}/withdraw", data={"reason": "很" * 501})
    db.session.expire_all()
    assert db.session.get(Case, case.id).instance.status == "running"


# ------------------------------------------------------------------------------------------- duplicates


def test_a_second_open_application_for_the_same_deferral_is_refused(open_policy, bureau, client_as):
    client = english(client_as("ent_huayu"))
    first = apply_for_installments(client)
    for _attempt in range(2):
        response = client.post("/portal/apply/installment_agreement", data=posted())
        assert response.status_code == 422
        [message] = [text for kind, text in flashed(response.get_data(as_text=True)) if kind == "danger"]
        assert first.number in message and "is still open" in message
    assert len(installment_cases()) == 1
    # another deferral's application is another matter; once the first is withdrawn, it may be made again
    from datetime import timedelta

    from workflow_app.core.time import local_today

    apply_for_installments(client, deferral_end_date=(local_today() - timedelta(days=400)).isoformat())
    assert client.post(f"/portal/cases/{first.id}/withdraw", data={}).status_code == 302
    apply_for_installments(client)
    assert len(installment_cases()) == 3


def test_a_second_open_loan_extension_of_the_same_contract_is_refused(bureau, client_as):
    client = client_as("ent_huayu")
    assert apply_in_portal(client, loan_application()).status_code == 302
    again = apply_in_portal(client, loan_application(months_requested=3))
    assert again.status_code == 422
    [message] = [text for kind, text in flashed(again.get_data(as_text=True)) if kind == "danger"]
    assert "借款合同编号 WF-CDB-2023-0182" in message
    assert apply_in_portal(client, loan_application(contract_no="WF-CDB-2023-0199")).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2


def test_the_api_refuses_the_second_application_too(app, open_policy, bureau):
    from tests.api.conftest import ApiClient
    from tests.processes.test_installment_agreement import application
    from workflow_app.auth.operations import create_api_token

    _row, token = create_api_token(bureau["ent_huayu"], "applications")
    db.session.commit()
    api = ApiClient(app.test_client(), token, "en")
    body = {"process": "installment_agreement", "data": application()}
    assert api.post("/cases", body).status_code == 201
    refused = api.post("/cases", body)
    assert refused.status_code == 422 and "is still open" in refused.get_json()["message"]
    assert len(installment_cases()) == 1


@pytest.mark.parametrize("given", ['"yes"', "[]", '["contract no"]', "3"])
def test_a_package_saying_oneopencase_wrongly_is_refused(app, given, tmp_path):
    import shutil
    from pathlib import Path

    from workflow_app.core.errors import InvalidInput

    package = tmp_path / "loan_extension"
    shutil.copytree(Path(app.config["BPMN_DIR"]) / "loan_extension", package)
    model = package / "process_model.json"
    model.write_text(model.read_text().replace('["contract_no"]', given))
    with pytest.raises(InvalidInput) as refused:
        deploy_sources(read_sources([package]))
    [problem] = [problem for problem in refused.value.details if "oneOpenCasePerEnterprise" in problem]
    assert problem.startswith("loan_extension/process_model.json") and '["contract_no"]' in problem


# ---------------------------------------------------------------------------------------------- bounds


def test_amounts_and_dates_beyond_the_models_bounds_are_refused(open_policy, bureau, client_as):
    client = english(client_as("ent_huayu"))
    response = client.post(
        "/portal/apply/installment_agreement",
        data=posted(pension_yuan="99999999999.00", injury_yuan="1000000000.01", deferral_end_date="1900-01-01"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "must be at most 1,000,000,000.00 yuan" in page
    assert "cannot be before 2020-01-01" in page
    assert installment_cases() == []
    apply_for_installments(client, pension_yuan="1000000000.00", deferral_end_date="2020-01-01")  # the bounds


# ------------------------------------------------------------------------------------ refused at once


def test_an_automatic_refusal_is_said_plainly_with_the_reason_and_what_to_do(bureau, client_as):
    client = client_as("ent_huayu")
    response = apply_in_portal(client, weigangdai(headcount_last_year_end=70, headcount_year_before=78, employees=72))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    [(kind, message)] = flashed(page)
    assert kind == "info" and "已提交" not in message  # no green "submitted" before a refusal
    assert "展期未获批准：上年度用工人数减少（上年末少于前年末）" in message
    assert "按潍岗贷条件自动审核" in message and "请核对就业登记后重新申请" in message
