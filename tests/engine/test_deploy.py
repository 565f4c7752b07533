"""Deploying: versioning by content, and refusals that name the file and the element."""

import pytest
import sqlalchemy as sa

from forms import ConfirmForm, form_class_for
from tests.conftest import DATA
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessVersion
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db

USER_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{lane}"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>ask</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="{name}">
      <bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask" /><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def one_task(pid="one_task", lane="clerk", name="Ask", props=""):
    return USER_TASK.format(pid=pid, lane=lane, name=name, props=props)


def versions(process_id):
    return db.session.scalars(
        sa.select(ProcessVersion.version)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version)
    ).all()


def test_redeploying_unchanged_files_makes_no_new_version(deploy):
    first = deploy("straight_line.bpmn")
    assert [v.version for v in first.created] == [1]
    again = deploy("straight_line.bpmn")
    assert again.created == [] and again.unchanged == ["straight_line"]
    assert versions("straight_line") == [1]


def test_changed_file_makes_next_version_and_running_cases_stay_on_theirs(deploy, create_case):
    deploy(sources={"one_task.bpmn": one_task(name="Old step")})
    old_case = create_case("one_task")
    result = deploy(sources={"one_task.bpmn": one_task(name="New step")})
    assert [v.version for v in result.created] == [2]
    new_case = create_case("one_task")
    assert old_case.instance.process_version.version == 1 and new_case.instance.process_version.version == 2
    assert old_case.instance.current_step == "Old step" and new_case.instance.current_step == "New step"
    from workflow_app.engine.queries import open_tasks

    complete_task(open_tasks(old_case.instance_id)[0].id, {}, None)
    db.session.commit()
    assert old_case.instance.status == "completed"


def test_dmn_change_makes_a_new_version(deploy):
    deploy("dmn_task.bpmn", "category_section.dmn")
    changed = (DATA / "category_section.dmn").read_text().replace("劳动关系", "仲裁维权")
    result = deploy("dmn_task.bpmn", sources={"category_section.dmn": changed})
    assert [(v.process_id, v.version) for v in result.created] == [("dmn_task", 2)]


@pytest.mark.parametrize(
    "sources, expected",
    [
        (
            {"bad.bpmn": one_task(props='<spiffworkflow:property name="formKey" value="no_such_form" />')},
            "bad.bpmn, UserTask 'ask'：formKey“no_such_form”没有对应的表单类",
        ),
        (
            {"bad.bpmn": one_task(props='<spiffworkflow:property name="sla" value="three days" />')},
            "bad.bpmn, UserTask 'ask'：属性 sla 无效：“three days”不是有效的时限",
        ),
        ({"bad.bpmn": "<bpmn:definitions"}, "bad.bpmn:1：XML 格式不正确"),
        ({"bad.txt": "hello"}, "bad.txt：只能部署 .bpmn、.dmn 和 .json 文件"),
        ({"dmn_task.bpmn": (DATA / "dmn_task.bpmn").read_text()}, "category_section"),
        ({"call_activity.bpmn": (DATA / "call_activity.bpmn").read_text()}, "child_process"),
        (
            {"bad.bpmn": one_task().replace("<bpmn:startEvent", "<bpmn:bogusElement id='x'/><bpmn:startEvent")},
            "bad.bpmn:",
        ),
    ],
)
def test_invalid_sources_are_refused_with_file_and_element_and_nothing_is_stored(deploy, sources, expected):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources=sources)
    db.session.rollback()
    assert any(expected in problem for problem in refused.value.details), refused.value.details
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_refusals_are_worded_in_the_language_asked_for(deploy):
    """English where the user chose it; what RestrictedPython says of a script is quoted as it says it."""
    from flask_babel import force_locale

    bad = one_task(
        props='<spiffworkflow:property name="formKey" value="no_such_form" />'
        '<spiffworkflow:property name="sla" value="three days" />'
        '<spiffworkflow:property name="assignee" value="import os" />'
    )
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        deploy(sources={"bad.bpmn": bad})
    db.session.rollback()
    details = refused.value.details
    assert details[0].startswith("bad.bpmn, UserTask 'ask': formKey 'no_such_form' names no form class (known: ")
    assert details[1] == (
        "bad.bpmn, UserTask 'ask': invalid property sla: 'three days' is not an SLA duration; "
        "write a positive number followed by wd (working days), wh (working hours), "
        "d (calendar days) or h (hours), e.g. 1wd, 4wh, 30d"
    )
    assert details[2] == "bad.bpmn, UserTask 'ask': invalid property assignee: syntax error on line 1: invalid syntax"
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"bad.bpmn": bad})
    db.session.rollback()
    assert refused.value.details[2] == "bad.bpmn, UserTask 'ask'：属性 assignee 无效：第 1 行语法错误：invalid syntax"


def test_one_bad_file_stores_none_of_the_good_ones(deploy):
    with pytest.raises(InvalidInput):
        deploy(
            "straight_line.bpmn",
            sources={"bad.bpmn": one_task(props='<spiffworkflow:property name="formKey" value="nope" />')},
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_entity_declarations_are_refused(deploy):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>'
    )
    for text in (laughs, xxe):
        with pytest.raises(InvalidInput) as refused:
            deploy(sources={"evil.bpmn": text})
        assert "evil.bpmn：BPMN/DMN 文件中不允许 DOCTYPE 和 ENTITY 声明" == refused.value.details[0]
        db.session.rollback()


def test_lane_without_users_warns_until_someone_holds_the_role(deploy, create_user):
    result = deploy(sources={"one_task.bpmn": one_task(lane="nobody_yet")})
    assert any("nobody_yet" in w for w in result.warnings)
    create_user("first", roles=["nobody_yet"])
    result = deploy(sources={"one_task.bpmn": one_task(lane="nobody_yet", name="Changed")})
    assert result.warnings == []


def test_tasks_of_a_role_nobody_holds_wait_in_that_roles_queue(deploy, create_case):
    deploy(sources={"one_task.bpmn": one_task(lane="future_role")})
    case = create_case("one_task")
    from workflow_app.engine.queries import open_tasks

    [task] = open_tasks(case.instance_id)
    assert task.role == "future_role" and task.assignee_id is None


def test_user_task_without_form_key_gets_the_confirm_form(app):
    assert form_class_for(None) is ConfirmForm
    with app.test_request_context():
        form = ConfirmForm(data={"comment": "ok"})
        assert form.validate()
