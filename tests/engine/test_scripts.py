"""Restricted scripts: what a BPMN script may and may not do."""

import pytest
import sqlalchemy as sa

from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessVersion
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

SCRIPT_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="scripted" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="run" name="Run the script"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="after" name="After">{ext}<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="run" /><bpmn:sequenceFlow id="f2" sourceRef="run" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def process(script="x = 1", pre=None):
    ext = (
        f"<bpmn:extensionElements><spiffworkflow:preScript>{pre}</spiffworkflow:preScript></bpmn:extensionElements>"
        if pre
        else ""
    )
    return {"scripted.bpmn": SCRIPT_PROCESS.format(script=script, ext=ext)}


@pytest.mark.parametrize(
    "script, reason",
    [
        ("import os", "脚本不得导入模块"),
        ("from os import environ", "脚本不得导入模块"),
        ("x = ().__class__.__bases__[0].__subclasses__()", "__class__"),
        ("x = __import__('os').environ", "__import__"),
        ("x = getattr(data, '__globals__')", None),
    ],
)
def test_scripts_that_reach_for_modules_or_dunders_are_refused_at_deploy(deploy, script, reason):
    try:
        deploy(sources=process(script))
    except InvalidInput as refused:
        assert "scripted.bpmn, ScriptTask 'run': script:" in refused.details[0]
        if reason:
            assert reason in refused.details[0]
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0
    else:  # compiles, so it must fail when run (see below)
        assert reason is None


@pytest.mark.parametrize(
    "script, message",
    [
        ("secret = open('/etc/passwd').read()", "open"),
        ("env = os.environ", "os"),
        ("x = getattr(now, '__globals__')", "getattr"),
        ("x = eval('1 + 1')", "eval"),
        ("exec('y = 1')", "exec"),
        ("x = [c for c in ().__class__.__mro__]", None),
    ],
)
def test_scripts_that_try_at_run_time_stop_the_case_in_error(deploy, create_case, script, message):
    try:
        deploy(sources=process(script))
    except InvalidInput:
        db.session.rollback()
        return  # refused before it could run: also safe
    case = create_case("scripted")
    instance = case.instance
    assert instance.status == "error"
    assert instance.error_message.startswith("Run the script:")
    if message:
        assert message in instance.error_message
    data = current_data(instance)
    assert "secret" not in data and "env" not in data and "x" not in data


def test_pre_script_is_restricted_too(deploy):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources=process(pre="import subprocess"))
    assert "UserTask 'after': preScript: 第 1 行：脚本不得导入模块" in refused.value.details[0]


def test_allowed_helpers_work(deploy, create_case):
    script = (
        "total = money('10.005') + money(2)&#10;"
        "due = add_months(date(2023, 1, 31), 1)&#10;"
        "names = sorted([k for k in {'b': 1, 'a': 2}])&#10;"
        "count = 0&#10;count += len(names)"
    )
    deploy(sources=process(script))
    case = create_case("scripted")
    assert case.instance.status == "running"
    data = current_data(case.instance)
    from datetime import date
    from decimal import Decimal

    assert data["total"] == Decimal("12.01")
    assert data["due"] == date(2023, 2, 28)
    assert data["names"] == ["a", "b"] and data["count"] == 2


def test_money_refuses_float(deploy, create_case):
    deploy(sources=process("x = money(0.1)"))
    case = create_case("scripted")
    assert case.instance.status == "error" and "float" in case.instance.error_message
