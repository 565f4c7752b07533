"""Issue 30.3, 30.4 and 30.14 on the task pages: the message after a submission says what was chosen and where the
case went; a step sent back or reopened comes back filled in with what it answered, says why at the top and is
marked in the inbox; a form shows a branch's fields only while that branch is chosen; the files of earlier steps are
listed on the task page."""

import json
import re
from io import BytesIO

import sqlalchemy as sa

from tests.conftest import LVYUAN, open_task_of, start_through_form
from tests.processes.conftest import submit
from workflow_app.auth.models import Enterprise
from workflow_app.engine.models import Task
from workflow_app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PLAN = [{"position": "数控车工", "headcount": 80, "skill_level": "中级工", "wage": "6500.00"}]


def text(response):
    return response.get_data(as_text=True)


def flashed(client):
    """The messages the next page shows (the inbox, where a submission lands)."""
    page = text(client.get("/inbox"))
    return " ".join(
        re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    )


def post_task(client, task, data, files=None):
    payload = dict(data)
    if files:
        payload["extra-files"] = files
    return client.post(f"/tasks/{task.id}", data=payload, content_type="multipart/form-data")


# --------------------------------------------------------------------------------------- 30.3 the message after


def test_signing_for_says_signed_and_names_the_next_step_and_its_holder(referral, client_as, bureau):
    client = client_as("kuiwen_handler")
    response = post_task(client, open_task_of(referral, "sign_for"), {"data.sign_decision": "sign"})
    assert response.status_code == 302
    message = flashed(client)
    assert f"案件 {referral.number} 的“县级签收”：签收。" in message
    specialist = bureau["kuiwen_specialist"].display_name  # Huayu has a service specialist
    assert f"已转至：“服务专员协调解决”，由 {specialist} 办理。" in message
    assert "已办结" not in message


def test_a_return_says_returned_and_that_the_city_queue_has_it(create_referral, client_as):
    case = create_referral(enterprise=LVYUAN)
    client = client_as("shouguang_handler")
    post_task(
        client, open_task_of(case, "sign_for"), {"data.sign_decision": "return", "data.return_reason": "不属本辖区"}
    )
    message = flashed(client)
    assert f"案件 {case.number} 的“县级签收”：退回。" in message  # the choice's title up to its colon
    assert "已转至：“市级重新派发”，在潍坊市人力资源和社会保障局市级调度员的待认领队列中。" in message
    assert "已办结" not in message


def test_an_extension_request_says_so_and_goes_to_the_city(create_referral, client_as, bureau):
    case = create_referral(enterprise=LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    client = client_as("shouguang_handler")
    handle = open_task_of(case, "handle")
    client.post(f"/tasks/{handle.id}/claim")
    post_task(
        client,
        handle,
        {"data.handle_outcome": "extension", "data.extension_days": "5", "data.extension_reason": "需协调税务部门"},
    )
    message = flashed(client)
    assert f"案件 {case.number} 的“协调解决”：申请延期。" in message
    assert "已转至：“延期申请审批”，在潍坊市人力资源和社会保障局" in message


def test_a_step_without_a_choice_says_submitted_and_the_last_step_says_closed(create_referral, client_as, bureau):
    case = create_referral(enterprise=LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    submit(case, "handle", bureau["shouguang_handler"], {"handle_outcome": "resolved", "measures": "已协调解决"})
    client = client_as("reviewer")
    post_task(client, open_task_of(case, "city_review"), {"data.review_decision": "accept"})
    message = flashed(client)
    assert f"案件 {case.number} 的“市级审核”：通过。" in message
    assert "案件现等待至" in message  # the follow-up wait: no task open, a timer


def test_a_step_that_ends_the_case_says_it_is_closed(create_agreement_case, client_as):
    case = create_agreement_case("applied")
    client = client_as("agency")
    check = open_task_of(case, "agency_check")
    client.post(f"/tasks/{check.id}/claim")
    post_task(client, check, {"data.check_decision": "reject", "data.check_opinion": "缓缴期未满"})
    message = flashed(client)
    assert f"案件 {case.number} 的“{check.name}”：不符合条件。案件已办结。" in message


# --------------------------------------------------------------------------------- 30.4 send-backs keep the work


def sent_back_case(create_referral, bureau, reason="方案未落实到位"):
    case = start_through_form(
        "referral",
        bureau["dispatcher"],
        {
            "enterprise_uscc": db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == LVYUAN)),
            "category": "用工",
            "description": "规模性缺工",
            "labour_shortage": True,
            "source": "市工业运行指挥部",
        },
        {"follow_up_delay": "PT1H"},  # the follow-up wait, shortened to an hour the test lets pass
    )
    db.session.commit()
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    submit(
        case,
        "handle",
        handler,
        {"handle_outcome": "resolved", "measures": "组织专场招聘会", "plan_rows": PLAN, "plan_measures": "订单培养"},
    )
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "send_back", "review_reason": reason})
    return case


def test_a_sent_back_handling_form_comes_back_with_what_was_typed(create_referral, client_as, bureau):
    case = sent_back_case(create_referral, bureau)
    handle = open_task_of(case, "handle")
    page = text(client_as("shouguang_handler").get(f"/tasks/{handle.id}"))
    assert re.search(r'value="resolved"[^>]*checked', page)
    assert "组织专场招聘会</textarea>" in page and "订单培养</textarea>" in page
    assert 'name="data.plan_rows.0.position" value="数控车工"' in page
    assert 'name="data.plan_rows.0.headcount" value="80"' in page
    assert 'name="data.plan_rows.0.wage" value="6500.00"' in page


def test_the_send_back_reason_is_at_the_top_of_the_task_page(create_referral, client_as, bureau):
    case = sent_back_case(create_referral, bureau, reason="方案未落实到位")
    handle = open_task_of(case, "handle")
    page = text(client_as("shouguang_handler").get(f"/tasks/{handle.id}"))
    box = page.index('id="returned"')
    assert box < page.index('id="task-form"')  # above the form, not at the bottom of the side column
    banner = page[box : page.index("</section>", box)]
    assert "“市级审核”退回" in banner and "方案未落实到位" in banner and "退回继续办理" in banner
    assert bureau["reviewer"].display_name in banner


def test_another_units_answer_is_not_offered_and_a_first_step_has_no_banner(create_referral, client_as, bureau):
    case = create_referral(enterprise=LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "不属本辖区"})
    submit(case, "redispatch", bureau["dispatcher"], {"county": "kuiwen", "redispatch_note": "属奎文区"})
    again = open_task_of(case, "sign_for")
    page = text(client_as("kuiwen_handler").get(f"/tasks/{again.id}"))
    assert not re.search(r'value="return"[^>]*checked', page)  # Kuiwen starts afresh, not with Shouguang's return
    assert 'id="returned"' not in page  # opened by the city's dispatch, not by a send-back
    redispatch_page = text(client_as("dispatcher").get("/inbox?queue=group"))
    assert "data-return" not in redispatch_page


def test_the_inbox_marks_a_returned_task_and_a_reopened_one(create_referral, client_as, bureau):
    case = sent_back_case(create_referral, bureau)
    handle = open_task_of(case, "handle")
    page = text(client_as("shouguang_handler").get("/inbox?queue=group"))
    row = page[page.index(f'data-task-id="{handle.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-return="sent_back"' in row and ">退回</span>" in row
    # done again and accepted, then the enterprise is not satisfied: handling is reopened
    submit(
        case,
        "handle",
        bureau["shouguang_handler"],
        {"handle_outcome": "resolved", "measures": "已落实", "plan_rows": PLAN, "plan_measures": "订单培养"},
    )
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    from tests.processes.conftest import fire_timers_when_due

    assert fire_timers_when_due(3600) == 1
    submit(
        case, "rate_satisfaction", bureau["ent_lvyuan"], {"satisfaction": "不满意", "satisfaction_comment": "没解决"}
    )
    reopened = open_task_of(case, "handle")
    page = text(client_as("shouguang_handler").get("/inbox?queue=group"))
    row = page[page.index(f'data-task-id="{reopened.id}"') :]
    assert 'data-return="reopened"' in row[: row.index("</tr>")] and ">重办</span>" in row[: row.index("</tr>")]
    task_page = text(client_as("shouguang_handler").get(f"/tasks/{reopened.id}"))
    assert "“企业满意度评价”要求重新办理" in task_page and "没解决" in task_page


def test_an_ordinary_task_carries_no_mark(referral, client_as):
    page = text(client_as("kuiwen_handler").get("/inbox?queue=group"))
    assert open_task_of(referral, "sign_for").id and "data-return" not in page


# ------------------------------------------------------------------------------- 30.14 the files of earlier steps


def test_the_inspector_sees_the_files_of_earlier_steps_on_the_task_page(referral, client_as, bureau):
    client = client_as("kuiwen_handler")
    post_task(
        client, open_task_of(referral, "sign_for"), {"data.sign_decision": "sign"}, (BytesIO(PDF), "签收回执.pdf")
    )
    task = open_task_of(referral, "handle_specialist")
    page = text(client_as("kuiwen_specialist").get(f"/tasks/{task.id}"))
    files = page[page.index('id="case-files"') :]
    files = files[: files.index("</section>")]
    assert "签收回执.pdf" in files and "县级签收" in files and "/attachments/" in files
    link = re.search(r'href="([^"]+/attachments/\d+)"', files).group(1)
    assert client_as("kuiwen_specialist").get(link).data == PDF


def test_the_prefill_reads_the_last_answer_of_the_same_step_only(create_referral, bureau):
    from workflow_app.cases.send_backs import last_answer

    case = sent_back_case(create_referral, bureau)
    handle = open_task_of(case, "handle")
    answer = last_answer(handle)
    assert answer["measures"] == "组织专场招聘会" and answer["plan_rows"][0]["position"] == "数控车工"
    assert last_answer(open_task_of(create_referral(enterprise=LVYUAN), "sign_for")) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.bpmn_id == "handle")) == 2


DRAFT_PACKAGE = {
    "process_model.json": json.dumps({"display_name": "起草与审核", "primary_file_name": "draft.bpmn"}),
    "draft-schema.json": json.dumps(
        {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "title": "正文"}}}
    ),
    "check-schema.json": json.dumps(
        {
            "type": "object",
            "required": ["decision"],
            "properties": {
                "decision": {
                    "type": "string",
                    "title": "审核意见",
                    "oneOf": [{"const": "accept", "title": "通过"}, {"const": "send_back", "title": "退回修改"}],
                },
                "why": {"type": "string", "title": "理由"},
            },
        }
    ),
    "draft.bpmn": """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="draft_check" name="起草与审核" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="county_handler">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>write</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>clear</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="write" name="起草">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="draft-schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="check" name="审核">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="check-schema.json" />
        <spiffworkflow:property name="sendBack" value="decision == &quot;send_back&quot;" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_end"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f_back</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:scriptTask id="clear" name="清空正文" scriptFormat="python"><bpmn:incoming>f_back</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing><bpmn:script>del text</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge" />
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="write" />
    <bpmn:sequenceFlow id="f3" sourceRef="write" targetRef="check" />
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="gw" />
    <bpmn:sequenceFlow id="f_back" sourceRef="gw" targetRef="clear">
      <bpmn:conditionExpression>decision == "send_back"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="clear" targetRef="merge" />
    <bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""",
}


def test_a_step_done_again_shows_its_last_answer_even_when_the_case_data_lost_it(bureau, create_case, client_as):
    """The model clears the draft on a send-back (its script deletes it): the page still offers what was sent."""
    from workflow_app.engine.operations import deploy_sources
    from workflow_app.engine.queries import current_data

    deploy_sources({name: source.encode() for name, source in DRAFT_PACKAGE.items()})
    db.session.commit()
    case = create_case("draft_check", {})
    client = client_as("kuiwen_handler")
    write = open_task_of(case, "write")
    client.post(f"/tasks/{write.id}/claim")
    assert post_task(client, write, {"data.text": "第一稿：全文"}).status_code == 302
    check = open_task_of(case, "check")
    client.post(f"/tasks/{check.id}/claim")
    post_task(client, check, {"data.decision": "send_back", "data.why": "措辞不当", "extra-note": "请重写第二段"})
    message = flashed(client)
    assert "“审核”：退回修改。" in message and "已转至：“起草”，在奎文区县级经办人的待认领队列中。" in message
    again = open_task_of(case, "write")
    assert "text" not in current_data(case.instance)  # the case's data no longer has it
    page = text(client.get(f"/tasks/{again.id}"))
    assert 'value="第一稿：全文"' in page
    banner = page[page.index('id="returned"') : page.index("</section>", page.index('id="returned"'))]
    assert "“审核”退回" in banner and "措辞不当" in banner and "请重写第二段" in banner  # its answer and its comment


def test_a_send_back_to_the_enterprise_says_the_enterprise_has_it(bureau, client_as):
    from tests.processes.test_internship_subsidy import APPLICATION, _case

    assert client_as("ent_huayu").post("/portal/apply/internship_subsidy", data=APPLICATION).status_code == 302
    case = _case()
    county = client_as("kuiwen_handler")
    review = open_task_of(case, "review")
    county.post(f"/tasks/{review.id}/claim")
    post_task(county, review, {"data.review_decision": "send_back", "data.review_opinion": "请补充失业登记证明"})
    message = flashed(county)
    assert f"案件 {case.number} 的“区县审核”：退回单位补正。已转至：“单位补正材料”，等待企业办理。" in message


def test_a_branch_done_while_another_stays_open_says_what_is_still_open(deploy, create_case, app, bureau):
    from workflow_app.cases.submissions import submission_message
    from workflow_app.engine.operations import complete_task

    deploy("parallel_gateway.bpmn")
    case = create_case("parallel_gateway")
    task_id = open_task_of(case, "a").id
    complete_task(task_id, {}, None)
    db.session.commit()
    done = db.session.get(Task, task_id)
    with app.test_request_context():
        message = submission_message(done, case, None, {}, bureau["kuiwen_handler"])
    assert message == f"案件 {case.number} 的“Branch A”已提交。仍在办理：“Branch B”。"
