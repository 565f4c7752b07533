"""The case page's timeline folds the automatic steps of each engine step into one <details>, closed, each step with
what it decided and the variables it set (issue 28.7)."""

import re

import lxml.html

from tests.conftest import open_task_of
from workflow_app.engine.operations import complete_task, deliver_message
from workflow_app.extensions import db


def test_the_timeline_folds_each_steps_automatic_work_with_its_variables(bureau, deploy, create_case, client_as):
    deploy("automatic_steps.bpmn", "category_section.dmn")
    case = create_case("automatic_steps", {"category": "社保", "scratch": "临时", "applicant": "华宇"})
    handler = bureau["kuiwen_handler"]
    complete_task(open_task_of(case, "enter").id, {"amount": 60}, handler.id)
    db.session.commit()
    deliver_message(case.instance_id, "docs_received", {"pages": 12}, bureau["dispatcher"].id)
    db.session.commit()
    html = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = lxml.html.fromstring(html).get_element_by_id("timeline")
    assert [li.get("data-kind") for li in timeline.iterchildren("li")] == [
        "instance_started",
        "task_opened",
        "task_completed",
        "automatic",
        "automatic",
        "task_opened",
        "task_opened",
    ]
    first, second = timeline.xpath("./li[@data-kind='automatic']")
    for group in (first, second):
        [details] = group.iterchildren("details")
        assert details.get("open") is None  # folded until someone opens it
    summary = re.sub(r"\s+", " ", first.find("details/summary").text_content())
    assert "3 个自动步骤" in summary and "Compute the total · Pick the section · Large total?" in summary
    steps = first.xpath(".//div[@data-automatic]")
    assert [li.get("data-automatic") for li in steps] == ["script_run", "decision_made", "branch_taken"]

    def variables(li):
        return [(row.findtext("td/code"), row.xpath("string(td[2])")) for row in li.xpath(".//tbody/tr")]

    assert variables(steps[0]) == [("total", "120"), ("scratch", "（已删除）")]
    assert variables(steps[1]) == [("section", "社会保险服务")]
    assert steps[2].xpath("string(.//dd)") == "Await the documents (total > 100)"
    [message] = second.xpath(".//div[@data-automatic]")
    assert message.get("data-automatic") == "message_received" and "Await the documents" in message.text_content()
    assert "指挥中心" in message.text_content() or bureau["dispatcher"].display_name in message.text_content()
    assert variables(message) == [("documents", '{"pages": 12}')]
