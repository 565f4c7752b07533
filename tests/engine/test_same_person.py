"""samePersonAs: a user task goes to whoever completed an earlier one of the case (issue 30.5), else to the queue."""

import pytest
import sqlalchemy as sa

from workflow_app.auth.queries import find_org_unit
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import AuditEvent, ProcessVersion, Task
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db

CHAIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="chain" name="Chain" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="Lane_clerk" name="clerk">
        <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>draft</bpmn:flowNodeRef><bpmn:flowNodeRef>confirm</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_enterprise" name="enterprise"><bpmn:flowNodeRef>sign</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Check"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="draft" name="Draft">{draft}<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="sign" name="Sign">{sign}<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="confirm" name="Confirm">{confirm}<bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check" /><bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="draft" />
    <bpmn:sequenceFlow id="f3" sourceRef="draft" targetRef="sign" /><bpmn:sequenceFlow id="f4" sourceRef="sign" targetRef="confirm" />
    <bpmn:sequenceFlow id="f5" sourceRef="confirm" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def properties(**values):
    rows = "".join(f'<spiffworkflow:property name="{name}" value="{value}" />' for name, value in values.items())
    return (
        f"<bpmn:extensionElements><spiffworkflow:properties>{rows}</spiffworkflow:properties></bpmn:extensionElements>"
    )


def chain(draft="check", confirm="check", sign=None, **extra):
    return {
        "chain.bpmn": CHAIN.format(
            draft=properties(samePersonAs=draft, **extra) if draft else "",
            confirm=properties(samePersonAs=confirm) if confirm else "",
            sign=properties(samePersonAs=sign) if sign else "",
        )
    }


def open_row(case, bpmn_id):
    return db.session.scalar(
        sa.select(Task).where(Task.instance_id == case.instance_id, Task.bpmn_id == bpmn_id, Task.state == "open")
    )


def do(case, bpmn_id, user):
    complete_task(open_row(case, bpmn_id).id, {}, user.id)
    db.session.commit()


def unavailable(case):
    return db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "same_person_unavailable"
        )
    ).all()


@pytest.fixture
def clerks(create_user):
    return create_user("clerk_wang", display_name="王科员"), create_user("clerk_li", display_name="李科员")


def test_the_next_step_goes_to_whoever_did_the_earlier_one(deploy, create_case, clerks):
    deploy(sources=chain())
    case = create_case("chain")
    _wang, li = clerks
    assert open_row(case, "check").assignee_id is None  # the first step: the clerks' queue
    do(case, "check", li)
    assert open_row(case, "draft").assignee_id == li.id  # completed in the same step as the draft opened
    do(case, "draft", li)
    do(case, "sign", li)
    assert open_row(case, "confirm").assignee_id == li.id  # read from the stored rows of an earlier step
    assert unavailable(case) == []


@pytest.mark.parametrize("change", ["deactivated", "role_removed", "moved_unit"])
def test_who_can_no_longer_do_it_leaves_the_task_in_the_queue(deploy, create_case, clerks, change):
    deploy(sources=chain())
    case = create_case("chain")
    wang, li = clerks
    do(case, "check", li)
    do(case, "draft", wang)  # the draft went to li; a supervisor's reassignment is the engine's business too
    if change == "deactivated":
        li.active = False
    elif change == "role_removed":
        li.roles = []
    else:
        li.org_unit_id = find_org_unit("shouguang").id
    db.session.commit()
    do(case, "sign", wang)
    assert open_row(case, "confirm").assignee_id is None
    [event] = unavailable(case)
    assert event.task_bpmn_id == "confirm" and event.data == {"person": "李科员"}


def test_a_case_that_never_passed_the_named_step_goes_to_the_queue(deploy, create_case, clerks):
    deploy(sources=chain(draft="confirm"))  # names a later step: nobody has done it when the draft opens
    case = create_case("chain")
    do(case, "check", clerks[0])
    assert open_row(case, "draft").assignee_id is None and unavailable(case) == []


def test_a_case_of_the_version_before_keeps_its_queue(deploy, create_case, clerks):
    deploy(sources=chain(draft=None, confirm=None))
    old = create_case("chain")
    deploy(sources=chain())
    new = create_case("chain")
    assert old.instance.process_version_id != new.instance.process_version_id
    for case in (old, new):
        do(case, "check", clerks[1])
    assert open_row(old, "draft").assignee_id is None
    assert open_row(new, "draft").assignee_id == clerks[1].id


@pytest.mark.parametrize(
    "sources, problem",
    [
        (
            chain(draft="chek"),
            "chain.bpmn, UserTask 'draft'：samePersonAs 'chek' 不是本流程的用户任务（本流程的用户任务：check, confirm, draft, sign）",
        ),
        (chain(draft="s"), "samePersonAs 's' 不是本流程的用户任务"),
        (
            chain(sign="check"),
            "chain.bpmn, UserTask 'sign'：samePersonAs 不能把企业泳道的任务交给一个人：企业的所有用户都办理这些任务",
        ),
        (chain(assignee="'clerk_li'"), "chain.bpmn, UserTask 'draft'：同时设置了 assignee 和 samePersonAs"),
    ],
)
def test_deploy_refuses_what_cannot_name_a_person(deploy, sources, problem):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources=sources)
    db.session.rollback()
    assert len(refused.value.details) == 1 and problem in refused.value.details[0]
    assert "\n" not in refused.value.details[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0
