"""The task page: the form of the step, validation, completion, stale pages, comments and files."""

import re

import sqlalchemy as sa

from tests.conftest import open_task_of
from workflow_app.cases.models import Attachment, Comment
from workflow_app.engine.models import Task
from workflow_app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def page_text(response):
    return response.get_data(as_text=True)


def test_the_page_shows_the_form_the_case_and_earlier_steps(referral, client_as):
    task = open_task_of(referral, "sign_for")
    html = page_text(client_as("kuiwen_handler").get(f"/tasks/{task.id}"))
    assert 'name="data.sign_decision"' in html and 'name="data.return_reason"' in html  # the model's form
    assert referral.number in html and "潍坊华宇精密机械有限公司" in html
    assert "企业反映社保补贴问题" in html  # the registration, read-only
    assert 'name="extra-note"' in html and 'name="extra-files"' in html


def test_a_failed_validation_keeps_the_values_and_shows_the_error_next_to_the_field(referral, client_as):
    task = open_task_of(referral, "sign_for")
    response = client_as("kuiwen_handler").post(
        f"/tasks/{task.id}", data={"data.sign_decision": "return", "extra-note": "我的备注"}
    )
    assert response.status_code == 422
    html = page_text(response)
    assert re.search(r'value="return"[^>]*checked|checked[^>]*value="return"', html)  # what was chosen, kept
    assert "我的备注" in html and "invalid-feedback" in html
    assert open_task_of(referral, "sign_for").state == "open"


def test_submitting_completes_the_step_and_lands_in_the_inbox_with_comment_and_file(referral, client_as):
    task = open_task_of(referral, "sign_for")
    client = client_as("kuiwen_handler")
    from io import BytesIO

    response = client.post(
        f"/tasks/{task.id}",
        data={
            "data.sign_decision": "sign",
            "extra-note": "已电话联系企业",
            "extra-files": (BytesIO(PDF), "../../etc/情况说明.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    assert referral.number in page_text(client.get("/inbox"))  # the flash names the case
    db.session.expire_all()
    done = db.session.get(Task, task.id)
    assert done.state == "completed" and done.completed_by.username == "kuiwen_handler"
    assert open_task_of(referral).bpmn_id == "handle_specialist"  # Huayu has a service specialist
    comment = db.session.scalars(sa.select(Comment)).one()
    attachment = db.session.scalars(sa.select(Attachment)).one()
    assert (comment.body, comment.task_id) == ("已电话联系企业", task.id)
    assert (attachment.file_name, attachment.content_type, attachment.size) == (
        "情况说明.pdf",
        "application/pdf",
        len(PDF),
    )


def test_a_refused_file_leaves_the_task_open_and_nothing_stored(referral, client_as):
    task = open_task_of(referral, "sign_for")
    from io import BytesIO

    response = client_as("kuiwen_handler").post(
        f"/tasks/{task.id}",
        data={"data.sign_decision": "sign", "extra-note": "备注", "extra-files": (BytesIO(b"MZ\x90\x00"), "tool.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert open_task_of(referral, "sign_for").state == "open"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_a_stale_page_says_who_did_it_and_keeps_what_was_typed(bureau, referral, client_as):
    from tests.conftest import PASSWORD
    from workflow_app.auth.operations import create_user

    create_user("kuiwen_handler2", ["county_handler"], "kuiwen", PASSWORD, "第二经办")
    db.session.commit()
    task = open_task_of(referral, "sign_for")
    first, second = client_as("kuiwen_handler"), client_as("kuiwen_handler2")
    assert second.get(f"/tasks/{task.id}").status_code == 200  # both have the page open
    assert first.post(f"/tasks/{task.id}", data={"data.sign_decision": "sign"}).status_code == 302
    response = second.post(
        f"/tasks/{task.id}", data={"data.sign_decision": "return", "data.return_reason": "不属于本区管辖"}
    )
    assert response.status_code == 409
    html = page_text(response)
    assert "刘经办（奎文区）" in html and 'id="stale"' in html
    assert "不属于本区管辖" in html


def test_someone_who_may_not_act_gets_403_and_another_county_404(referral, client_as):
    task = open_task_of(referral, "sign_for")
    assert client_as("reviewer").post(f"/tasks/{task.id}", data={"data.sign_decision": "sign"}).status_code in (
        403,
        404,
    )
    assert client_as("shouguang_handler").get(f"/tasks/{task.id}").status_code == 404
    assert (
        client_as("shouguang_handler").post(f"/tasks/{task.id}", data={"data.sign_decision": "sign"}).status_code == 404
    )
    assert client_as("ent_huayu").get(f"/tasks/{task.id}").status_code == 403
    assert open_task_of(referral, "sign_for").state == "open"


def test_the_case_comment_is_folded_away_until_it_holds_something(referral, client_as):
    task = open_task_of(referral, "sign_for")
    client = client_as("kuiwen_handler")
    html = page_text(client.get(f"/tasks/{task.id}"))
    # one open box for the step's own reason; the case's comment waits behind its summary
    assert re.search(r'<details class="mb-3" id="case-note">\s*<summary', html)
    response = client.post(f"/tasks/{task.id}", data={"data.sign_decision": "return", "extra-note": "我的备注"})
    assert '<details class="mb-3" id="case-note" open>' in page_text(response)  # what was typed stays in view
