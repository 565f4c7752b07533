"""The portal's words come from the model: portalTodo on the enterprise's tasks, portalWaiting on the staff's,
portalOutcome on the end event a case ended through, each a template over the case's data (tests/data/
portal_words.bpmn); deploying refuses words that cannot be used; an installment agreement in force shows its
next installment whatever the case's process."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import PASSWORD, open_task_of, statements_run
from tests.engine.test_deploy import one_task
from workflow_app.agreements.models import Agreement, Installment
from workflow_app.auth.operations import create_enterprise, create_user
from workflow_app.cases.operations import start_process_case
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import local_today
from workflow_app.core.uscc import uscc_check_char
from workflow_app.engine.models import ProcessVersion
from workflow_app.engine.operations import complete_task
from workflow_app.engine.process_facts import render_text
from workflow_app.extensions import db

FIRST17 = "91370705MA3C0A019"  # 奎文区, organisation code MA3C0A01-9


@pytest.fixture
def people(app, deploy):
    """portal_words deployed; an enterprise in Kuiwen with its portal user, and the county's handler."""
    deploy("portal_words.bpmn")
    enterprise = create_enterprise(FIRST17 + uscc_check_char(FIRST17), "潍坊华宇精密机械有限公司", "kuiwen")
    people = {
        "ent": create_user("ent_user", ["enterprise"], "kuiwen", PASSWORD, enterprise=enterprise),
        "handler": create_user("kuiwen_handler", ["county_handler"], "kuiwen", PASSWORD),
    }
    db.session.commit()
    return people


@pytest.fixture
def apply(people):
    """A portal_words case the enterprise applied for, with this start data."""

    def factory(**data):
        case = start_process_case("portal_words", data, people["ent"])
        db.session.commit()
        return case

    return factory


@pytest.fixture
def portal(client_as, people):
    """The enterprise user's portal home in English: {case number: (state, needs attention)}."""
    client = client_as("ent_user")
    client.post("/language/en")

    def home() -> dict[str, tuple[str, bool]]:
        html = client.get("/portal/").get_data(as_text=True)
        rows = re.findall(
            r'<tr data-case="([^"]+)">.*?<td class="portal-state( attention)?" data-state>(.*?)</td>', html, re.S
        )
        return {number: (state.strip(), bool(attention)) for number, attention, state in rows}

    home.client = client
    return home


def complete(case, bpmn_id, actor, **data):
    complete_task(open_task_of(case, bpmn_id).id, data, actor.id)
    db.session.commit()


def test_the_enterprise_reads_at_each_step_what_the_model_says(apply, portal, people):
    case = apply(permit_kind="劳务派遣许可")
    assert portal()[case.number] == ("区县正在审查您的劳务派遣许可申请", False)  # portalWaiting over the start data
    complete(case, "review", people["handler"], decision="rectify", deadline="2026-09-30")
    assert portal()[case.number] == ("请于2026-09-30前报告整改情况", True)  # portalTodo, over what the review set
    page = portal.client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'id="case-state">请于2026-09-30前报告整改情况<', page)
    complete(case, "rectify", people["ent"])
    assert portal()[case.number] == ("Being handled by the agency", False)  # a staff task without portalWaiting
    complete(case, "check_rectified", people["handler"], result="合格")
    # the case ended through end_accepted; the sub-process's own end event (which ran too) is not how it ended
    assert portal()[case.number] == ("整改已通过：合格", False)
    page = portal.client.get(f"/portal/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'id="case-state">整改已通过：合格<', page)


def test_each_end_event_says_how_a_case_that_ended_there_ended(apply, portal, people):
    with_reason, without, withdrawn = apply(), apply(), apply()
    complete(with_reason, "review", people["handler"], decision="refuse", reason="材料不全")
    complete(without, "review", people["handler"], decision="refuse", reason="")
    complete(withdrawn, "review", people["handler"], decision="withdrawn")
    with statements_run() as seen:
        states = portal()
    assert states[with_reason.number] == ("不予许可：材料不全", False)
    assert states[without.number] == ("不予许可", False)
    assert states[withdrawn.number] == ("Closed", False)  # an end event without portalOutcome
    assert len([s for s, _parameters in seen if "state_json" in s]) == 1  # the closed cases' workflows in one read


def test_words_that_fail_on_the_data_give_way_to_the_portals_own(deploy, people, portal):
    deploy(
        sources={
            "one_task.bpmn": one_task(
                lane="enterprise",
                name="补充材料",
                props=('<spiffworkflow:property name="portalTodo" value="请补缴 {{ amount_fen | yuan }} 元" />'),
            )
        }
    )
    fine = start_process_case("one_task", {"amount_fen": 12345}, people["ent"])
    failing = start_process_case("one_task", {"amount_fen": "not money"}, people["ent"])
    db.session.commit()
    states = portal()
    assert states[fine.number] == ("请补缴 123.45 元", True)
    assert states[failing.number] == ("Please complete “补充材料”", True)


def test_an_empty_value_shows_as_nothing_and_the_words_stay_one_line():
    assert render_text("经办机构审核未通过：{{ check_opinion }}", {"check_opinion": None}) == "经办机构审核未通过："
    assert render_text("请于{{ deadline }}前\n  报告", {"deadline": "2026-09-30"}) == "请于2026-09-30前 报告"
    assert render_text("{{ missing }}已办结", {}) == "已办结"


def test_an_installment_agreement_in_force_shows_its_next_installment_whatever_the_process(apply, portal, people):
    case = apply()
    due = local_today() + timedelta(days=20)
    agreement = Agreement(
        case_id=case.id,
        enterprise_id=people["ent"].enterprise_id,
        pension_fen=300000,
        unemployment_fen=0,
        injury_fen=0,
        total_fen=300000,
        policy_deadline=due + timedelta(days=300),
        text="协议",
        text_sha256="0" * 64,
        status="active",
    )
    db.session.add(agreement)
    db.session.flush()
    db.session.add_all(
        [
            Installment(agreement_id=agreement.id, seq=1, due_date=due, amount_fen=100000),
            Installment(agreement_id=agreement.id, seq=2, due_date=due + timedelta(days=30), amount_fen=200000),
        ]
    )
    db.session.commit()
    assert portal()[case.number] == (f"Installment 1 (1,000.00 yuan) due on {due.isoformat()}", False)


@pytest.mark.parametrize(
    "props, expected",
    [
        (
            '<spiffworkflow:property name="portalTodo" value="{% for x in rows %}{{ x }}{% endfor %}" />',
            "UserTask 'ask': portalTodo '{% for x in rows %}{{ x }}{% endfor %}' cannot be used: {% for %} is not allowed",
        ),
        (
            '<spiffworkflow:property name="portalWaiting" value="请稍候{{ deadline" />',
            "UserTask 'ask': portalWaiting '请稍候{{ deadline' cannot be used: TemplateSyntaxError",
        ),
        (
            '<spiffworkflow:property name="portalWaiting" value=" " />',
            "UserTask 'ask': portalWaiting ' ' cannot be used: it is empty",
        ),
        (
            '<spiffworkflow:property name="portalTodo" value="{{ deadline | wordwrap }}" />',
            "UserTask 'ask': portalTodo '{{ deadline | wordwrap }}' cannot be used: unknown filter 'wordwrap'",
        ),
        (
            '<spiffworkflow:property name="portalOutcome" value="已办结" />',
            "UserTask 'ask': portalOutcome belongs on an end event",
        ),
    ],
)
def test_portal_words_that_cannot_be_used_are_refused_naming_the_element(deploy, props, expected):
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        deploy(sources={"one_task.bpmn": one_task(props=props)})
    db.session.rollback()
    assert any(problem.startswith("one_task.bpmn, ") and expected in problem for problem in refused.value.details), (
        refused.value.details
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_portal_words_on_an_element_that_never_shows_them_are_refused(deploy):
    source = one_task().replace(
        '<bpmn:endEvent id="e">',
        '<bpmn:endEvent id="e"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="portalTodo" value="请签收" />'
        "</spiffworkflow:properties></bpmn:extensionElements>",
    )
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        deploy(sources={"one_task.bpmn": source})
    db.session.rollback()
    assert refused.value.details == ["one_task.bpmn, EndEvent 'e': portalTodo belongs on a user or manual task"]


def test_a_refusal_of_portal_words_is_worded_in_the_users_language(deploy):
    with pytest.raises(InvalidInput) as refused:
        deploy(
            sources={"one_task.bpmn": one_task(props='<spiffworkflow:property name="portalOutcome" value="已办结" />')}
        )
    db.session.rollback()
    assert refused.value.details == [
        "one_task.bpmn, UserTask 'ask'：portalOutcome 只能用在结束事件上（案件在此结束时的结果）"
    ]
