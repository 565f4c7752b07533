"""Who sees a comment or a file: staff choose internal (the default) or shared with the enterprise, and see which."""

import io
import re

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.processes.conftest import submit
from workflow_app.cases.models import Attachment, Comment
from workflow_app.cases.operations import add_attachment, add_comment
from workflow_app.core.errors import InvalidInput
from workflow_app.extensions import db

TEXT = "一企一策：数控车工 120 人".encode()


def html_of(response):
    return response.get_data(as_text=True)


def checked_value(html, name, field_id):
    """The value of the checked radio button of `name` whose id starts with `field_id`."""
    buttons = re.findall(rf'<input[^>]*id="{field_id}-\d"[^>]*>', html)
    assert buttons and all(f'name="{name}"' in button for button in buttons), buttons
    return [re.search(r'value="([^"]*)"', b).group(1) for b in buttons if "checked" in b]


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_comment_and_file_forms_offer_internal_or_shared_defaulting_to_internal(referral, client_as):
    client = client_as("kuiwen_handler")
    html = html_of(client.get(f"/cases/{referral.id}"))
    assert checked_value(html, "visibility", "comment-visibility") == ["internal"]
    assert checked_value(html, "visibility", "attachment-visibility") == ["internal"]
    assert 'value="shared"' in html and "仅内部可见" in html and "企业可见" in html
    assert "办理此案件的人员均可看到" not in html
    # the task page: the comment and files sent with a step, and the misleading note gone
    task_page = html_of(client.get(f"/tasks/{open_task_of(referral).id}"))
    assert checked_value(task_page, "extra-visibility", "extra-visibility") == ["internal"]
    assert "企业也可" in task_page and "办理此案件的人员均可看到" not in task_page


def test_staff_see_internal_and_shared_items_with_their_visibility_shown(referral, client_as):
    client = client_as("kuiwen_handler")
    client.post(f"/cases/{referral.id}/comments", data={"body": "内部研判：企业诉求合理"})  # no choice sent: internal
    client.post(f"/cases/{referral.id}/comments", data={"body": "已为贵企业对接招聘会", "visibility": "shared"})
    for name, visibility in (("内部研判.txt", "internal"), ("一企一策方案.txt", "shared")):
        client.post(
            f"/cases/{referral.id}/attachments",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(TEXT), name), "visibility": visibility},
        )
    assert [(c.body, c.visibility) for c in db.session.scalars(sa.select(Comment).order_by(Comment.id))] == [
        ("内部研判：企业诉求合理", "internal"),
        ("已为贵企业对接招聘会", "shared"),
    ]
    assert [(a.file_name, a.visibility) for a in db.session.scalars(sa.select(Attachment).order_by(Attachment.id))] == [
        ("内部研判.txt", "internal"),
        ("一企一策方案.txt", "shared"),
    ]

    html = html_of(client.get(f"/cases/{referral.id}"))
    comments = re.findall(r'<div class="border-bottom pb-2 mb-2" data-comment="\d+">.*?</div></div>', html, re.S)
    assert [("内部研判" in c, 'data-visibility="internal"' in c) for c in comments] == [(True, True), (False, False)]
    assert 'data-visibility="shared"' in comments[1] and "企业可见" in comments[1]
    files = re.findall(r'<li class="mb-1" data-attachment="\d+">.*?</li>', html, re.S)
    assert ['data-visibility="internal"' in f and "内部研判.txt" in f for f in files] == [True, False]
    assert 'data-visibility="shared"' in files[1] and "一企一策方案.txt" in files[1]
    timeline = re.findall(r'<li data-kind="(comment|attachment)">.*?data-visibility="(\w+)"', html, re.S)
    assert sorted(timeline) == [
        ("attachment", "internal"),
        ("attachment", "shared"),
        ("comment", "internal"),
        ("comment", "shared"),
    ]
    for attachment in db.session.scalars(sa.select(Attachment)):  # staff download both
        assert client.get(f"/cases/{referral.id}/attachments/{attachment.id}").data == TEXT


def test_a_visibility_that_is_neither_is_refused_and_nothing_stored(referral, client_as):
    client = client_as("kuiwen_handler")
    response = client.post(
        f"/cases/{referral.id}/comments", data={"body": "x", "visibility": "public"}, follow_redirects=True
    )
    assert "不是有效的选择" in html_of(response)
    client.post(
        f"/cases/{referral.id}/attachments",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(TEXT), "a.txt"), "visibility": "everyone"},
    )
    task = open_task_of(referral)
    response = client.post(
        f"/tasks/{task.id}",
        content_type="multipart/form-data",
        data={
            "data.sign_decision": "sign",
            "extra-note": "备注",
            "extra-visibility": "all",
            "extra-files": (io.BytesIO(TEXT), "b.txt"),
        },
    )
    assert response.status_code == 422
    assert (count(Comment), count(Attachment), open_task_of(referral).id) == (0, 0, task.id)


def test_the_specialists_plan_sent_with_the_handling_step_is_internal_unless_shared(create_referral, bureau, client_as):
    """Issue 27's case: the plan a specialist uploads on a labour-shortage referral."""
    plan = {
        "data.handle_outcome": "resolved",
        "data.measures": "组织专场招聘会",
        "data.plan_rows.0.position": "数控车工",
        "data.plan_rows.0.headcount": "120",
        "data.plan_rows.0.skill_level": "中级工",
        "data.plan_rows.0.wage": "6500",
        "data.plan_measures": "专场招聘会",
    }
    cases = [create_referral(category="用工", labour_shortage=True) for _ in range(2)]
    for case, chosen in zip(cases, ({}, {"extra-visibility": "shared"}), strict=True):
        submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
        task = open_task_of(case, "handle_specialist")
        response = client_as("kuiwen_specialist").post(
            f"/tasks/{task.id}",
            content_type="multipart/form-data",
            data={**plan, **chosen, "extra-note": "方案见附件", "extra-files": (io.BytesIO(TEXT), "一企一策方案.txt")},
        )
        assert response.status_code == 302
    rows = db.session.execute(
        sa.select(Attachment.case_id, Attachment.visibility, Comment.visibility)
        .join(Comment, Comment.task_id == Attachment.task_id)
        .order_by(Attachment.id)
    ).all()
    assert rows == [(cases[0].id, "internal", "internal"), (cases[1].id, "shared", "shared")]


def test_what_an_enterprises_users_add_is_always_shared(referral, bureau):
    enterprise_user, handler = bureau["ent_huayu"], bureau["kuiwen_handler"]
    assert add_comment(referral, "我们已提交材料", enterprise_user).visibility == "shared"
    assert add_attachment(referral, "材料.txt", TEXT, enterprise_user, 1024).visibility == "shared"
    with pytest.raises(InvalidInput):
        add_comment(referral, "x", enterprise_user, visibility="internal")
    with pytest.raises(InvalidInput):
        add_comment(referral, "x", handler, visibility="public")
    assert add_comment(referral, "内部", handler).visibility == "internal"
    assert add_attachment(referral, "b.txt", TEXT, handler, 1024, visibility="shared").visibility == "shared"
