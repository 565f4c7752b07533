"""What every API call goes through: nested and NUL-holding JSON, the Idempotency-Key's form and its body
comparison, the query arguments' values as the OpenAPI document states them."""

import json
import re

import sqlalchemy as sa

from tests.conftest import HUAYU
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Case
from workflow_app.extensions import db


def _referral_data():
    uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == HUAYU))
    return {
        "enterprise_uscc": uscc,
        "category": "社保",
        "description": "企业反映社保补贴问题",
        "source": "市工业运行指挥部",
    }


def _count_cases():
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and body["message"], body
    return body


def _post_text(api, path, text, **headers):
    return api.post(path, data=text.encode(), content_type="application/json", headers=headers)


def test_deeply_nested_json_is_a_clear_400(api_as):
    api = api_as("dispatcher", language="en")
    for text in (
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser goes
        '{"process": "referral", "data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
    ):  # parsed, too deep
        body = _error(_post_text(api, "/cases", text), 400, "bad_request")
        assert "nested more than 32 levels" in body["message"]
    chinese = _error(_post_text(api_as("dispatcher"), "/cases", "[" * 5000 + "]" * 5000), 400, "bad_request")
    assert "32" in chinese["message"] and "层" in chinese["message"]
    # a few levels, as a message's payload may have, are read
    shallow = {"process": "referral", "data": {**_referral_data(), "description": "企业反映问题"}}
    assert _post_text(api, "/cases", json.dumps(shallow)).status_code == 201
    assert _count_cases() == 1


def test_nul_characters_in_json_are_a_400_as_documented(api_as):
    api = api_as("dispatcher", language="en")
    for body in (
        {"process": "refer\x00ral", "data": {}},
        {"process": "referral", "data": {"desc\x00ription": "x"}},
        {"process": "referral", "data": {**_referral_data(), "description": ["a", "b\x00"]}},
    ):
        response = _error(api.post("/cases", body), 400, "bad_request")
        assert "NUL" in response["message"]
    assert _count_cases() == 0


def test_half_a_surrogate_pair_in_json_is_a_400_not_a_server_error(api_as, referral):
    api = api_as("kuiwen_handler", language="en")
    for text, key in (r'{"body": "a\ud800b"}', None), (r'{"body": "\udfff"}', "lone-1"), (r'{"\udbff": "x"}', None):
        headers = {"Idempotency-Key": key} if key else {}
        body = _error(_post_text(api, f"/cases/{referral.id}/comments", text, **headers), 400, "bad_request")
        assert "surrogate pair" in body["message"]
    # a whole pair is one character, escaped or not
    emoji = _post_text(
        api, f"/cases/{referral.id}/comments", r'{"body": "\ud83d\ude00 好"}', **{"Idempotency-Key": "pair"}
    )
    assert emoji.status_code == 201 and emoji.get_json()["body"] == "\U0001f600 好"


def test_an_idempotency_key_must_match_the_documented_pattern(api_as):
    api = api_as("dispatcher", language="en")
    body = {"process": "referral", "data": _referral_data()}
    for key in ("has space", "semi;colon", "中文", "slash/key", "x" * 201, ""):
        refused = _error(api.post("/cases", body, headers={"Idempotency-Key": key}), 400, "bad_request")
        assert refused["details"][0]["field"] == "Idempotency-Key"
        assert "letters A-Z and a-z, digits and _ . : -" in refused["message"]
    assert _count_cases() == 0
    assert api.post("/cases", body, headers={"Idempotency-Key": "cc_2026.11:21-0001"}).status_code == 201
    assert api.post("/cases", body, headers={"Idempotency-Key": "x" * 200}).status_code == 201


def test_an_equal_json_body_serialised_again_is_the_same_request(api_as):
    api = api_as("dispatcher")
    body = {"process": "referral", "data": _referral_data()}
    first = _post_text(api, "/cases", json.dumps(body), **{"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    again = _post_text(
        api, "/cases", json.dumps(body, indent=2, sort_keys=True, ensure_ascii=True), **{"Idempotency-Key": "retry-1"}
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and _count_cases() == 1
    changed = {"process": "referral", "data": {**_referral_data(), "category": "用工"}}
    # another body under the key conflicts with the key's first request (a fresh key would go through)
    _error(_post_text(api, "/cases", json.dumps(changed), **{"Idempotency-Key": "retry-1"}), 409, "conflict")
    assert _count_cases() == 1


def test_query_parameters_the_document_does_not_list_are_refused(api_as):
    api = api_as("kuiwen_handler", language="en")
    for path in (
        "/tasks?queue=mine&colour=red",
        "/cases?page=1&Page=2",
        "/processes?x=1",
        "/cases/1?y=",
        "/tasks/1?z=1",
    ):
        body = _error(api.get(path), 422, "invalid_input")
        assert "Unknown query parameters" in body["message"] and body["details"][0]["field"] in "colour Page x y z"
    refused = _error(api.post("/cases?debug=1", {"process": "referral", "data": {}}), 422, "invalid_input")
    assert refused["details"] == [{"field": "debug", "message": "Not a parameter of this request"}]
    assert api.get("/tasks?queue=mine&sort=created&page=1&per_page=10").status_code == 200


def test_queue_takes_exactly_the_documented_values(api_as, referral):
    handler = api_as("kuiwen_handler", language="en")
    for query in ("queue=", "queue=Mine", "queue=%20mine", "queue=all"):
        body = _error(handler.get(f"/tasks?{query}"), 422, "invalid_input")
        assert body["details"][0]["field"] == "queue" and "mine, group, unit" in body["message"]
    assert handler.get("/tasks?queue=group").get_json()["total"] == 1
    assert "supervisors" in _error(handler.get("/tasks?queue=unit"), 403, "forbidden")["message"]
    assert api_as("kuiwen_supervisor").get("/tasks?queue=unit").get_json()["total"] == 1
    enterprise = api_as("ent_huayu", language="en")
    assert enterprise.get("/tasks?queue=mine").status_code == 200
    _error(enterprise.get("/tasks?queue=group"), 403, "forbidden")
    _error(enterprise.get("/tasks?queue="), 422, "invalid_input")
    _error(enterprise.get("/tasks?sla=late"), 422, "invalid_input")  # the filters' values are checked for all
    # the other arguments the document lists values for take those values, an empty one is none of them
    for query in ("status=", "sla=", "sort=", "page=", "per_page="):
        _error(handler.get(f"/{'cases' if query == 'status=' else 'tasks'}?{query}"), 422, "invalid_input")


def test_what_the_document_refuses_in_comments_and_messages_is_refused(api_as, referral):
    api = api_as("kuiwen_handler", language="en")
    schemas = api.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["NewComment"]["properties"]["body"]["pattern"] == schemas["Message"]["properties"]["name"]["pattern"]
    assert "nullable" not in schemas["NewComment"]["properties"]["visibility"]
    null = _error(api.post(f"/cases/{referral.id}/comments", {"body": "x", "visibility": None}), 422, "invalid_input")
    assert null["details"][0]["field"] == "visibility"
    # white space as the document's pattern sees it and as the server strips it (they differ in a few characters)
    pattern = re.compile(schemas["NewComment"]["properties"]["body"]["pattern"])
    for blank in (" \t\n", "\x1f", "\u3000", "\ufeff", "\x85"):
        assert not pattern.search(blank)
        _error(api.post(f"/cases/{referral.id}/comments", {"body": blank}), 422, "invalid_input")
        _error(api.post(f"/cases/{referral.id}/messages", {"name": blank}), 422, "invalid_input")
    # the length as sent, before the server cuts the spaces around
    long = _error(api.post(f"/cases/{referral.id}/comments", {"body": " " + "x" * 4000}), 422, "invalid_input")
    assert long["details"][0]["field"] == "body"
    assert api.post(f"/cases/{referral.id}/comments", {"body": " " + "x" * 3999}).status_code == 201
    assert api.post(f"/cases/{referral.id}/comments", {"body": "0"}).status_code == 201
    task_id = api.get("/tasks?queue=group").get_json()["items"][0]["id"]
    assert api.post(f"/tasks/{task_id}/claim").status_code == 200
    for comment in (None, " " + "x" * 4000):  # a completion's comment is text, if sent, of at most 4000 characters
        refused = _error(api.post(f"/tasks/{task_id}/complete", {"comment": comment}), 422, "invalid_input")
        assert refused["details"][0]["field"] == "comment"
