"""The enterprise portal: applying, the state in words, signing, proofs of payment, isolation, tampering."""

import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, open_task_of, statements_run
from tests.processes.test_loan_extension import MATURITY as LOAN_MATURITY
from tests.processes.test_loan_extension import application as loan_application
from tests.processes.test_loan_extension import apply_in_portal
from workflow_app.agreements.models import Agreement, Installment
from workflow_app.agreements.queries import current_agreement
from workflow_app.agreements.text import text_hash
from workflow_app.auth.models import User
from workflow_app.cases.models import Attachment, Case
from workflow_app.core.dates import add_months
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.extensions import db

PDF = b"%PDF-1.4 receipt"


def english(client):
    client.post("/language/en")
    return client


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ----------------------------------------------------------------------------------------------- applying


@pytest.fixture
def open_policy(bureau):
    """The installment policy extended to the end of next year (the package says the notice's 2023-12-31)."""
    from datetime import date

    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy

    open_installment_policy(date(local_today().year + 1, 12, 31))
    db.session.commit()


def test_an_enterprise_applies_for_an_installment_agreement(open_policy, bureau, client_as):
    client = client_as("ent_huayu")
    assert client.get("/portal/apply/installment_agreement").status_code == 200
    response = client.post(
        "/portal/apply/installment_agreement",
        data={
            "data.pension_yuan": "12000.50",
            "data.unemployment_yuan": "",
            "data.injury_yuan": "300",
            "data.deferral_end_date": "2026-01-31",
            "data.hardship_reason": "订单下降",
            "data.proposed_installments": "4",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "installment_agreement")).one()
    assert response.headers["Location"].endswith(f"/portal/cases/{case.id}")
    assert case.enterprise.name == "潍坊华宇精密机械有限公司" and case.created_by_id == bureau["ent_huayu"].id
    assert open_task_of(case).bpmn_id == "agency_check"
    home = english(client).get("/portal/").get_data(as_text=True)
    assert f'data-case="{case.number}"' in home and "等待经办机构审核" in home  # the model's words (portalWaiting)


def test_an_application_with_nothing_deferred_is_refused_and_nothing_stored(open_policy, bureau, client_as):
    client = english(client_as("ent_huayu"))
    response = client.post(
        "/portal/apply/installment_agreement",
        data={
            "data.pension_yuan": "",
            "data.unemployment_yuan": "0",
            "data.injury_yuan": "",
            "data.deferral_end_date": "2026-01-31",
            "data.hardship_reason": "x",
            "data.proposed_installments": "3",
        },
    )
    assert response.status_code == 422
    assert "Enter at least one deferred amount" in response.get_data(as_text=True)
    assert count(Case) == 0


def test_loan_extension_and_health_check_applications_start_their_cases(bureau, client_as):
    client = english(client_as("ent_huayu"))
    response = apply_in_portal(client, loan_application(contract_no="WF-2026-77", principal="500000"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post("/portal/apply/health_check", data={"data.focus_items": "nonsense"}).status_code == 422
    assert client.post("/portal/apply/health_check", data={"data.focus_items": "wage_payment"}).status_code == 302
    processes = set(
        db.session.scalars(sa.select(Case.process_id).where(Case.enterprise_id == bureau["ent_huayu"].enterprise_id))
    )
    assert processes == {"loan_extension", "health_check"}
    home = client.get("/portal/").get_data(as_text=True)
    assert "等待区县人社部门审核" in home  # the model's words (portalWaiting)
    assert "请提交劳动规章制度、劳动合同范本等体检材料" in home  # the model's words (portalTodo)
    assert client.get("/portal/apply/referral").status_code == 404


# ----------------------------------------------------------------------------------------------- signing


def test_the_sign_page_shows_the_whole_text_and_its_hash_and_signing_stores_who_when_where(
    agreement_case, client_as, bureau
):
    client = english(client_as("ent_huayu"))
    agreement = current_agreement(agreement_case.id)
    sign_task = open_task_of(agreement_case, "sign")
    home = client.get("/portal/").get_data(as_text=True)
    assert "请阅读并签署分期补缴协议" in home  # the model's words (portalTodo)
    page = client.get(f"/portal/tasks/{sign_task.id}").get_data(as_text=True)
    assert agreement.text_sha256 in page
    for line in (
        "缓缴社会保险费分期补缴协议",
        "合计：1,200.00 元（大写：人民币壹仟贰佰元整）",
        "补缴期间免收滞纳金",
        "本协议终止",
    ):
        assert line in page
    # without the legal representative's name: refused, nothing signed
    response = client.post(
        f"/portal/tasks/{sign_task.id}", data={"data.sign_decision": "sign", "data.read_confirmed": "y"}
    )
    assert response.status_code == 422 and "法定代表人姓名" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).signed_at is None
    signer = agreement.enterprise.legal_representative
    response = client.post(
        f"/portal/tasks/{sign_task.id}",
        data={"data.sign_decision": "sign", "data.read_confirmed": "y", "data.legal_rep_name": signer},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    signed = db.session.get(Agreement, agreement.id)
    assert (signed.status, signed.signer_name, signed.signer_id, signed.signed_ip) == (
        "signed",
        signer,
        bureau["ent_huayu"].id,
        "10.1.2.3",
    )
    assert signed.signed_at is not None and signed.text_sha256 == text_hash(signed.text)
    assert open_task_of(agreement_case).bpmn_id == "countersign"
    assert "已签署，等待经办机构确认" in client.get("/portal/").get_data(as_text=True)
    # nothing can change the signed text
    signed.text = signed.text + "补充条款"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_the_printable_agreement_and_the_verification_page(agreement_case, client_as):
    client = english(client_as("ent_huayu"))
    agreement = current_agreement(agreement_case.id)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert agreement.text_sha256 in page and 'id="agreement-text"' in page and "data-print" in page
    verify = client.get(f"/agreements/{agreement.id}/verify").get_data(as_text=True)
    assert 'data-result="match"' in verify
    assert verify.count(agreement.text_sha256) == 2  # recorded and computed now


def test_a_tampered_agreement_text_is_reported_as_a_mismatch(create_agreement_case, client_as):
    case = create_agreement_case("active")
    agreement = current_agreement(case.id)
    # behind the application's back, as a database user could
    db.session.execute(
        sa.text("UPDATE agreement SET text = replace(text, '免收滞纳金', '加收滞纳金') WHERE id = :id"),
        {"id": agreement.id},
    )
    db.session.commit()
    for username in ("ent_huayu", "agency"):
        verify = english(client_as(username)).get(f"/agreements/{agreement.id}/verify").get_data(as_text=True)
        assert 'data-result="mismatch"' in verify and "Mismatch" in verify
        assert agreement.text_sha256 in verify and text_hash(db.session.get(Agreement, agreement.id).text) in verify


# ----------------------------------------------------------------------------------------------- paying


def test_the_enterprise_uploads_a_payment_proof_and_the_schedule_shows_states(create_agreement_case, client_as):
    case = create_agreement_case("paid_once")
    client = english(client_as("ent_huayu"))
    agreement = current_agreement(case.id)
    first, second = agreement.installments[0], agreement.installments[1]
    page = client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert 'data-seq="1" data-state="paid"' in page and 'data-seq="2" data-state="due"' in page
    assert f"Installment 2 (400.00 yuan) due on {second.due_date.isoformat()}" in page
    assert 'id="proof-form-2"' in page and 'id="proof-form-1"' not in page  # only the next unpaid one
    response = client.post(
        f"/portal/installments/{second.id}/proof",
        data={"proof": (io.BytesIO(PDF), "回单.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    proof = db.session.get(Installment, second.id).proof
    assert proof is not None and proof.file_name == "回单.pdf" and proof.case_id == case.id
    assert db.session.scalar(sa.select(AuditEvent.data).where(AuditEvent.kind == "payment_proof_uploaded")) == {
        "seq": 2,
        "file": "回单.pdf",
    }
    assert client.get(f"/portal/files/{proof.id}").data == PDF
    # the agency sees it on the case and on its payment task
    agency = client_as("agency")
    assert "回单.pdf" in agency.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "回单.pdf" in agency.get(f"/tasks/{open_task_of(case).id}").get_data(as_text=True)
    # a paid installment takes no proof; a wrong file type is refused and nothing stored
    files_before = count(Attachment)
    response = client.post(
        f"/portal/installments/{first.id}/proof",
        data={"proof": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "already recorded as paid" in response.get_data(as_text=True)
    response = client.post(
        f"/portal/installments/{second.id}/proof",
        data={"proof": (io.BytesIO(b"MZ.."), "a.exe")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "cannot be attached" in response.get_data(as_text=True)
    assert count(Attachment) == files_before


def test_reminders_show_unpaid_installments_that_are_near_or_past_due(create_agreement_case, client_as, clock):
    from datetime import timedelta

    case = create_agreement_case("active")  # the first installment is due in 20 days
    first = current_agreement(case.id).installments[0]
    client = english(client_as("ent_huayu"))
    assert 'id="reminders"' not in client.get("/portal/").get_data(as_text=True)
    now = clock.utcnow()
    clock.freeze_clock(now + timedelta(days=10))
    home = client.get("/portal/").get_data(as_text=True)
    assert f'data-reminder="{first.id}"' in home
    assert f"installment 1 of 400.00 yuan is due on {first.due_date.isoformat()}" in home
    clock.freeze_clock(now + timedelta(days=25))
    home = client.get("/portal/").get_data(as_text=True)
    assert f"installment 1 of 400.00 yuan was due on {first.due_date.isoformat()} and is not recorded as paid" in home
    assert "overdue" in re.search(rf'data-case="{case.number}".*?</tr>', home, re.S).group(0)


# ----------------------------------------------------------------------------------------------- other processes


def start_loan_extension(client, months=6, contract_no="WF-CDB-2023-0182"):
    response = apply_in_portal(client, loan_application(months_requested=months, contract_no=contract_no))
    assert response.status_code == 302
    return db.session.scalars(
        sa.select(Case).where(Case.process_id == "loan_extension").order_by(Case.id.desc())
    ).first()


def test_a_loan_extension_shows_the_application_the_decision_and_the_new_maturity_date(bureau, client_as):
    from workflow_app.cases.task_handlers import submit_task

    client = english(client_as("ent_huayu"))
    granted, refused = start_loan_extension(client), start_loan_extension(client, contract_no="WF-CDB-2023-0199")
    submit_task(
        open_task_of(granted, "county_review").id,
        {"county_decision": "approve", "county_opinion": "属实"},
        bureau["kuiwen_handler"],
    )
    submit_task(
        open_task_of(granted, "bank_review").id,
        {"bank_decision": "approve", "months_granted": 4, "bank_opinion": None},
        bureau["bank"],
    )
    submit_task(
        open_task_of(refused, "county_review").id,
        {"county_decision": "refuse", "county_opinion": "未提供经营困难的证明材料"},
        bureau["kuiwen_handler"],
    )
    db.session.commit()
    new_maturity = add_months(LOAN_MATURITY, 4).isoformat()
    page = client.get(f"/portal/cases/{granted.id}").get_data(as_text=True)
    assert f"已批准展期 4 个月，新的到期日为 {new_maturity}" in page  # the model's words (portalOutcome)
    application = page[page.index('id="application"') :]
    assert "贷款银行" in application and "中国银行潍坊分行" in application and "回款明细.pdf" in application
    page = client.get(f"/portal/cases/{refused.id}").get_data(as_text=True)
    assert "展期未获批准：未提供经营困难的证明材料" in page
    db.session.expire_all()  # as in a request of its own: nothing loaded yet
    with statements_run() as seen:
        home = client.get("/portal/").get_data(as_text=True)
    assert (
        f"已批准展期 4 个月，新的到期日为 {new_maturity}" in home and "展期未获批准：未提供经营困难的证明材料" in home
    )
    assert len([s for s, _parameters in seen if "state_json" in s]) == 1  # both closed cases' data in one read


def test_a_health_check_documents_findings_and_rectification_with_files(bureau, client_as, app):
    from datetime import timedelta

    from tests.processes.test_health_check import inspection
    from tests.processes.test_health_check import submit as complete
    from workflow_app.core.time import local_today

    client = english(client_as("ent_huayu"))
    assert client.post("/portal/apply/health_check", data={}).status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "health_check")).one()
    upload = open_task_of(case, "upload_documents")
    # nothing ticked: refused, the file not stored
    response = client.post(
        f"/portal/tasks/{upload.id}",
        data={"extra-files": (io.BytesIO(PDF), "规章制度.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and count(Attachment) == 0
    response = client.post(
        f"/portal/tasks/{upload.id}",
        data={"data.doc_rules": "y", "data.doc_contract": "y", "extra-files": (io.BytesIO(PDF), "规章制度.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert [a.file_name for a in db.session.scalars(sa.select(Attachment))] == ["规章制度.pdf"]
    assert "县级人社部门正在审查材料、逐项体检" in client.get("/portal/").get_data(as_text=True)
    deadline = local_today() + timedelta(days=30)
    complete(case, "inspect", bureau["kuiwen_handler"], inspection(working_hours=("high", "加班超过法定上限")))
    complete(
        case,
        "suggestions",
        bureau["kuiwen_handler"],
        {"suggestions": "申请综合计算工时制，调整排班", "rectification_deadline": deadline.isoformat()},
    )
    home = client.get("/portal/").get_data(as_text=True)
    assert f"请于{deadline.isoformat()}前报告整改情况" in home  # the county's deadline (the model's portalTodo)
    rectify = open_task_of(case, "rectify")
    page = client.get(f"/portal/tasks/{rectify.id}").get_data(as_text=True)
    assert (
        "工作时间与加班（高）：加班超过法定上限" in page
        and "申请综合计算工时制" in page
        and deadline.isoformat() in page
    )
    response = client.post(
        f"/portal/tasks/{rectify.id}",
        data={"data.rectification_report": "已获批综合计算工时制", "extra-files": (io.BytesIO(PDF), "批复.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert open_task_of(case).bpmn_id == "verify"
    assert "批复.pdf" in client.get(f"/portal/cases/{case.id}").get_data(as_text=True)


# ----------------------------------------------------------------------------------------------- isolation


def test_another_enterprise_reaches_nothing_of_this_one_by_any_id(create_agreement_case, client_as, bureau):
    case = create_agreement_case("active")
    agreement = current_agreement(case.id)
    huayu = client_as("ent_huayu")
    huayu.post(
        f"/portal/installments/{agreement.installments[0].id}/proof",
        data={"proof": (io.BytesIO(PDF), "receipt.pdf")},
        content_type="multipart/form-data",
    )
    attachment_id = db.session.scalar(sa.select(Attachment.id))
    task_ids = list(db.session.scalars(sa.select(Task.id).where(Task.instance_id == case.instance_id)))  # every step
    other = client_as("ent_lvyuan")
    assert other.get("/portal/").status_code == 200
    assert f'data-case="{case.number}"' not in other.get("/portal/").get_data(as_text=True)
    for url in (
        f"/portal/cases/{case.id}",
        f"/agreements/{agreement.id}",
        f"/agreements/{agreement.id}/verify",
        f"/portal/files/{attachment_id}",
        f"/cases/{case.id}/attachments/{attachment_id}",
    ):
        status = other.get(url).status_code
        assert status == (403 if url.startswith("/cases/") else 404), url
    for task_id in task_ids:
        assert other.get(f"/portal/tasks/{task_id}").status_code == 404
        assert (
            other.post(
                f"/portal/tasks/{task_id}",
                data={"sign_decision": "sign", "read_confirmed": "y", "legal_rep_name": "李四"},
            ).status_code
            == 404
        )
    assert (
        other.post(
            f"/portal/installments/{agreement.installments[1].id}/proof",
            data={"proof": (io.BytesIO(PDF), "fake.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert count(Attachment) == 1
    db.session.expire_all()
    assert db.session.get(Installment, agreement.installments[1].id).proof_attachment_id is None


def test_an_enterprise_user_reaches_no_handler_page(agreement_case, client_as):
    client = client_as("ent_huayu")
    task_id = open_task_of(agreement_case).id
    for url in (
        "/inbox",
        "/cases/",
        f"/cases/{agreement_case.id}",
        f"/tasks/{task_id}",
        "/supervision",
        "/admin/",
        "/calendar",
    ):
        assert client.get(url).status_code in (403, 404), url
    for url in ("/inbox", "/cases/", f"/cases/{agreement_case.id}", f"/tasks/{task_id}", "/supervision", "/admin/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/tasks/{task_id}", data={"sign_decision": "sign"}).status_code == 403
    assert open_task_of(agreement_case).id == task_id


def test_staff_do_not_use_the_portal(agreement_case, client_as):
    for username in ("agency", "admin"):
        assert client_as(username).get("/portal/").status_code == 403
        assert client_as(username).get(f"/portal/cases/{agreement_case.id}").status_code == 403


def test_an_enterprise_lands_on_its_portal(bureau, client_as):
    response = client_as("ent_huayu").get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")


# ----------------------------------------------------------------------------------------------- accounts


def test_changing_ones_own_password(bureau, client_as, app):
    client = english(client_as("ent_huayu"))
    response = client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "new-secret-9", "repeat_password": "new-secret-9"},
    )
    assert response.status_code == 422 and "The current password is wrong" in response.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "new-secret-9", "repeat_password": "other-secret-9"},
    )
    assert response.status_code == 422 and "The two new passwords differ" in response.get_data(as_text=True)
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"}
    )
    assert response.status_code == 422 and "at least 10 characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.username == "ent_huayu")).check_password(PASSWORD)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "new-secret-9", "repeat_password": "new-secret-9"},
    )
    assert response.status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "ent_huayu", "password": PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"username": "ent_huayu", "password": "new-secret-9"}).status_code == 302


def test_a_disabled_enterprise_account_cannot_sign_in(bureau, client_as, app):
    from workflow_app.auth.operations import set_user_active

    set_user_active(bureau["ent_lvyuan"], False, bureau["admin"].id)
    db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "ent_lvyuan", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the refusal
    assert "/login" in client.get("/portal/").headers["Location"]
