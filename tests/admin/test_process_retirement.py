"""Retiring a process: no new cases from anywhere (the staff's start page, the portal, the API, the engine), the
running cases go on to their end; reinstating it takes new cases again."""

import pytest
import sqlalchemy as sa

from tests.admin.conftest import shown
from tests.api.conftest import api_as, create_token  # noqa: F401  (fixtures)
from tests.conftest import open_task_of
from workflow_app.cases.models import Case
from workflow_app.engine.models import RetiredProcess
from workflow_app.engine.operations import ProcessRetired, complete_task, retire_process, start_instance
from workflow_app.extensions import db


def cases_of(process_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.process_id == process_id))


def retire(client_as, process_id, action="retire"):
    admin = client_as("admin")
    page = admin.get("/admin/processes").get_data(as_text=True)
    assert f'action="/admin/processes/{process_id}/{action}"' in page
    return admin.post(f"/admin/processes/{process_id}/{action}", follow_redirects=True)


def test_a_retired_process_leaves_the_start_lists_and_refuses_a_start(bureau, referral, client_as, api_as):
    response = retire(client_as, "referral")
    html = response.get_data(as_text=True)
    assert (
        shown(
            "%(process)s is retired: no new case can start; the running ones go on to their end", process="问题需求转办"
        )
        in html
    )
    row = html[html.index('<tr data-process="referral"') :]
    assert 'data-retired="yes"' in row[:80] and "已停用" in row[:1200] and "系统管理员" in row[:1200]
    db.session.expire_all()
    assert db.session.get(RetiredProcess, "referral").retired_by_id == bureau["admin"].id

    dispatcher = client_as("dispatcher")
    assert 'href="/cases/new/referral"' not in dispatcher.get("/cases/").get_data(as_text=True)
    response = dispatcher.get("/cases/new/referral", follow_redirects=True)
    message = "“问题需求转办”已停用，不再受理新的案件（已在办理的案件继续办完）。"
    assert message in response.get_data(as_text=True)
    before = cases_of("referral")
    api = api_as("dispatcher")
    assert "referral" not in [p["id"] for p in api.get("/processes").get_json()["items"]]
    refused = api.post("/cases", json={"process": "referral", "data": {}}, headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 409 and refused.get_json()["message"] == message
    with pytest.raises(ProcessRetired):
        start_instance("referral", {}, bureau["dispatcher"].org_unit_id, bureau["dispatcher"].id)
    db.session.rollback()
    assert cases_of("referral") == before

    # the running case goes on
    task = open_task_of(referral, "sign_for")
    complete_task(task.id, {"sign_decision": "sign"}, bureau["kuiwen_handler"].id)
    db.session.commit()
    assert open_task_of(referral).bpmn_id != "sign_for"

    retire(client_as, "referral", "reinstate")
    assert 'href="/cases/new/referral"' in client_as("dispatcher").get("/cases/").get_data(as_text=True)
    assert "referral" in [p["id"] for p in api.get("/processes").get_json()["items"]]


def test_a_retired_application_leaves_the_portal(bureau, client_as):
    retire(client_as, "internship_subsidy")
    portal = client_as("ent_huayu")
    assert "/portal/apply/internship_subsidy" not in portal.get("/portal/").get_data(as_text=True)
    response = portal.get("/portal/apply/internship_subsidy", follow_redirects=True)
    assert "已停用，不再受理新的案件" in response.get_data(as_text=True)


def test_retiring_twice_or_reinstating_what_runs_says_so(bureau, client_as):
    retire_process("referral")
    db.session.commit()
    response = client_as("admin").post("/admin/processes/referral/retire", follow_redirects=True)
    assert shown("%(process)s is already retired", process="问题需求转办") in response.get_data(as_text=True)
    response = client_as("admin").post("/admin/processes/loan_extension/reinstate", follow_redirects=True)
    assert shown("%(process)s is not retired", process="贷款展期") in response.get_data(as_text=True)
    assert client_as("admin").post("/admin/processes/no_such_process/retire").status_code == 302
    assert db.session.get(RetiredProcess, "no_such_process") is None
