"""Process facts: read from a version's start event (engine.queries.process_facts), checked at deploy."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import DATA
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessVersion
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import latest_version, process_facts, process_label
from workflow_app.extensions import db

START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="permit_review" name="行政许可审查" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="county_handler"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>ask</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s">{documentation}
      <bpmn:extensionElements><spiffworkflow:properties>{start}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>{task}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask" /><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def model(start="", task="", documentation=""):
    """The permit review with these start event and task properties ({name: value})."""

    def props(values):
        return "".join(f'<spiffworkflow:property name="{name}" value="{value}" />' for name, value in values.items())

    doc = f"<bpmn:documentation>{documentation}</bpmn:documentation>" if documentation else ""
    return START.format(start=props(start or {}), task=props(task or {}), documentation=doc)


def deployed_facts(deploy, **kwargs):
    deploy(sources={"permit_review.bpmn": model(**kwargs)})
    return process_facts(latest_version("permit_review"))


def test_the_facts_are_the_start_events_properties(deploy):
    facts = deployed_facts(
        deploy,
        documentation="申请说明",
        start={
            "caseNumberPrefix": "XK",
            "caseTitle": "{{ enterprise.name }}：{{ kind }}",
            "startableBy": "county_handler, dispatcher",
            "portalApplication": "true",
            "enterpriseField": "applicant_uscc",
            "caseOrgUnit": "starter",
            "enterpriseRegistration": "new_applicant",
        },
    )
    assert (facts.label, facts.case_number_prefix, facts.startable_by, facts.portal_application) == (
        "行政许可审查",
        "XK",
        frozenset({"county_handler", "dispatcher"}),
        True,
    )
    assert (facts.enterprise_field, facts.case_org_unit, facts.start_form_key, facts.description) == (
        "applicant_uscc",
        "starter",
        None,
        "申请说明",
    )
    assert facts.enterprise_registration == "new_applicant"
    assert facts.title({"enterprise": {"name": "华宇"}, "kind": "劳务派遣"}) == "华宇：劳务派遣"


def test_without_properties_the_facts_fall_back(deploy):
    facts = deployed_facts(deploy)
    assert (facts.case_number_prefix, facts.startable_by, facts.portal_application, facts.enterprise_field) == (
        "AJ",
        frozenset({"county_handler"}),
        False,
        None,
    )  # the start event's lane may start it
    assert (facts.case_org_unit, facts.start_form_key, facts.description, facts.title({})) == (
        "enterprise",
        None,
        None,
        "",
    )


def test_a_package_without_a_process_name_or_start_documentation_gives_its_display_name_and_description(app):
    deploy_sources(read_sources([DATA / "packages" / "permit-review"]))  # spiff-arena's process_model.json
    db.session.commit()
    facts = process_facts(latest_version("permit_review"))
    assert facts.label == "Permit review" and facts.description.startswith("An enterprise applies for a permit")
    assert process_label("permit_review") == "Permit review"


def test_a_title_is_rendered_in_a_sandbox_and_falls_back_to_nothing_when_it_fails(deploy):
    facts = deployed_facts(deploy, start={"caseTitle": "{{ who.__class__ }}{{ amount_fen | yuan }} 元"})
    assert facts.title({"who": "x", "amount_fen": 123456}) == "1,234.56 元"  # no attribute of Python's own
    assert facts.title({"amount_fen": "not money"}) == ""  # the caller names the case by the label instead
    assert facts.title({"who": "a\n  b", "amount_fen": 0}) == "0.00 元"


@pytest.mark.parametrize(
    "start, task, expected",
    [
        ({"caseNumberPrefix": "zb"}, {}, "caseNumberPrefix 'zb' must be 1 to 10 capital letters (A-Z)"),
        ({"caseNumberPrefix": "ABCDEFGHIJK"}, {}, "caseNumberPrefix 'ABCDEFGHIJK' must be 1 to 10 capital letters"),
        ({"caseTitle": "{{ enterprise.name"}, {}, "caseTitle '{{ enterprise.name' cannot be used: TemplateSyntaxError"),
        ({"caseTitle": "{% for i in range(9) %}x{% endfor %}"}, {}, "{% for %} is not allowed"),
        ({"caseTitle": "{{ name * 100000000 }}"}, {}, "arithmetic is not allowed"),
        ({"caseTitle": "{{ lipsum() }}"}, {}, "a call is not allowed"),
        ({"caseTitle": "{{ name | wordwrap }}"}, {}, "unknown filter 'wordwrap'"),
        ({"caseTitle": "  "}, {}, "caseTitle '  ' cannot be used: it is empty"),
        ({"startableBy": " , "}, {}, "startableBy ' , ' must list role names, separated by commas"),
        ({"portalApplication": "yes"}, {}, 'portalApplication must be "true" or "false", not \'yes\''),
        ({"enterpriseField": "applicant uscc"}, {}, "enterpriseField 'applicant uscc' must name a start field"),
        ({"caseOrgUnit": "city"}, {}, 'caseOrgUnit must be "enterprise" or "starter", not \'city\''),
        ({}, {"caseNumberPrefix": "XK"}, "UserTask 'ask': caseNumberPrefix belong on the process's start event"),
    ],
)
def test_bad_process_properties_are_refused_naming_the_element_and_nothing_is_stored(deploy, start, task, expected):
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        deploy(sources={"permit_review.bpmn": model(start=start, task=task)})
    db.session.rollback()
    where = "permit_review.bpmn, UserTask 'ask': " if task else "permit_review.bpmn, StartEvent 's': "
    assert any(problem.startswith(where) and expected in problem for problem in refused.value.details), (
        refused.value.details
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_an_enterprise_registration_needs_the_field_of_the_enterprises_code(deploy):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"permit_review.bpmn": model(start={"enterpriseRegistration": "new_applicant"})})
    db.session.rollback()
    assert refused.value.details == [
        "permit_review.bpmn, StartEvent 's'：enterpriseRegistration 需要同时设置 "
        "enterpriseField（所登记企业的代码所在的启动字段）"
    ]
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"permit_review.bpmn": model(start={"enterpriseField": "uscc", "enterpriseRegistration": "9x"})})
    db.session.rollback()
    assert "enterpriseRegistration" in refused.value.details[0] and "9x" in refused.value.details[0]


def test_a_refusal_of_a_property_is_worded_in_the_users_language(deploy):
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"permit_review.bpmn": model(start={"caseNumberPrefix": "zb"})})
    db.session.rollback()
    assert refused.value.details == [
        "permit_review.bpmn, StartEvent 's'：案件编号前缀 caseNumberPrefix“zb”须为 1 至 10 个大写字母（A-Z）"
    ]


def test_the_bureaus_processes_say_what_they_are(bureau):
    facts = {
        v.process_id: process_facts(v)
        for v in map(latest_version, ("referral", "loan_extension", "installment_agreement", "health_check"))
    }
    assert {pid: f.case_number_prefix for pid, f in facts.items()} == {
        "referral": "ZB",
        "loan_extension": "ZQ",
        "installment_agreement": "FQ",
        "health_check": "TJ",
    }
    assert {pid for pid, f in facts.items() if f.portal_application} == {
        "loan_extension",
        "installment_agreement",
        "health_check",
    }
    assert facts["referral"].startable_by == {"dispatcher"}
    assert facts["health_check"].startable_by == {"county_handler", "specialist"}
    assert facts["referral"].enterprise_field == "enterprise_uscc" and facts["referral"].case_org_unit == "starter"
