"""Named form rules: a schema's "x-rules" run after the schema passes, seeing the values as stored and the context
(the case's data, the enterprise, today, the actor) the task page, the start pages and the API give; deploying
refuses a name no rule has."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from forms.rules import FORM_RULES, FormContext, form_rule, known_rules, rule_errors
from forms.schema_forms import SchemaForm, schema_problems
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD, open_task_of
from workflow_app.core.errors import InvalidInput
from workflow_app.extensions import db

USCC = "91370702MA3C4XY018"
SEEN: list[FormContext] = []


def _within_limit(values, context):
    SEEN.append(context)
    limit = Decimal(str(context.case_data.get("limit", "0")))
    if values["amount"] > limit:  # a Decimal: the rule sees money as the case's data keeps it
        return {"amount": f"不能超过案件核定的 {limit} 元"}
    return {}


def _signed_by_representative(values, context):
    SEEN.append(context)
    if context.enterprise is None:
        return {"": "未找到企业"}
    if values["signer"] != context.enterprise.legal_representative:
        return {"signer": f"签字人须为登记的法定代表人 {context.enterprise.legal_representative}"}
    return {}


@pytest.fixture
def rules():
    """Two rules registered for a test (and gone after it): one over the case's data, one over the enterprise."""
    SEEN.clear()
    form_rule("test_within_case_limit")(_within_limit)
    form_rule("test_signed_by_representative")(_signed_by_representative)
    yield SEEN
    for name in ("test_within_case_limit", "test_signed_by_representative"):
        FORM_RULES.pop(name, None)


AMOUNT_SCHEMA = {
    "type": "object",
    "required": ["amount"],
    "x-rules": ["test_within_case_limit"],
    "properties": {
        "amount": {"type": "string", "title": "金额", "format": "money-yuan"},
        "count": {"type": "integer", "title": "人数"},
    },
}


# ---- the machinery, without a database


def test_a_rule_runs_once_the_schema_passes_and_sees_stored_values_and_the_context(request_context, rules):
    form = SchemaForm(AMOUNT_SCHEMA)
    context = FormContext(case_data={"limit": "100.00"}, today=date(2026, 3, 2), actor="someone")
    assert form.validate({"amount": "120.50"}, context) == {"amount": "不能超过案件核定的 100.00 元"}
    assert form.validate({"amount": "99.99", "count": 2.0}, context) == {}
    assert rules[-1] is context
    rules.clear()
    assert set(form.validate({"amount": "abc"}, context)) == {"amount"}  # the schema's own message
    assert rules == []  # the rule never saw values the schema refused


def test_without_a_context_a_rule_sees_no_case_data_and_today(request_context, rules):
    from workflow_app.core.time import local_today

    assert SchemaForm(AMOUNT_SCHEMA).validate({"amount": "0.01"}) == {"amount": "不能超过案件核定的 0 元"}
    assert rules[-1].case_data == {} and rules[-1].today == local_today() and rules[-1].enterprise is None


def test_a_name_registered_twice_is_refused(rules):
    with pytest.raises(ValueError, match="test_within_case_limit"):
        form_rule("test_within_case_limit")(lambda values, context: {})
    assert "test_within_case_limit" in known_rules()


def test_a_rule_the_code_no_longer_has_refuses_the_form_with_a_clear_message(request_context):
    errors = rule_errors(["no_longer_here"], {}, FormContext())
    assert list(errors) == [""] and "no_longer_here" in errors[""]


def test_deploy_refuses_an_unknown_rule_naming_it_and_the_known_ones(request_context, rules):
    schema = {**AMOUNT_SCHEMA, "x-rules": ["test_within_case_limit", "schedule_sums_up"]}
    with force_locale("en"):
        problems = schema_problems("pay-schema.json", schema)
    assert len(problems) == 1, problems
    assert problems[0].startswith('pay-schema.json#/x-rules/1: unknown form rule "schedule_sums_up" (known: ')
    assert "test_signed_by_representative" in problems[0] and "test_within_case_limit" in problems[0]
    problems = schema_problems("pay-schema.json", schema)  # and in Chinese, the default
    assert "schedule_sums_up" in problems[0] and "未知" in problems[0]
    assert schema_problems("pay-schema.json", AMOUNT_SCHEMA) == []


@pytest.mark.parametrize(
    "schema, where",
    [
        ({**AMOUNT_SCHEMA, "x-rules": "test_within_case_limit"}, "f.json#/x-rules"),
        ({**AMOUNT_SCHEMA, "x-rules": [1]}, "f.json#/x-rules"),
        (
            {
                "type": "object",
                "properties": {
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "x-rules": ["test_within_case_limit"],
                            "properties": {"a": {"type": "string"}},
                        },
                    }
                },
            },
            "f.json#/properties/rows/items/x-rules",
        ),
    ],
)
def test_deploy_refuses_x_rules_that_are_no_list_of_names_or_not_at_the_top(request_context, rules, schema, where):
    problems = schema_problems("f.json", schema)
    assert len(problems) == 1 and problems[0].startswith(where + "："), problems


# ---- through the pages and the API

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="ruled" name="带规则的申请" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="county_handler"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>pay</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="apply-schema.json" />
      <spiffworkflow:property name="portalApplication" value="true" />
      <spiffworkflow:property name="enterpriseField" value="uscc" />
    </spiffworkflow:properties></bpmn:extensionElements><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="pay" name="核定发放金额">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="pay-schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pay" /><bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
APPLY_SCHEMA = (
    '{"type": "object", "required": ["signer"], "x-rules": ["test_signed_by_representative"], '
    '"properties": {"signer": {"type": "string", "title": "签字人"}, "uscc": {"type": "string"}}}'
)
PAY_SCHEMA = (
    '{"type": "object", "required": ["amount"], "x-rules": ["test_within_case_limit"], '
    '"properties": {"amount": {"type": "string", "title": "金额", "format": "money-yuan"}}}'
)


@pytest.fixture
def ruled(app, rules, deploy, create_user):
    """The process deployed; an enterprise with its legal representative, a county handler and an enterprise user."""
    from workflow_app.auth.operations import create_enterprise

    enterprise = create_enterprise(USCC, "潍坊华宇精密机械有限公司", "kuiwen")
    enterprise.legal_representative = "王建华"
    db.session.commit()
    deploy(sources={"ruled.bpmn": PROCESS, "apply-schema.json": APPLY_SCHEMA, "pay-schema.json": PAY_SCHEMA})
    return {
        "enterprise": enterprise,
        "handler": create_user("handler", roles=("county_handler",)),
        "owner": create_user("owner", roles=("enterprise",), enterprise=enterprise),
    }


@pytest.fixture
def api_as(app):
    """An API client acting as a user of the test (by user name)."""
    from workflow_app.auth.operations import create_api_token
    from workflow_app.auth.queries import find_user

    def factory(username):
        _row, token = create_api_token(find_user(username), "test", "personal")
        db.session.commit()
        return ApiClient(app.test_client(), token)

    return factory


def _login(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _case_count():
    from workflow_app.cases.models import Case

    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def _start(ruled, limit="100.00"):
    from workflow_app.cases.operations import start_process_case

    case = start_process_case(
        "ruled", {"signer": "王建华", "limit": limit}, ruled["handler"], enterprise_id=ruled["enterprise"].id
    )
    db.session.commit()
    return case


def test_the_task_page_passes_the_case_its_enterprise_and_the_actor_to_the_rules(app, ruled):
    case = _start(ruled)
    task = open_task_of(case, "pay")
    client = _login(app, "handler")
    refused = client.post(f"/tasks/{task.id}", data={"data.amount": "150.00"})
    assert refused.status_code == 422
    assert "不能超过案件核定的 100.00 元" in refused.get_data(as_text=True)
    seen = ruled_seen = SEEN[-1]
    assert seen.case_data["limit"] == "100.00" and seen.enterprise.id == ruled["enterprise"].id
    assert seen.actor.username == "handler" and seen.today is not None and ruled_seen.case_data["signer"] == "王建华"
    assert open_task_of(case, "pay").state == "open"  # nothing stored
    assert client.post(f"/tasks/{task.id}", data={"data.amount": "80.00"}).status_code == 302
    db.session.expire_all()
    assert case.instance.status == "completed"


def test_the_api_completion_passes_the_context_and_names_the_field(app, ruled, api_as):
    case = _start(ruled, limit="50")
    task = open_task_of(case, "pay")
    api = api_as("handler")
    refused = api.post(f"/tasks/{task.id}/complete", {"data": {"amount": "50.01"}})
    assert refused.status_code == 422
    assert refused.get_json()["details"] == [{"field": "amount", "message": "不能超过案件核定的 50 元"}]
    assert SEEN[-1].actor.username == "handler" and SEEN[-1].enterprise.uscc == USCC
    assert open_task_of(case, "pay").state == "open"
    assert api.post(f"/tasks/{task.id}/complete", {"data": {"amount": "50.00"}}).status_code == 200


def test_the_portal_application_gives_the_rules_the_applicants_enterprise(app, ruled):
    client = _login(app, "owner")
    refused = client.post("/portal/apply/ruled", data={"data.signer": "李四"})
    assert refused.status_code == 422
    assert "签字人须为登记的法定代表人 王建华" in refused.get_data(as_text=True)
    assert SEEN[-1].enterprise.id == ruled["enterprise"].id and SEEN[-1].case_data == {}
    assert _case_count() == 0
    assert client.post("/portal/apply/ruled", data={"data.signer": "王建华"}).status_code == 302
    assert _case_count() == 1


def test_the_staff_start_page_gives_the_rules_the_enterprise_its_code_names(app, ruled):
    client = _login(app, "handler")
    # the code in the start form's own field, and beside it for a page that asks for it besides the form
    refused = client.post("/cases/new/ruled", data={"enterprise_uscc": USCC, "data.uscc": USCC, "data.signer": "李四"})
    assert refused.status_code == 422 and "法定代表人 王建华" in refused.get_data(as_text=True)
    assert SEEN[-1].enterprise.id == ruled["enterprise"].id and SEEN[-1].actor.username == "handler"
    assert _case_count() == 0
    started = client.post(
        "/cases/new/ruled", data={"enterprise_uscc": USCC, "data.uscc": USCC, "data.signer": "王建华"}
    )
    assert started.status_code == 302 and _case_count() == 1


def test_the_api_start_gives_the_rules_the_enterprise_of_its_field(app, ruled, api_as):
    api = api_as("handler")
    refused = api.post("/cases", {"process": "ruled", "data": {"uscc": USCC, "signer": "李四"}})
    assert refused.status_code == 422
    assert refused.get_json()["details"][0]["field"] == "signer"
    assert _case_count() == 0
    no_code = api.post("/cases", {"process": "ruled", "data": {"signer": "王建华"}})
    assert no_code.status_code == 422 and no_code.get_json()["details"] == [{"field": "", "message": "未找到企业"}]
    started = api.post("/cases", {"process": "ruled", "data": {"uscc": USCC, "signer": "王建华"}})
    assert started.status_code == 201, started.get_json()
    assert _case_count() == 1


def test_deploying_a_package_whose_form_names_an_unknown_rule_is_refused(app, deploy):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"ruled.bpmn": PROCESS, "apply-schema.json": APPLY_SCHEMA, "pay-schema.json": PAY_SCHEMA})
    shown = str(refused.value) + str(getattr(refused.value, "details", ""))
    assert "test_signed_by_representative" in shown and "apply-schema.json#/x-rules/0" in shown
