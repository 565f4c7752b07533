"""A case's priority from its model (start-event property casePriority): an expression over the start data giving
"urgent" or "normal"; urgent picks each task's slaUrgent. One that fails or gives another value leaves the case
normal and says so in its history; deploying refuses one that does not compile or sits on another element."""

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, open_task_of
from tests.sla.conftest import set_clock, sh  # noqa: F401 (a fixture)
from workflow_app.cases.operations import start_process_case
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import AuditEvent
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="prioritised" name="用工需求转办" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="clerk"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>handle</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="casePriority" value="{priority}" />
    </spiffworkflow:properties></bpmn:extensionElements><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="handle" name="办理">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="sla" value="10wd" /><spiffworkflow:property name="slaUrgent" value="2wd" />{task_props}
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="handle" /><bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
URGENT_WHEN_SHORT = "&quot;urgent&quot; if labour_shortage and workers_short &gt;= 50 else &quot;normal&quot;"


def model(priority=URGENT_WHEN_SHORT, task_props=""):
    return PROCESS.format(priority=priority, task_props=task_props)


@pytest.fixture
def start(deploy, create_user, set_clock):
    """Deploy the process (with a casePriority) and start cases of it as a clerk on Monday 09:00."""
    clerk = create_user("clerk1", roles=("clerk",))

    def factory(data, expression=URGENT_WHEN_SHORT, **kwargs):
        deploy(sources={"prioritised.bpmn": model(expression)})
        set_clock("2026-11-23 09:00")
        case = start_process_case("prioritised", data, clerk, **kwargs)
        db.session.commit()
        return case

    return factory


def _failures(case) -> list[dict]:
    return [
        e.data
        for e in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "sla_property_failed"
            )
        )
    ]


def test_the_model_makes_a_case_urgent_from_its_start_data_and_its_tasks_take_sla_urgent(app, start):
    urgent = start({"labour_shortage": True, "workers_short": 80})
    assert urgent.priority == "urgent" and current_data(urgent.instance)["priority"] == "urgent"
    assert open_task_of(urgent).due_at == sh("2026-11-25 17:30")  # 2wd
    normal = start({"labour_shortage": True, "workers_short": 12})
    assert normal.priority == "normal" and open_task_of(normal).due_at == sh("2026-12-07 17:30")  # 10wd
    assert _failures(urgent) == [] and _failures(normal) == []


def test_a_priority_the_caller_gives_wins(app, start):
    assert start({"labour_shortage": False, "workers_short": 0}, priority="urgent").priority == "urgent"


def test_the_expression_sees_the_enterprise_and_the_case_number(app, start):
    from workflow_app.auth.operations import create_enterprise

    enterprise = create_enterprise("91370702MA3C4XY018", "潍坊华宇精密机械有限公司", "kuiwen")
    db.session.commit()
    case = start(
        {},
        "&quot;urgent&quot; if enterprise[&quot;county&quot;] == &quot;kuiwen&quot; "
        "and case_number.startswith(&quot;AJ-&quot;) else &quot;normal&quot;",
        enterprise_id=enterprise.id,
    )
    assert case.priority == "urgent"


@pytest.mark.parametrize(
    "data, expression, error",
    [
        ({}, URGENT_WHEN_SHORT, "labour_shortage"),  # a field the start data lacks
        ({"labour_shortage": True}, "&quot;high&quot;", "'high'"),  # no priority
        ({"labour_shortage": True}, "1 / 0", "ZeroDivisionError"),
    ],
)
def test_a_failed_priority_leaves_the_case_normal_and_is_in_its_history(app, start, data, expression, error):
    case = start(data, expression)
    assert case.priority == "normal" and open_task_of(case).due_at == sh("2026-12-07 17:30")
    (failure,) = _failures(case)
    assert failure["property"] == "casePriority" and error in failure["error"]


def test_the_case_page_history_names_the_failed_property(app, start):
    case = start({}, "no_such_field")
    client = app.test_client()
    assert client.post("/login", data={"username": "clerk1", "password": PASSWORD}).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "casePriority" in page and "no_such_field" in page


@pytest.mark.parametrize(
    "source, expected",
    [
        (model("&quot;urgent&quot; if"), "casePriority"),
        (
            model("&quot;normal&quot;", '<spiffworkflow:property name="casePriority" value="&quot;urgent&quot;" />'),
            "casePriority",
        ),  # on a task, where nothing reads it
    ],
)
def test_deploy_refuses_a_priority_that_does_not_compile_or_is_not_on_the_start_event(app, deploy, source, expected):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"prioritised.bpmn": source})
    shown = str(refused.value) + str(getattr(refused.value, "details", ""))
    assert expected in shown and "prioritised.bpmn" in shown
