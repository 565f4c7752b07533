"""Money, dates and ids sent to the API: a 422 naming the field (or a 404 for an id no row can have), nothing stored.

(Issue 27 points 3 and 5; the portal's side: tests/portal/test_typed_values.py.)
"""

import json

import pytest
import sqlalchemy as sa

from tests.portal.test_typed_values import BAD_AMOUNTS, SCHEMA_BAD_AMOUNTS, SCHEMA_DATE_MESSAGE
from tests.processes.test_installment_agreement import application as installment_application
from tests.processes.test_loan_extension import application as loan_application
from workflow_app.api.models import IdempotencyKey
from workflow_app.cases.models import Case
from workflow_app.engine.models import ProcessInstance
from workflow_app.extensions import db

# amounts as JSON numbers, as a client's serializer may send them (Python's json reads NaN and Infinity too, and
# 1e400 as an infinite float): a money-yuan field takes text, so each is refused as such, never read as a float
BAD_JSON_NUMBERS = [
    "1e400",
    "Infinity",
    "-Infinity",
    "NaN",
    "1e30",
    "1" * 29,
    "99999999999999999999999.99",
    "1.234",
    "60000.5",
]


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _refused_field(response, field):
    """The message of the one detail of a 422 invalid_input, which names `field`."""
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "invalid_input" and [d["field"] for d in body["details"]] == [field], body
    assert _count(Case) == 0 and _count(ProcessInstance) == 0 and _count(IdempotencyKey) == 0
    return body["details"][0]["message"]


def _start(api, process, data):
    return api.post("/cases", {"process": process, "data": data}, headers={"Idempotency-Key": "typed-values-1"})


def _form_data(application, **changes):
    data = application(**changes)
    data.pop("unemployment_yuan", None), data.pop("injury_yuan", None)  # one amount is enough
    return data


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_an_amount_typed_as_text_is_refused_with_the_field_named(api_as, typed):
    api = api_as("ent_huayu", "en")
    message = _refused_field(
        _start(api, "installment_agreement", _form_data(installment_application, pension_yuan=typed)), "pension_yuan"
    )
    assert (
        message == f"'缓缴的基本养老保险费（元）': {SCHEMA_BAD_AMOUNTS[typed]}"
    )  # the field's title, then what is wrong


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_a_loan_principal_typed_as_text_is_refused_with_the_field_named(api_as, typed):
    api = api_as("ent_huayu", "en")
    message = _refused_field(_start(api, "loan_extension", loan_application(principal=typed)), "principal")
    assert message == f"'未还本金（元）': {SCHEMA_BAD_AMOUNTS[typed]}"  # the field's title, then what is wrong


@pytest.mark.parametrize("number", BAD_JSON_NUMBERS)
def test_an_amount_sent_as_a_json_number_is_refused_with_the_field_named(api_as, number):
    api = api_as("ent_huayu", "en")
    data = json.dumps({"process": "installment_agreement", "data": _form_data(installment_application)})
    body = data.replace('"pension_yuan": "60000.00"', f'"pension_yuan": {number}')
    assert body != data
    response = api.client.post("/api/v1/cases", data=body, content_type="application/json", headers=api.headers)
    assert _refused_field(response, "pension_yuan") == (
        "'缓缴的基本养老保险费（元）': give the amount as text in digits, e.g. \"1234.56\""
    )


def test_a_date_no_one_means_is_refused_with_the_field_named(api_as):
    api = api_as("ent_huayu", "en")
    for day in ("0001-01-01", "9999-12-31"):
        assert (
            _refused_field(
                _start(api, "installment_agreement", _form_data(installment_application, deferral_end_date=day)),
                "deferral_end_date",
            )
            == f"'缓缴期满日期': {SCHEMA_DATE_MESSAGE}"
        )


def test_a_loan_maturity_no_one_means_is_refused_with_the_field_named(api_as):
    api = api_as("ent_huayu", "en")
    for day in ("0001-01-01", "9999-12-31"):
        assert (
            _refused_field(_start(api, "loan_extension", loan_application(maturity_date=day)), "maturity_date")
            == f"'贷款到期日': {SCHEMA_DATE_MESSAGE}"
        )


def test_the_form_schema_says_an_amount_is_money_in_yuan(api_as):
    processes = {p["id"]: p for p in api_as("ent_huayu").get("/processes").get_json()["items"]}
    principal = processes["loan_extension"]["form"]["schema"]["properties"]["principal"]
    assert principal["type"] == "string" and principal["format"] == "money-yuan"  # whose bounds the API guide gives


def test_the_openapi_documents_maximums_are_the_ones_the_server_takes(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    integers = [
        (path, parameter)
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["schema"].get("type") == "integer"
    ]
    ids = [(path, p["schema"]["maximum"]) for path, p in integers if p["in"] == "path"]
    assert len(ids) == 6 and {maximum for _path, maximum in ids} == {2147483647}
    pages = {p["schema"]["maximum"] for _path, p in integers if p["name"] == "page"}
    assert pages == {100000}


@pytest.mark.parametrize("number", [2**31 - 1, 2**31, 2**63, 10**30])
def test_an_id_beyond_the_databases_integers_is_not_found(api_as, referral, number):
    api = api_as("kuiwen_handler", "en")
    for response in (
        api.get(f"/cases/{number}"),
        api.get(f"/tasks/{number}"),
        api.post(f"/tasks/{number}/complete", {"data": {}}),
        api.post(f"/tasks/{number}/claim"),
        api.post(f"/cases/{number}/comments", {"body": "x"}),
        api.post(f"/cases/{number}/messages", {"name": "x"}),
    ):
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", response.get_json()


@pytest.mark.parametrize("query", ["page=" + "1" + "0" * 30, "page=100001", "page=0", "per_page=" + "9" * 20])
def test_a_page_out_of_range_is_refused_with_the_argument_named(api_as, query):
    api = api_as("kuiwen_handler", "en")
    for path in ("/cases", "/tasks"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 422 and response.get_json()["details"][0]["field"] == query.split("=")[0]
