"""The labour-rules health check (劳动规章制度体检): no risks, rectified, second round, referral, missed deadline."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forms.health_check import CHECKLIST
from tests.processes.conftest import (assert_task_for, completed_steps, fire_timers_when_due, form_errors,
                                      open_steps, submit)
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import start_health_check
from workflow_app.cases.permissions import may_act_on
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import local_today
from workflow_app.engine.queries import current_data, open_tasks
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"   # kuiwen; its user is ent_huayu


def in_days(n):
    return (local_today() + timedelta(days=n)).isoformat()


def clean_checklist(**risks):
    data = {"inspection_summary": "逐项检查"}
    for key, _label in CHECKLIST:
        data[f"{key}_severity"] = "none"
    for key, (severity, note) in risks.items():
        data[f"{key}_severity"], data[f"{key}_note"] = severity, note
    return data


@pytest.fixture
def started(app, bureau):
    def factory(by="kuiwen_handler"):
        enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU))
        case = start_health_check(enterprise.id, bureau[by])
        db.session.commit()
        return case
    return factory


def through_inspection(case, bureau, **risks):
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": "y", "doc_contract": "y"})
    assert_task_for(case, "inspect", "county_handler", "kuiwen")
    submit(case, "inspect", bureau["kuiwen_handler"], clean_checklist(**risks))


def test_no_risks_issues_the_report_and_closes(started, bureau):
    case = started()
    task = assert_task_for(case, "upload_documents", "enterprise", "kuiwen")
    assert may_act_on(bureau["ent_huayu"], task) and not may_act_on(bureau["kuiwen_handler"], task)
    assert form_errors(case, "upload_documents", {}) == {"documents_note": ["请至少提供一份材料"]}
    through_inspection(case, bureau)
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["outcome"], data["risk_count"], data["report_issued"], data["requested_by"]) == ("no_risks", 0, True, "county")


def test_risks_lead_to_suggestions_rectification_and_a_pass(started, bureau):
    case = started()
    through_inspection(case, bureau, working_hours=("high", "加班超过法定上限"), wage_payment=("medium", "工资支付记录不全"))
    data = current_data(case.instance)
    assert data["risk_count"] == 2 and data["max_severity"] == "high"
    assert [r["item"] for r in data["risks"]] == ["working_hours", "wage_payment"]
    assert_task_for(case, "suggestions", "county_handler", "kuiwen")
    assert "rectification_deadline" in form_errors(case, "suggestions", {"suggestions": "x", "rectification_deadline": in_days(0)})
    assert "rectification_deadline" in form_errors(case, "suggestions", {"suggestions": "x", "rectification_deadline": in_days(181)})
    submit(case, "suggestions", bureau["kuiwen_handler"], {"suggestions": "制定综合工时方案", "rectification_deadline": in_days(30)})
    assert_task_for(case, "rectify", "enterprise", "kuiwen")
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "已调整排班"})
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "pass"})
    assert current_data(case.instance)["outcome"] == "rectified"
    assert case.instance.status == "completed"


def test_a_risk_without_a_finding_is_refused(started, bureau):
    case = started()
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": "y"})
    errors = form_errors(case, "inspect", clean_checklist(social_insurance=("low", "")))
    assert errors == {"social_insurance_note": ["请描述发现的风险"]}


def test_first_failure_gives_a_second_round_second_failure_refers_to_labour_inspection(started, bureau):
    case = started(by="ent_huayu")
    through_inspection(case, bureau, contract_signing=("high", "部分员工未签合同"))
    submit(case, "suggestions", bureau["kuiwen_handler"], {"suggestions": "补签合同", "rectification_deadline": in_days(20)})
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "补签中"})
    assert form_errors(case, "verify", {"verification": "fail", "verification_findings": "仍有未签"}) == {
        "new_deadline": ["请为第二轮整改设定新的期限"]}
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "fail", "verification_findings": "仍有未签",
                                                      "new_deadline": in_days(15)})
    assert open_steps(case) == ["rectify"]
    data = current_data(case.instance)
    assert data["verification_failures"] == 1 and data["rectification_deadline"] == local_today() + timedelta(days=15)
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "仍在补签"})
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "fail", "verification_findings": "未整改到位"})
    data = current_data(case.instance)
    assert (data["outcome"], data["referred_to"], data["requested_by"]) == ("referred_to_inspection", "劳动监察", "enterprise")
    assert case.instance.status == "completed"
    assert [s for s, _ in completed_steps(case)] == ["upload_documents", "inspect", "suggestions", "rectify", "verify",
                                                    "rectify", "verify"]


def test_missed_deadline_goes_to_verification_without_a_report(started, bureau, clock):
    case = started()
    through_inspection(case, bureau, female_protection=("low", "未建立女职工特殊保护制度"))
    submit(case, "suggestions", bureau["kuiwen_handler"], {"suggestions": "建立制度", "rectification_deadline": in_days(10)})
    clock.shift_clock(timedelta(days=10))        # the deadline day itself is still open
    assert fire_timers_when_due(0) == 0
    clock.shift_clock(timedelta(days=1))
    assert fire_timers_when_due(0) == 1
    assert_task_for(case, "verify", "county_handler", "kuiwen")
    assert current_data(case.instance)["rectification_reported"] is False
    rectify_rows = [t for t in open_tasks(case.instance_id) if t.bpmn_id == "rectify"]
    assert rectify_rows == []


def test_only_the_county_of_the_enterprise_or_the_enterprise_itself_may_start_it(app, bureau):
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU))
    with pytest.raises(InvalidInput):
        start_health_check(enterprise.id, bureau["shouguang_handler"])
    other = db.session.scalar(sa.select(Enterprise).where(Enterprise.name != HUAYU))
    with pytest.raises(InvalidInput):
        start_health_check(other.id, bureau["ent_huayu"])


def test_the_case_history_names_who_asked_and_the_risks_found(started, bureau, client_as):
    case = started(by="ent_huayu")
    through_inspection(case, bureau, working_hours=("high", "加班超过法定上限"))
    html = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert shown["发起方"] == "企业自行申请"
    assert shown["发现的风险"] == "工作时间与加班（高）：加班超过法定上限"
    assert (shown["风险项数"], shown["最高风险等级"]) == ("1", "高")
    assert not {"requested_by", "risk_count", "max_severity", "checklist", "risks"} & set(shown)
