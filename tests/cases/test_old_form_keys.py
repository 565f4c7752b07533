"""Old versions' forms (contract F.4): a step of an older version names a formKey whose hand-written class is gone;
the newest deployed version's process_model.json says in form_keys which JSON Schema form takes its place. The task
page, the API and the history use that file of the newest version; the data it gives still routes the old model; a
formKey no package names is shown with why and refused, never a 500."""

import json

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Optional

from forms import FORM_CLASSES
from forms.base import TaskForm
from tests.conftest import PASSWORD, open_task_of
from workflow_app.auth.operations import create_api_token
from workflow_app.auth.queries import find_user
from workflow_app.cases.queries import described_audit_events
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessInstance, Task
from workflow_app.engine.operations import complete_task, deploy_sources
from workflow_app.engine.queries import current_data
from workflow_app.engine.queries import ended_through as end_event
from workflow_app.extensions import db

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="old_forms" name="许可审查" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="county_handler"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>g</bpmn:flowNodeRef><bpmn:flowNodeRef>granted</bpmn:flowNodeRef><bpmn:flowNodeRef>refused</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements><spiffworkflow:properties>{form}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="g" default="to_refused"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>to_granted</bpmn:outgoing><bpmn:outgoing>to_refused</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="granted"><bpmn:incoming>to_granted</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="refused"><bpmn:incoming>to_refused</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" /><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="g" />
    <bpmn:sequenceFlow id="to_granted" sourceRef="g" targetRef="granted"><bpmn:conditionExpression>review_decision == "approve"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_refused" sourceRef="g" targetRef="refused" />
  </bpmn:process>
</bpmn:definitions>"""
OLD_BPMN = BPMN.format(form='<spiffworkflow:property name="formKey" value="old_review" />')
NEW_BPMN = BPMN.format(form='<spiffworkflow:property name="formJsonSchemaFilename" value="review-schema.json" />')
# the form that takes the old formKey's place: the same field names and values the old gateway tests
OLD_REVIEW_SCHEMA = {
    "type": "object",
    "required": ["review_decision"],
    "properties": {
        "review_decision": {
            "type": "string",
            "title": "审核意见",
            "oneOf": [{"const": "approve", "title": "同意"}, {"const": "refuse", "title": "不同意"}],
        },
        "review_opinion": {"type": "string", "title": "审核说明", "maxLength": 500},
    },
}
OLD_REVIEW_UI = {"review_decision": {"ui:widget": "radio"}, "review_opinion": {"ui:widget": "textarea"}}
NEW_REVIEW_SCHEMA = {
    "type": "object",
    "required": ["review_decision"],
    "properties": {
        "review_decision": OLD_REVIEW_SCHEMA["properties"]["review_decision"],
        "checked_items": {"type": "integer", "title": "核查事项数"},
    },
}


class OldReviewForm(TaskForm):
    """The hand-written form of version 1 (as the bureau's were), deleted before version 2."""

    review_decision = RadioField(
        _l("Decision"), choices=[("approve", "同意"), ("refuse", "不同意")], validators=[InputRequired()]
    )
    review_opinion = TextAreaField(_l("Opinion"), validators=[Optional()])


def package(form_keys=None, **extra):
    model = {"display_name": "许可审查", "primary_file_name": "old_forms.bpmn", "primary_process_id": "old_forms"}
    if form_keys is not None:
        model["form_keys"] = form_keys
    files = {
        "old_forms/old_forms.bpmn": NEW_BPMN,
        "old_forms/process_model.json": json.dumps(model),
        "old_forms/review-schema.json": json.dumps(NEW_REVIEW_SCHEMA),
        "old_forms/review-v1-schema.json": json.dumps(OLD_REVIEW_SCHEMA),
        "old_forms/review-v1-uischema.json": json.dumps(OLD_REVIEW_UI),
        **extra,
    }
    return {key: value.encode() for key, value in files.items() if value is not None}


@pytest.fixture
def old_cases(deploy, create_case, create_user):
    """Two cases of version 1 (one waiting at its review, one reviewed through the old form), the old form class
    then deleted; returns (waiting, reviewed)."""
    create_user("handler", roles=("county_handler",))
    FORM_CLASSES["old_review"] = OldReviewForm
    try:
        deploy(sources={"old_forms.bpmn": OLD_BPMN})
        waiting, reviewed = create_case("old_forms"), create_case("old_forms")
        complete_task(open_task_of(reviewed).id, {"review_decision": "approve", "review_opinion": "材料齐全"}, None)
        db.session.commit()
    finally:
        del FORM_CLASSES["old_review"]
    return waiting, reviewed


def deploy_package(**kwargs):
    result = deploy_sources(package(**kwargs))
    db.session.commit()
    return result


def login(app):
    client = app.test_client()
    assert client.post("/login", data={"username": "handler", "password": PASSWORD}).status_code == 302
    return client


def api(app):
    _row, token = create_api_token(find_user("handler"), "t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path, **kw: getattr(app.test_client(), method)("/api/v1" + path, headers=headers, **kw)


def ended_through(case):
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, case.instance_id)
    return instance.status, current_data(instance)


def test_the_package_keeps_the_form_of_an_old_form_key_with_the_version(app, old_cases):
    (version,) = deploy_package(form_keys={"old_review": "review-v1-schema.json"}).created
    assert {"review-v1-schema.json", "review-v1-uischema.json", "process_model.json"} <= set(version.files)


def test_an_old_open_task_renders_and_completes_through_the_packages_form_and_routes(app, old_cases):
    waiting, _reviewed = old_cases
    deploy_package(form_keys={"old_review": "review-v1-schema.json"})
    task = open_task_of(waiting)
    client = login(app)
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="data.review_decision"' in html and "审核说明" in html and "同意" in html
    assert 'name="data.checked_items"' not in html  # the old step's form, not the new version's
    refused = client.post(f"/tasks/{task.id}", data={"data.review_opinion": "看一看"})
    assert refused.status_code == 422 and "审核意见" in refused.get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}", data={"data.review_decision": "approve"}).status_code == 302
    status, data = ended_through(waiting)
    assert status == "completed" and data["review_decision"] == "approve"
    assert end_event(db.session.get(ProcessInstance, waiting.instance_id)) == "granted"  # the old gateway routed


def test_the_api_describes_and_checks_an_old_task_with_the_packages_form(app, old_cases):
    waiting, reviewed = old_cases
    deploy_package(form_keys={"old_review": "review-v1-schema.json"})
    call = api(app)
    task = open_task_of(waiting)
    detail = call("get", f"/tasks/{task.id}").get_json()
    assert detail["form"]["schema"]["properties"]["review_decision"]["title"] == "审核意见"
    assert detail["form"]["ui_schema"] == OLD_REVIEW_UI
    refused = call("post", f"/tasks/{task.id}/complete", json={"data": {"review_decision": "maybe"}})
    assert refused.status_code == 422 and refused.get_json()["details"][0]["field"] == "review_decision"
    done = call("post", f"/tasks/{task.id}/complete", json={"data": {"review_decision": "refuse"}})
    assert done.status_code == 200, done.get_json()
    assert ended_through(waiting)[0] == "completed"
    done_task = db.session.scalars(sa.select(Task).where(Task.instance_id == reviewed.instance_id)).one()
    assert call("get", f"/tasks/{done_task.id}").status_code == 200  # a done old task still reads


def test_the_history_labels_an_old_steps_data_with_the_packages_form(app, old_cases):
    _waiting, reviewed = old_cases
    deploy_package(form_keys={"old_review": "review-v1-schema.json"})
    page = login(app).get(f"/cases/{reviewed.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "审核意见" in html and "审核说明" in html and "材料齐全" in html
    (completed,) = [
        entry for entry in described_audit_events(reviewed.instance_id) if entry.item.kind == "task_completed"
    ]
    assert completed.described == [("审核意见", "同意"), ("审核说明", "材料齐全")]  # titles and the choice's title


def test_an_old_form_key_no_package_names_is_shown_with_why_and_refused(app, old_cases):
    waiting, reviewed = old_cases
    deploy_package()  # no form_keys
    task = open_task_of(waiting)
    client = login(app)
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "form_keys" in page.get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}", data={"review_decision": "approve"}).status_code == 422
    assert open_task_of(waiting).state == "open"
    refused = api(app)("post", f"/tasks/{task.id}/complete", json={"data": {}})
    assert refused.status_code == 422 and "form_keys" in json.dumps(refused.get_json(), ensure_ascii=False)
    assert client.get(f"/cases/{reviewed.id}").status_code == 200


@pytest.mark.parametrize(
    "form_keys, extra, expected",
    [
        (["review-v1-schema.json"], {}, "form_keys"),
        ({"old_review": "review-v1-schema.txt"}, {}, "form_keys"),
        ({"old_review": "missing-schema.json"}, {}, "missing-schema.json"),
        (
            {"old_review": "bad-schema.json"},
            {"old_forms/bad-schema.json": '{"type": "object", "properties": {"a": {"format": "no-such"}}}'},
            "no-such",
        ),
    ],
)
def test_deploy_refuses_form_keys_that_name_no_usable_form(app, form_keys, extra, expected):
    with pytest.raises(InvalidInput) as refused:
        deploy_package(form_keys=form_keys, **extra)
    shown = str(refused.value) + json.dumps(refused.value.details, ensure_ascii=False)
    assert expected in shown and "process_model.json" in shown
