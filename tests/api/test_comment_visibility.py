"""The API's comments: staff give them a visibility (internal unless shared); an enterprise's token reads the shared."""

import sqlalchemy as sa

from tests.conftest import open_task_of
from workflow_app.cases.models import Comment
from workflow_app.extensions import db


def _details(response, status=422):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_input"
    return [detail["field"] for detail in body["details"]]


def _count_comments():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Comment))


def test_an_enterprise_token_reads_only_the_comments_shared_with_it(api_as, referral):
    staff = api_as("kuiwen_handler")
    internal = staff.post(f"/cases/{referral.id}/comments", {"body": "内部研判：需市级协调"})
    shared = staff.post(f"/cases/{referral.id}/comments", {"body": "已为贵企业对接招聘会", "visibility": "shared"})
    assert (internal.status_code, shared.status_code) == (201, 201)
    assert (internal.get_json()["visibility"], shared.get_json()["visibility"]) == ("internal", "shared")
    # staff read both, with their visibility
    assert [
        (c["body"], c["visibility"], c["author"]) for c in staff.get(f"/cases/{referral.id}").get_json()["comments"]
    ] == [("内部研判：需市级协调", "internal", "kuiwen_handler"), ("已为贵企业对接招聘会", "shared", "kuiwen_handler")]
    # the enterprise reads the shared one, without the name of the bureau's writer
    comments = api_as("ent_huayu").get(f"/cases/{referral.id}").get_json()["comments"]
    assert [(c["body"], c["visibility"], c["author"]) for c in comments] == [("已为贵企业对接招聘会", "shared", None)]
    assert api_as("ent_lvyuan").get(f"/cases/{referral.id}").status_code == 404


def test_a_bad_visibility_is_a_422_naming_the_field_and_nothing_is_stored(api_as, referral):
    staff = api_as("kuiwen_handler")
    for value in ("public", "", 1, ["shared"]):
        assert _details(staff.post(f"/cases/{referral.id}/comments", {"body": "x", "visibility": value})) == [
            "visibility"
        ]
    task = open_task_of(referral)
    response = staff.post(
        f"/tasks/{task.id}/complete",
        {"data": {"sign_decision": "sign"}, "comment": "已签收", "comment_visibility": "everyone"},
    )
    assert _details(response) == ["comment_visibility"]
    assert open_task_of(referral).id == task.id and _count_comments() == 0
    done = staff.post(
        f"/tasks/{task.id}/complete",
        {"data": {"sign_decision": "sign"}, "comment": "已签收，请企业备齐材料", "comment_visibility": "shared"},
    )
    assert done.status_code == 200, done.get_json()
    assert db.session.scalar(sa.select(Comment.visibility)) == "shared"


def test_an_enterprises_comment_with_its_step_is_shared_and_cannot_be_made_internal(api_as, create_agreement_case):
    case = create_agreement_case("drafted")  # Huayu's sign step waits for it
    enterprise = api_as("ent_huayu")
    sign = open_task_of(case, "sign")
    data = {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "王建华"}
    refused = enterprise.post(
        f"/tasks/{sign.id}/complete", {"data": data, "comment": "已盖章", "comment_visibility": "internal"}
    )
    assert _details(refused) == ["comment_visibility"] and _count_comments() == 0
    assert enterprise.post(f"/tasks/{sign.id}/complete", {"data": data, "comment": "已盖章"}).status_code == 200
    assert [
        (c["body"], c["visibility"], c["author"]) for c in enterprise.get(f"/cases/{case.id}").get_json()["comments"]
    ] == [("已盖章", "shared", "ent_huayu")]
