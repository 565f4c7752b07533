"""The API's task detail carries the task's instructions from its model as sanitised HTML (`instructions_html`)."""

import lxml.html
import sqlalchemy as sa

from tests.conftest import HUAYU, open_task_of
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import start_case
from workflow_app.extensions import db


def test_the_task_detail_has_the_instructions_as_safe_html_and_none_once_done(bureau, deploy, api_as):
    deploy("instructions.bpmn")
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU))
    handler = bureau["kuiwen_handler"]
    case = start_case(
        "instructed",
        {"applicant": "<img src=x onerror=alert(4)>华宇", "missing": "<iframe>营业执照"},
        handler.org_unit_id,
        handler.id,
        "指导语测试",
        enterprise_id=enterprise.id,
    )
    db.session.commit()
    task = open_task_of(case, "review")
    api = api_as("kuiwen_handler")
    detail = api.get(f"/tasks/{task.id}").get_json()
    shown = detail["instructions_html"]
    assert "<strong>核对</strong>" in shown and "&lt;img src=x onerror=alert(4)&gt;华宇" in shown
    tree = lxml.html.fragment_fromstring(shown, create_parent="div")
    assert not [e for e in tree.iter() if e.tag in ("script", "img", "iframe")]
    assert not [name for e in tree.iter() for name in e.attrib if name.startswith("on")]
    assert [a.get("href") for a in tree.iter("a")] == ["https://hrss.weifang.gov.cn/notice"]  # javascript: is no link
    assert detail["name"] == "<script>alert('name')</script>审核申请"  # JSON carries the name; pages escape it
    done = api.post(f"/tasks/{task.id}/complete", {"data": {}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["instructions_html"] is None and done.get_json()["state"] == "completed"
    supply = open_task_of(case, "supply")
    assert (
        api_as("ent_huayu").get(f"/tasks/{supply.id}").get_json()["instructions_html"]
        == "<p>请补充 <em>&lt;iframe&gt;营业执照</em>，并上传扫描件。</p>\n"
    )


PLAIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="plain_step" name="Plain step" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="county_handler"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Check"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_task_without_instructions_has_none(bureau, deploy, api_as):
    deploy(sources={"plain_step.bpmn": PLAIN})
    handler = bureau["kuiwen_handler"]
    case = start_case("plain_step", {}, handler.org_unit_id, handler.id, "无指导语")
    db.session.commit()
    response = api_as("kuiwen_handler").get(f"/tasks/{open_task_of(case, 'check').id}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["instructions_html"] is None
