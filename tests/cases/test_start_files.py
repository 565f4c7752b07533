"""A start form's file widgets: the files a staff member or an enterprise sends with a start become the new case's
attachments, checked as any upload; a refused file refuses the start and stores nothing. (Before, a start kept the
files' names in the case's data and dropped the files: it had no case to attach them to yet.)"""

import io

import pytest
import sqlalchemy as sa

from workflow_app.cases.models import INTERNAL, SHARED, Attachment, Case
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.operations import deploy_sources
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

START_WITH_FILES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="filed_request" name="带材料的申请" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="county_handler"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>look</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="request-schema.json" />
      <spiffworkflow:property name="formUiSchemaFilename" value="request-uischema.json" />
      <spiffworkflow:property name="portalApplication" value="true" />
      <spiffworkflow:property name="startableBy" value="county_handler" />
      <spiffworkflow:property name="enterpriseField" value="uscc" />
      </spiffworkflow:properties></bpmn:extensionElements><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="look" name="查看材料"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="look" /><bpmn:sequenceFlow id="f2" sourceRef="look" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
REQUEST_SCHEMA = (
    '{"type": "object", "required": ["proof"], "properties": {'
    '"uscc": {"type": "string", "title": "统一社会信用代码"},'
    '"proof": {"type": "array", "title": "证明材料", "minItems": 1, "items": {"type": "string"}}}}'
)
REQUEST_UI = '{"proof": {"ui:widget": "file"}}'


@pytest.fixture
def filed_request(bureau):
    deploy_sources(
        {
            "filed_request.bpmn": START_WITH_FILES.encode(),
            "request-schema.json": REQUEST_SCHEMA.encode(),
            "request-uischema.json": REQUEST_UI.encode(),
        }
    )
    db.session.commit()


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    "who, path, visibility",
    [
        ("kuiwen_handler", "/cases/new/filed_request", INTERNAL),  # staff's files are internal unless shared
        ("ent_huayu", "/portal/apply/filed_request", SHARED),  # an enterprise's own are shared with it
    ],
)
def test_a_start_stores_its_file_widgets_files_as_the_new_cases_attachments(
    filed_request, bureau, client_as, who, path, visibility
):
    client = client_as(who)
    page = client.get(path).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    huayu = bureau["ent_huayu"].enterprise.uscc
    refused = client.post(
        path,
        content_type="multipart/form-data",
        data={
            "data.uscc": huayu,
            "data.proof": [(io.BytesIO(b"plan"), "plan.txt"), (io.BytesIO(b"MZ\x90"), "tool.exe")],
        },
    )
    assert refused.status_code == 422
    assert (_count(Case), _count(ProcessInstance), _count(Attachment)) == (0, 0, 0)
    started = client.post(
        path,
        content_type="multipart/form-data",
        data={"data.uscc": huayu, "data.proof": [(io.BytesIO(b"plan"), "plan.txt"), (io.BytesIO(b"list"), "list.txt")]},
    )
    assert started.status_code == 302, started.get_data(as_text=True)[-2000:]
    case = db.session.scalars(sa.select(Case)).one()
    files = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
    assert [(f.file_name, f.visibility, f.task_id, f.uploaded_by_id) for f in files] == [
        ("plan.txt", visibility, None, bureau[who].id),
        ("list.txt", visibility, None, bureau[who].id),
    ]
    assert current_data(case.instance)["proof"] == ["plan.txt", "list.txt"]
