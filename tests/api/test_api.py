"""The JSON API: tokens, starting cases (with Idempotency-Key), tasks with their forms, messages, comments, errors."""

import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from workflow_app.api.models import IdempotencyKey
from workflow_app.auth.models import ApiToken, Enterprise
from workflow_app.auth.operations import revoke_api_token, set_user_active
from workflow_app.auth.queries import find_user
from workflow_app.cases.models import Case, Comment
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db


def _uscc(name):
    return db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == name))


def _referral_data(name=HUAYU, **changes):
    return {
        "enterprise_uscc": _uscc(name),
        "category": "社保",
        "description": "企业反映社保补贴问题",
        "source": "市工业运行指挥部",
        **changes,
    }


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _is_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and body["message"] and isinstance(body["details"], list), body
    return body


# --- tokens -------------------------------------------------------------------------------------


def test_without_a_valid_token_every_endpoint_says_401_in_json(app, bureau, create_token, client_as):
    client = app.test_client()
    for path in ("/api/v1/cases", "/api/v1/tasks", "/api/v1/processes", "/api/v1/cases/1", "/api/v1/tasks/1"):
        response = client.get(path)
        _is_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        _is_error(client.get(path, headers={"Authorization": "Bearer wf_not-a-token"}), 401, "unauthorized")
        _is_error(client.get(path, headers={"Authorization": "Basic ZGlzcGF0Y2hlcjp4"}), 401, "unauthorized")
    # a signed-in browser session is not an API credential (so no cross-site request can use the API)
    browser = client_as("dispatcher")
    _is_error(browser.get("/api/v1/cases"), 401, "unauthorized")
    _is_error(
        browser.post("/api/v1/cases", json={"process": "referral", "data": _referral_data()}), 401, "unauthorized"
    )
    assert _count(Case) == 0


def test_an_api_request_opens_no_cookie_session(app, bureau, client_as):
    """Nothing in an API call sees the user a browser's cookie signs in: not Flask-Login, not the session."""
    from flask import g, session
    from flask_login import current_user

    browser = client_as("dispatcher")
    cookie = {"Cookie": f"session={browser.get_cookie('session').value}"}
    g.__dict__.clear()  # the tests' app context is shared: Flask-Login keeps its user in g
    with app.test_request_context("/cases", headers=cookie):
        assert current_user.username == "dispatcher"  # a page reads the cookie
    g.__dict__.clear()
    with app.test_request_context("/api/v1/cases", headers=cookie):
        assert current_user.is_anonymous and not session
        with pytest.raises(RuntimeError):
            session["_user_id"] = "1"  # a null session: nothing can be kept in it either


def test_tokens_are_stored_hashed_and_stop_working_when_revoked_or_the_user_is_disabled(app, bureau, create_token):
    client = app.test_client()
    token = create_token("dispatcher")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    row = db.session.scalar(sa.select(ApiToken))
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64 and token.startswith(row.prefix)
    assert row.last_used_at is not None
    revoke_api_token(row)
    db.session.commit()
    _is_error(client.get("/api/v1/cases", headers=headers), 401, "unauthorized")

    second = create_token("dispatcher")
    set_user_active(find_user("dispatcher"), False)
    db.session.commit()
    _is_error(client.get("/api/v1/cases", headers={"Authorization": f"Bearer {second}"}), 401, "unauthorized")


def test_the_openapi_document_describes_every_endpoint(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    rules = {
        rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert rules == set(document["paths"])


# --- cases ----------------------------------------------------------------------------------------


def test_the_dispatcher_registers_a_referral_and_reads_it_back(api_as):
    api = api_as("dispatcher")
    processes = api.get("/processes").get_json()["items"]
    assert [p["id"] for p in processes] == ["referral"]
    schema = processes[0]["form"]["schema"]
    assert schema["required"] == ["enterprise_uscc", "category", "description"]
    assert {o["const"] for o in schema["properties"]["category"]["oneOf"]} >= {"社保", "用工"}
    assert schema["properties"]["description"]["maxLength"] == 4000

    with statements_run() as seen:
        response = api.post("/cases", {"process": "referral", "data": _referral_data(labour_shortage=True)})
    assert response.status_code == 201, response.get_json()
    # the new case's steps and history are the rows the start just wrote: not read back
    assert [s for s, _ in seen if "FROM task" in s or "FROM audit_event" in s] == []
    case = response.get_json()
    assert case["number"].startswith("ZB-") and case["process"] == "referral" and case["priority"] == "urgent"
    assert case["status"] == "running" and case["org_unit"] == "kuiwen"
    assert case["enterprise"]["name"] == HUAYU
    assert [s["step"] for s in case["current_steps"]] == ["sign_for"]
    assert case["current_steps"][0]["due_at"].endswith("Z")
    assert case["due_at"] == case["current_steps"][0]["due_at"]  # the nearest deadline of its open steps
    assert [h["kind"] for h in case["history"]][:1] == ["instance_started"]
    assert case["history"][0]["actor"] == "dispatcher"

    assert api.get(f"/cases/{case['id']}").get_json() == case
    listed = api.get("/cases?process=referral&status=running&q=华宇").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == case["id"]
    assert api.get("/cases?status=completed").get_json()["total"] == 0


def test_an_idempotency_key_makes_a_retry_return_the_first_case(api_as):
    api = api_as("dispatcher")
    body = {"process": "referral", "data": _referral_data()}
    first = api.post("/cases", body, headers={"Idempotency-Key": "cc-20261121-0001"})
    again = api.post("/cases", body, headers={"Idempotency-Key": "cc-20261121-0001"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert _count(Case) == 1
    other = api.post(
        "/cases", {**body, "data": _referral_data(category="用工")}, headers={"Idempotency-Key": "cc-20261121-0001"}
    )
    _is_error(other, 409, "conflict")
    assert _count(Case) == 1
    assert api.post("/cases", body, headers={"Idempotency-Key": "cc-20261121-0002"}).status_code == 201
    assert _count(Case) == 2


def test_a_refused_request_stores_nothing_not_even_its_idempotency_key(api_as):
    api = api_as("dispatcher")
    events = _count(AuditEvent)
    bad = api.post(
        "/cases",
        {"process": "referral", "data": _referral_data(enterprise_uscc="91370705MA3C0A01X")},
        headers={"Idempotency-Key": "k1"},
    )
    body = _is_error(bad, 422, "invalid_input")
    assert {d["field"] for d in body["details"]} == {"enterprise_uscc"}
    assert _count(Case) == 0 and _count(IdempotencyKey) == 0 and _count(AuditEvent) == events
    # the key is free again: the corrected request goes through
    assert (
        api.post(
            "/cases", {"process": "referral", "data": _referral_data()}, headers={"Idempotency-Key": "k1"}
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"process": "referral", "data": {"nonsense": 1}}, 422, "invalid_input", "nonsense"),
        ({"process": "referral", "data": {"description": {"nested": True}}}, 422, "invalid_input", "description"),
        ({"process": "referral", "data": []}, 422, "invalid_input", None),
        ({"process": "loan_extension", "data": {}}, 422, "invalid_input", "process"),
        ({"process": "referral", "data": {}, "extra": 1}, 422, "invalid_input", "extra"),
        ({"data": {}}, 422, "invalid_input", "process"),
        ([1, 2], 422, "invalid_input", None),
    ],
)
def test_bad_case_requests_are_refused_with_the_field_named(api_as, body, status, code, field):
    response = _is_error(api_as("dispatcher").post("/cases", body), status, code)
    if field:
        assert field in [d["field"] for d in response["details"]]
    assert _count(Case) == 0


def test_bodies_that_are_not_json_objects_are_refused(api_as):
    api = api_as("dispatcher")
    _is_error(
        api.post("/cases", data="process=referral", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    _is_error(api.post("/cases", data="{broken", content_type="application/json"), 400, "bad_request")
    _is_error(api.post("/cases", {"process": "referral"}, headers={"Idempotency-Key": "x" * 201}), 400, "bad_request")
    _is_error(api.get("/cases?page=abc"), 422, "invalid_input")
    _is_error(api.get("/cases?status=lost"), 422, "invalid_input")
    _is_error(api.get("/tasks?queue=unit"), 403, "forbidden")  # a handler has no unit queue
    _is_error(api.client.delete("/api/v1/cases", headers=api.headers), 405, "method_not_allowed")
    _is_error(api.get("/nothing-here"), 404, "not_found")
    assert _count(Case) == 0


def test_messages_are_in_the_language_the_client_asks_for(api_as):
    english = api_as("dispatcher", language="en-US").post("/cases", {"process": "referral", "data": {}})
    assert "Some fields are not filled in correctly" in english.get_json()["message"]
    chinese = api_as("dispatcher").post("/cases", {"process": "referral", "data": {}})
    assert chinese.get_json()["message"] != english.get_json()["message"]


# --- tasks ----------------------------------------------------------------------------------------


def test_the_county_handler_completes_a_task_with_its_form_and_a_second_completion_conflicts(api_as, referral):
    handler = api_as("kuiwen_handler")
    group = handler.get("/tasks?queue=group").get_json()
    assert [t["case_id"] for t in group["items"]] == [referral.id]
    task = group["items"][0]
    detail = handler.get(f"/tasks/{task['id']}").get_json()
    assert detail["may_complete"] is True and detail["case"]["number"] == referral.number
    properties = detail["form"]["schema"]["properties"]
    assert {o["const"] for o in properties["sign_decision"]["oneOf"]} == {"sign", "return"}
    assert "属本辖区" in detail["instructions_html"]  # the model's instructions

    missing_reason = handler.post(f"/tasks/{task['id']}/complete", {"data": {"sign_decision": "return"}})
    body = _is_error(missing_reason, 422, "invalid_input")
    assert [d["field"] for d in body["details"]] == ["return_reason"]
    assert open_task_of(referral).bpmn_id == "sign_for"

    done = handler.post(f"/tasks/{task['id']}/complete", {"data": {"sign_decision": "sign"}, "comment": "已签收"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "completed" and done.get_json()["completed_by"] == "kuiwen_handler"
    assert db.session.scalar(sa.select(Comment.body).where(Comment.case_id == referral.id)) == "已签收"
    assert open_task_of(referral).bpmn_id == "handle_specialist"

    again = _is_error(
        handler.post(f"/tasks/{task['id']}/complete", {"data": {"sign_decision": "sign"}}), 409, "conflict"
    )
    assert "刘经办" in again["message"]
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_completed"))
        == 1
    )


def test_another_county_reaches_nothing_of_this_one_by_any_id(api_as, referral):
    outsider = api_as("shouguang_handler")
    task = open_task_of(referral)
    _is_error(outsider.get(f"/cases/{referral.id}"), 404, "not_found")
    _is_error(outsider.get(f"/tasks/{task.id}"), 404, "not_found")
    _is_error(outsider.post(f"/tasks/{task.id}/complete", {"data": {"sign_decision": "sign"}}), 404, "not_found")
    _is_error(outsider.post(f"/tasks/{task.id}/claim"), 404, "not_found")
    _is_error(outsider.post(f"/cases/{referral.id}/comments", {"body": "x"}), 404, "not_found")
    _is_error(outsider.post(f"/cases/{referral.id}/messages", {"name": "x"}), 404, "not_found")
    assert outsider.get("/cases").get_json()["total"] == 0
    assert outsider.get("/tasks?queue=group").get_json()["total"] == 0
    assert open_task_of(referral).state == "open" and _count(Comment) == 0


def test_a_staff_member_who_sees_the_case_but_may_not_act_gets_403(api_as, referral):
    supervisor = api_as("city_supervisor")
    task = open_task_of(referral)
    assert supervisor.get(f"/tasks/{task.id}").get_json()["may_complete"] is False
    _is_error(supervisor.post(f"/tasks/{task.id}/complete", {"data": {"sign_decision": "sign"}}), 403, "forbidden")
    assert open_task_of(referral).state == "open"


def test_claiming_moves_a_task_from_the_group_queue_to_mine(api_as, referral):
    handler = api_as("kuiwen_handler")
    task_id = open_task_of(referral).id
    claimed = handler.post(f"/tasks/{task_id}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "kuiwen_handler"
    assert handler.get("/tasks").get_json()["items"][0]["id"] == task_id
    assert handler.get("/tasks?queue=group").get_json()["total"] == 0


def test_an_enterprise_token_sees_what_the_portal_shows_and_no_more(api_as, referral, create_agreement_case):
    agreement_case = create_agreement_case("drafted")  # 华宇's: its sign step waits for the enterprise
    enterprise = api_as("ent_huayu")
    mine = enterprise.get("/tasks").get_json()
    assert [t["step"] for t in mine["items"]] == ["sign"]
    sign = mine["items"][0]
    form = enterprise.get(f"/tasks/{sign['id']}").get_json()["form"]
    assert form["schema"]["properties"]["legal_rep_name"]["title"] == "法定代表人姓名"
    # the referral's steps are the agency's: not the enterprise's to see or do
    referral_task = open_task_of(referral)
    _is_error(enterprise.get(f"/tasks/{referral_task.id}"), 404, "not_found")
    _is_error(
        enterprise.post(f"/tasks/{referral_task.id}/complete", {"data": {"sign_decision": "sign"}}), 404, "not_found"
    )
    case = enterprise.get(f"/cases/{agreement_case.id}").get_json()
    assert all(entry["data"] is None and entry["actor"] is None for entry in case["history"])
    assert [s["step"] for s in case["current_steps"]] == ["sign"]
    _is_error(enterprise.post(f"/cases/{agreement_case.id}/comments", {"body": "hi"}), 403, "forbidden")
    assert [p["id"] for p in enterprise.get("/processes").get_json()["items"]] == [  # those its models open
        "health_check",
        "installment_agreement",
        "internship_subsidy",
        "loan_extension",
    ]
    # another enterprise reaches none of it
    other = api_as("ent_lvyuan")
    _is_error(other.get(f"/cases/{agreement_case.id}"), 404, "not_found")
    _is_error(other.get(f"/tasks/{sign['id']}"), 404, "not_found")
    _is_error(other.post(f"/tasks/{sign['id']}/complete", {"data": {}}), 404, "not_found")
    assert other.get("/tasks").get_json()["total"] == 0


def test_an_enterprise_applies_for_a_health_check(api_as):
    response = api_as("ent_lvyuan").post(
        "/cases", {"process": "health_check", "data": {"focus_items": ["wage_payment"]}}
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["enterprise"]["name"] == LVYUAN and case["org_unit"] == "shouguang"
    refused = api_as("ent_lvyuan").post("/cases", {"process": "health_check", "data": {"focus_items": ["wages"]}})
    assert [d["field"] for d in _is_error(refused, 422, "invalid_input")["details"]] == ["focus_items.0"]


# --- comments and messages -----------------------------------------------------------------------


def test_comments_are_added_and_an_empty_one_is_refused(api_as, referral):
    api = api_as("dispatcher")
    created = api.post(f"/cases/{referral.id}/comments", {"body": "<b>请尽快</b>"})
    assert created.status_code == 201 and created.get_json()["body"] == "<b>请尽快</b>"
    _is_error(api.post(f"/cases/{referral.id}/comments", {"body": "   "}), 422, "invalid_input")
    _is_error(api.post(f"/cases/{referral.id}/comments", {"body": 5}), 422, "invalid_input")
    assert [c["body"] for c in api.get(f"/cases/{referral.id}").get_json()["comments"]] == ["<b>请尽快</b>"]


def test_a_message_from_outside_moves_a_waiting_case_on(api_as, bureau, deploy):
    from workflow_app.cases.operations import start_case

    deploy("message_catch.bpmn")
    dispatcher = bureau["dispatcher"]
    case = start_case("message_catch", {}, dispatcher.org_unit_id, dispatcher.id, "等待材料")
    db.session.commit()
    api = api_as("dispatcher")
    _is_error(api.post(f"/cases/{case.id}/messages", {"name": "something_else"}), 409, "conflict")
    _is_error(api.post(f"/cases/{case.id}/messages", {"payload": {}}), 422, "invalid_input")
    response = api.post(f"/cases/{case.id}/messages", {"name": "docs_received", "payload": {"pages": 12}})
    assert response.status_code == 200, response.get_json()
    assert [s["step"] for s in response.get_json()["current_steps"]] == ["check"]
    received = [h for h in response.get_json()["history"] if h["kind"] == "message_received"]
    assert received[0]["data"] == {
        "name": "docs_received",
        "payload": {"pages": 12},
        "changed": {"documents": {"pages": 12}},
    }  # where the case put it
    assert (received[0]["actor"], received[0]["step"]) == ("dispatcher", "await_docs")
    _is_error(api.post(f"/cases/{case.id}/messages", {"name": "docs_received"}), 409, "conflict")
    assert _is_error(
        api_as("ent_huayu").post(f"/cases/{case.id}/messages", {"name": "docs_received"}), 404, "not_found"
    )


def test_the_tokens_cli_creates_lists_and_revokes(app, bureau):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "dispatcher", "--name", "指挥中心", "--system"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    client = app.test_client()
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = runner.invoke(args=["tokens", "list", "dispatcher"])
    assert "指挥中心" in listed.output and "system" in listed.output and token not in listed.output
    token_id = db.session.scalar(sa.select(ApiToken.id))
    assert runner.invoke(args=["tokens", "revoke", "dispatcher", str(token_id)]).exit_code == 0
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    unknown = runner.invoke(args=["tokens", "create", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output and "Traceback" not in unknown.output
    again = runner.invoke(args=["tokens", "revoke", "dispatcher", str(token_id)])
    assert again.exit_code != 0 and "Traceback" not in again.output


def test_any_deployed_process_is_started_by_its_start_lanes_role(app, deploy, create_user, client_as):
    from workflow_app.auth.operations import create_api_token

    deploy("straight_line.bpmn")  # its start event is in the lane "clerk"
    clerk, outsider = create_user("clerk1", roles=("clerk",)), create_user("other1", roles=("reviewer",))
    client = app.test_client()

    def post(user, body):
        _row, token = create_api_token(user, "t")
        db.session.commit()
        return client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})

    response = post(clerk, {"process": "straight_line", "data": {"amount": "10.50", "title": "申请 1"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "申请 1" and response.get_json()["current_steps"][0]["step"] == "enter"
    _is_error(post(clerk, {"process": "straight_line", "data": {"__class__": 1}}), 422, "invalid_input")
    _is_error(post(outsider, {"process": "straight_line", "data": {}}), 422, "invalid_input")
    assert _count(Case) == 1
    # the same from the case list's start page
    page = client_as("clerk1")
    assert page.get("/cases/new/straight_line").status_code == 200
    assert page.post("/cases/new/straight_line", data={"title": ""}).status_code == 302
    assert client_as("other1").get("/cases/new/straight_line").status_code == 403
    assert _count(Case) == 2


def test_the_task_list_does_not_read_the_stored_workflows(bureau, create_referral, api_as):
    create_referral(HUAYU)
    db.session.commit()
    with statements_run() as seen:
        listed = api_as("kuiwen_handler").get("/tasks?queue=group")
    assert listed.status_code == 200 and len(listed.json["items"]) == 1
    assert [statement for statement, _parameters in seen if "state_json" in statement] == []
