"""The portal shows an enterprise the comments and files shared with it, and its own; never the staff's internal ones."""

import io

import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.processes.conftest import submit
from workflow_app.cases.models import Attachment, Case, Comment
from workflow_app.extensions import db

TEXT = "一企一策：数控车工 120 人".encode()
PLAN = {
    "data.handle_outcome": "resolved",
    "data.measures": "组织专场招聘会",
    "data.plan_rows.0.position": "数控车工",
    "data.plan_rows.0.headcount": "120",
    "data.plan_rows.0.skill_level": "中级工",
    "data.plan_rows.0.wage": "6500",
    "data.plan_measures": "专场招聘会",
}


def html_of(response):
    return response.get_data(as_text=True)


def attachment_id(name):
    return db.session.scalar(sa.select(Attachment.id).where(Attachment.file_name == name))


def test_the_enterprise_sees_and_downloads_only_what_is_shared_with_it(create_referral, bureau, client_as):
    case = create_referral(category="用工", labour_shortage=True)  # Huayu's, with its service specialist
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    specialist = client_as("kuiwen_specialist")
    # issue 27: the specialist's plan, sent with the handling step without a choice: internal
    specialist.post(
        f"/tasks/{open_task_of(case, 'handle_specialist').id}",
        content_type="multipart/form-data",
        data={**PLAN, "extra-note": "内部：企业用工缺口较大", "extra-files": (io.BytesIO(TEXT), "一企一策方案.txt")},
    )
    specialist.post(
        f"/cases/{case.id}/attachments",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(TEXT), "招聘会安排.txt"), "visibility": "shared"},
    )
    specialist.post(f"/cases/{case.id}/comments", data={"body": "已为贵企业安排专场招聘会", "visibility": "shared"})
    specialist.post(f"/cases/{case.id}/comments", data={"body": "内部研判：需市级协调"})
    internal, shared = attachment_id("一企一策方案.txt"), attachment_id("招聘会安排.txt")

    enterprise = client_as("ent_huayu")
    page = html_of(enterprise.get(f"/portal/cases/{case.id}"))
    assert "招聘会安排.txt" in page and f"/portal/files/{shared}" in page
    assert "一企一策方案.txt" not in page and f"/portal/files/{internal}" not in page
    assert "已为贵企业安排专场招聘会" in page
    assert "内部" not in page and "陈专员" not in page  # no internal comment; the bureau's writer is not named
    assert enterprise.get(f"/portal/files/{shared}").data == TEXT
    assert enterprise.get(f"/portal/files/{internal}").status_code == 404  # the id guessed
    assert enterprise.get(f"/cases/{case.id}/attachments/{internal}").status_code == 403  # staff's own route
    # staff see both, each with its visibility
    staff_page = html_of(client_as("kuiwen_handler").get(f"/cases/{case.id}"))
    assert "一企一策方案.txt" in staff_page and "招聘会安排.txt" in staff_page and "内部研判" in staff_page
    assert staff_page.count('data-visibility="internal"') == 2 * 3  # list and timeline: the plan, its note, a comment


def test_the_enterprises_own_notes_and_files_stay_visible_to_it_and_show_as_shared(bureau, client_as):
    enterprise = client_as("ent_huayu")
    assert enterprise.post("/portal/apply/health_check", data={}).status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "health_check")).one()
    upload = open_task_of(case, "upload_documents")
    page = html_of(enterprise.get(f"/portal/tasks/{upload.id}"))
    assert 'name="extra-note"' in page and "visibility" not in page  # no choice: an enterprise's own are shared
    response = enterprise.post(
        f"/portal/tasks/{upload.id}",
        content_type="multipart/form-data",
        data={
            "data.doc_rules": "y",
            "data.doc_contract": "y",
            "extra-note": "劳动合同为最新版本",
            "extra-visibility": "internal",
            "extra-files": (io.BytesIO(TEXT), "规章制度.txt"),
        },
    )
    assert response.status_code == 302
    assert db.session.execute(
        sa.select(Comment.visibility, Attachment.visibility).join(Attachment, Attachment.task_id == Comment.task_id)
    ).all() == [("shared", "shared")]
    page = html_of(enterprise.get(f"/portal/cases/{case.id}"))
    assert (
        "劳动合同为最新版本" in page and "规章制度.txt" in page and "华宇机械（企业经办）" in page
    )  # its user, by name
    assert enterprise.get(f"/portal/files/{attachment_id('规章制度.txt')}").data == TEXT
    staff_page = html_of(client_as("kuiwen_handler").get(f"/cases/{case.id}"))
    assert staff_page.count('data-visibility="shared"') == 2 * 2 and 'data-visibility="internal"' not in staff_page
