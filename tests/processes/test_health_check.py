"""The labour-rules health check (劳动规章制度体检, bpmn/health_check/): no risks, rectified, two rounds and the labour
inspection's task with its referral letter, a severe risk referred at once, a missed deadline, who may start it,
the history, the portal's words and the demo's cases."""

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.processes.conftest import assert_task_for, completed_steps, fire_timers_when_due, open_steps
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Case
from workflow_app.cases.operations import start_process_case
from workflow_app.cases.permissions import may_act_on
from workflow_app.cases.schema_tasks import answer, task_form_context, task_schema_form
from workflow_app.cases.task_handlers import submit_task
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import SHANGHAI, local_today
from workflow_app.engine.queries import current_data, open_tasks
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"  # kuiwen; its user is ent_huayu
LVYUAN = "寿光市绿源食品加工有限公司"  # shouguang; its user is ent_lvyuan
ITEMS = (
    "contract_signing",
    "rules_procedure",
    "working_hours",
    "wage_payment",
    "social_insurance",
    "female_protection",
    "injury_prevention",
)


def submit(case, bpmn_id, user, values):
    """Complete the task's JSON Schema form as `user` with `values` as the API sends them (its rules run too)."""
    task = open_task_of(case, bpmn_id)
    assert may_act_on(user, task), f"{user.username} may not act on {bpmn_id} ({task.role}, unit {task.org_unit_id})"
    form = task_schema_form(task)
    errors = form.validate(values, task_form_context(task, user))
    assert not errors, errors
    submit_task(task.id, answer(form, values), user, client_ip="127.0.0.1")
    db.session.commit()
    return task


def form_errors(case, bpmn_id, values):
    """What the task's form says of `values`: {field path: [message]}."""
    task = open_task_of(case, bpmn_id)
    return {
        path: [message]
        for path, message in task_schema_form(task).validate(values, task_form_context(task, None)).items()
    }


def in_days(n):
    return (local_today() + timedelta(days=n)).isoformat()


def inspection(severe=None, refer_reason=None, **risks):
    """The inspection form's values: every item rated, `risks` as (severity, finding) by item."""
    data = {key: {"severity": "none"} for key in ITEMS}
    data.update({key: {"severity": severity, "note": note} for key, (severity, note) in risks.items()})
    data["inspection_summary"] = "逐项检查"
    if severe:
        data["severe_risks"] = severe
    if refer_reason:
        data.update(refer_at_once=True, referral_reason=refer_reason)
    return data


def enterprise_named(name):
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))


@pytest.fixture
def start_health_check(app, bureau):
    """Start a health check as `by` does: a county plans one for the enterprise (by its code), an enterprise asks."""

    def factory(by="kuiwen_handler", enterprise=HUAYU, **fields):
        user = bureau[by]
        data = dict(fields) if user.enterprise_id else {"enterprise_uscc": enterprise_named(enterprise).uscc, **fields}
        case = start_process_case("health_check", data, user)
        db.session.commit()
        return case

    return factory


@pytest.fixture
def health_check(start_health_check):
    return start_health_check()


def suggest(case, bureau, suggestions, deadline):
    submit(
        case, "suggestions", bureau["kuiwen_handler"], {"suggestions": suggestions, "rectification_deadline": deadline}
    )


def through_inspection(case, bureau, **risks):
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True, "doc_contract": True})
    assert_task_for(case, "inspect", "county_handler", "kuiwen")
    submit(case, "inspect", bureau["kuiwen_handler"], inspection(**risks))


def through_two_failed_rounds(case, bureau):
    through_inspection(case, bureau, contract_signing=("high", "部分员工未签合同"))
    suggest(case, bureau, "补签合同", in_days(20))
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "补签中"})
    submit(
        case,
        "verify",
        bureau["kuiwen_handler"],
        {"verification": "fail", "verification_findings": "仍有未签", "new_deadline": in_days(15)},
    )
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "仍在补签"})
    submit(
        case,
        "verify",
        bureau["kuiwen_handler"],
        {
            "verification": "fail",
            "verification_findings": "未整改到位",
            "referral_reason": "两轮整改后仍有 13 人未签订劳动合同",
        },
    )


def test_no_risks_issues_the_report_and_closes(health_check, bureau):
    case = health_check
    task = assert_task_for(case, "upload_documents", "enterprise", "kuiwen")
    assert may_act_on(bureau["ent_huayu"], task) and not may_act_on(bureau["kuiwen_handler"], task)
    assert form_errors(case, "upload_documents", {}) == {"": ["请至少提供一份材料"]}
    through_inspection(case, bureau)
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["outcome"], data["risk_count"], data["max_severity"], data["report_issued"]) == (
        "no_risks",
        0,
        "none",
        True,
    )


def test_risks_lead_to_suggestions_rectification_and_a_pass(health_check, bureau):
    case = health_check
    through_inspection(
        case, bureau, working_hours=("high", "加班超过法定上限"), wage_payment=("medium", "工资支付记录不全")
    )
    data = current_data(case.instance)
    assert data["risk_count"] == 2 and data["max_severity"] == "high"
    assert [(r["item"], r["title"], r["severity_title"]) for r in data["risks"]] == [
        ("working_hours", "工作时间与加班", "高"),
        ("wage_payment", "工资支付", "中"),
    ]
    # the inspector proposes the measures too (samePersonAs): the step is in their own tasks
    assert_task_for(case, "suggestions", "county_handler", "kuiwen", assignee=bureau["kuiwen_handler"])
    assert form_errors(case, "suggestions", {"suggestions": "x", "rectification_deadline": in_days(0)}) == {
        "rectification_deadline": ["期限须晚于今天"]
    }
    assert form_errors(case, "suggestions", {"suggestions": "x", "rectification_deadline": in_days(181)}) == {
        "rectification_deadline": ["期限最长为 180 天"]
    }
    suggest(case, bureau, "制定综合工时方案", in_days(30))
    assert_task_for(case, "rectify", "enterprise", "kuiwen")
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "已调整排班"})
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "pass"})
    assert current_data(case.instance)["outcome"] == "rectified"
    assert case.instance.status == "completed"


def test_a_risk_without_a_finding_is_refused(health_check, bureau):
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True})
    errors = form_errors(
        case, "inspect", inspection(social_insurance=("low", None)) | {"social_insurance": {"severity": "low"}}
    )
    assert errors == {"social_insurance.note": ["请填写‘发现的问题’"]}


def test_every_risk_item_is_rated_by_the_inspector_none_chosen_for_him(health_check, bureau, client_as):
    """Defect: the inspection form offered each item with 无风险 already chosen, so an inspector who skipped an item
    reported it as free of risk. Each of the seven items starts unchosen, and an inspection that leaves one out is
    refused beside it."""
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True})
    county = client_as("kuiwen_handler")
    task = open_task_of(case, "inspect")
    page = county.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "工资支付" in page and "劳动合同签订" in page
    assert re.search(r"<option[^>]*selected[^>]*>", page) is None  # no risk level is chosen in advance
    refused = county.post(
        f"/tasks/{task.id}", data={"data.inspection_summary": "总体规范", "data.wage_payment.severity": "none"}
    )
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    refused_items = re.findall(r'id="f-data\.(\w+)\.severity-error">请填写‘风险等级’', shown)
    assert refused_items == [key for key in ITEMS if key != "wage_payment"]  # each beside its own item
    assert open_steps(case) == ["inspect"]


def test_first_failure_gives_a_second_round_second_failure_goes_to_labour_inspection(start_health_check, bureau):
    case = start_health_check(by="ent_huayu")
    through_inspection(case, bureau, contract_signing=("high", "部分员工未签合同"))
    suggest(case, bureau, "补签合同", in_days(20))
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "补签中"})
    assert form_errors(case, "verify", {"verification": "fail", "verification_findings": "仍有未签"}) == {
        "new_deadline": ["请为第二轮整改设定新的期限"]
    }
    submit(
        case,
        "verify",
        bureau["kuiwen_handler"],
        {"verification": "fail", "verification_findings": "仍有未签", "new_deadline": in_days(15)},
    )
    assert open_steps(case) == ["rectify"]
    data = current_data(case.instance)
    assert data["verification_failures"] == 1 and data["rectification_deadline"] == in_days(15)
    assert data["rectification_report"] is None  # the second round's report is written afresh
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "仍在补签"})
    assert form_errors(case, "verify", {"verification": "fail", "verification_findings": "未整改到位"}) == {
        "referral_reason": ["请写明移送劳动监察的理由"]
    }
    submit(
        case,
        "verify",
        bureau["kuiwen_handler"],
        {
            "verification": "fail",
            "verification_findings": "未整改到位",
            "referral_reason": "两轮整改后仍有员工未签订劳动合同",
        },
    )
    assert_task_for(case, "labour_inspection", "labour_inspector", "kuiwen")
    data = current_data(case.instance)
    assert (data["outcome"], data["referred_to"]) == ("referred_to_inspection", "劳动监察")
    assert [(r["round"], r["deadline"], r["report"], r["verification"]) for r in data["rectification_rounds"]] == [
        (1, in_days(20), "补签中", "fail"),
        (2, in_days(15), "仍在补签", "fail"),
    ]
    assert [s for s, _ in completed_steps(case)] == [
        "upload_documents",
        "inspect",
        "suggestions",
        "rectify",
        "verify",
        "rectify",
        "verify",
    ]


def test_labour_inspection_receives_the_referral_with_its_letter_and_records_its_decision(
    health_check, bureau, client_as
):
    """Defect: 移送劳动监察 was a script and an end event: labour inspection got no task and no letter. Now its
    inspector (the case's county) receives the case with a 移送函 built from it, and records what was decided."""
    case = health_check
    through_two_failed_rounds(case, bureau)
    task = assert_task_for(case, "labour_inspection", "labour_inspector", "kuiwen")
    assert may_act_on(bureau["kuiwen_inspector"], task)
    assert not may_act_on(bureau["kuiwen_handler"], task) and not may_act_on(bureau["shouguang_inspector"], task)
    huayu = enterprise_named(HUAYU)
    inspector = client_as("kuiwen_inspector")
    assert case.number in inspector.get("/inbox").get_data(as_text=True)
    page = inspector.get(f"/tasks/{task.id}").get_data(as_text=True)
    letter = re.search(r'<div class="alert alert-info small instructions" id="instructions">(.*?)</div>', page, re.S)
    text = re.sub(r"<[^>]+>", "", letter.group(1))
    for part in (
        "劳动保障违法线索移送函",
        case.number,
        HUAYU,
        huayu.uscc,
        "劳动合同签订（高）：部分员工未签合同",
        "经两轮限期整改仍未整改到位",
        f"第 1 轮：整改期限 {in_days(20)}；企业报告：补签中；核验结论：未整改到位（仍有未签）",
        f"第 2 轮：整改期限 {in_days(15)}",
        "移送理由",
        "两轮整改后仍有 13 人未签订劳动合同",
    ):
        assert part in text, part
    refused = inspector.post(
        f"/tasks/{task.id}",
        data={"data.labour_inspection_decision": "file_case", "data.labour_inspection_notes": "证据确凿"},
    )
    assert refused.status_code == 422 and "立案编号" in refused.get_data(as_text=True)
    done = inspector.post(
        f"/tasks/{task.id}",
        data={
            "data.labour_inspection_decision": "file_case",
            "data.labour_inspection_case_no": "奎人社监立〔2026〕18号",
            "data.labour_inspection_notes": "涉嫌未依法订立书面劳动合同，立案调查",
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["labour_inspection_decision"], data["labour_inspection_case_no"]) == (
        "file_case",
        "奎人社监立〔2026〕18号",
    )
    history = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "劳动监察处理移送" in history and "立案查处" in history and "处理意见" in history


def test_a_severe_risk_is_referred_to_labour_inspection_at_once_with_its_reason(start_health_check, bureau):
    """Defect: wage arrears (欠薪) still got two rounds of up to 180 days. Severe risks (the inspection form's list)
    may be referred at once, the reason recorded and written into the letter."""
    case = start_health_check(by="ent_lvyuan")
    submit(case, "upload_documents", bureau["ent_lvyuan"], {"doc_rules": True})
    arrears = dict(wage_payment=("high", "近 3 个月未足额支付工资"))
    assert form_errors(case, "inspect", inspection(refer_reason="拖欠工资", **arrears)) == {
        "severe_risks": ["请填写‘严重违法情形’"]
    }
    assert form_errors(case, "inspect", {**inspection(severe=["wage_arrears"], **arrears), "refer_at_once": True}) == {
        "referral_reason": ["请填写‘移送理由’"]
    }
    submit(
        case,
        "inspect",
        bureau["shouguang_handler"],
        inspection(severe=["wage_arrears"], refer_reason="拖欠 86 名员工 3 个月工资，劳动者多次上访", **arrears),
    )
    assert open_steps(case) == ["labour_inspection"]
    assert_task_for(case, "labour_inspection", "labour_inspector", "shouguang")
    data = current_data(case.instance)
    letter = data["referral_letter"]
    assert (
        "属严重劳动保障违法情形，不再限期整改" in letter
        and "严重违法情形：克扣或者无故拖欠劳动者劳动报酬（欠薪）" in letter
    )
    assert "未经限期整改" in letter and "拖欠 86 名员工 3 个月工资，劳动者多次上访" in letter
    assert "suggestions" not in data and data["rectification_rounds"] == []
    submit(
        case,
        "labour_inspection",
        bureau["shouguang_inspector"],
        {
            "labour_inspection_decision": "order_correction",
            "correction_deadline": in_days(15),
            "labour_inspection_notes": "责令限期支付拖欠的工资",
        },
    )
    assert case.instance.status == "completed"


def test_a_severe_risk_may_still_go_through_rectification(health_check, bureau):
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True})
    submit(
        case,
        "inspect",
        bureau["kuiwen_handler"],
        inspection(severe=["no_contracts_at_scale"], contract_signing=("high", "40 人未签合同")),
    )
    assert open_steps(case) == ["suggestions"]


def working_day_from(day):
    from workflow_app.sla.calendar import is_workday

    while not is_workday(day):
        day += timedelta(days=1)
    return day


def test_missed_deadline_goes_to_verification_without_a_report(health_check, bureau, clock):
    case = health_check
    through_inspection(case, bureau, female_protection=("low", "未建立女职工特殊保护制度"))
    days = (working_day_from(local_today() + timedelta(days=10)) - local_today()).days
    suggest(case, bureau, "建立制度", in_days(days))
    clock.shift_clock(timedelta(days=days))  # the deadline day itself is still open
    assert fire_timers_when_due(0) == 0
    clock.shift_clock(timedelta(days=1))
    assert fire_timers_when_due(0) == 1
    assert_task_for(case, "verify", "county_handler", "kuiwen", assignee=bureau["kuiwen_handler"])
    assert current_data(case.instance)["rectification_reported"] is False
    assert [t for t in open_tasks(case.instance_id) if t.bpmn_id == "rectify"] == []


def test_a_deadline_on_a_day_off_runs_to_the_end_of_the_next_working_day(health_check, bureau, clock):
    """Defect (with the one below): a deadline on a weekend or holiday ended on that day, before the enterprise
    could report; like the task's own due date, the timer now waits for the end of the next working day."""
    from workflow_app.sla.calendar import is_workday

    case = health_check
    through_inspection(case, bureau, working_hours=("low", "考勤记录不全"))
    day_off = local_today() + timedelta(days=10)
    while is_workday(day_off):
        day_off += timedelta(days=1)
    last_day = working_day_from(day_off)
    suggest(case, bureau, "完善考勤", day_off.isoformat())
    assert open_task_of(case, "rectify").due_at.astimezone(SHANGHAI).date() == last_day
    assert current_data(case.instance)["rectification_due"] == f"{last_day.isoformat()}T23:59:59+08:00"
    clock.freeze_clock(datetime.combine(day_off + timedelta(days=1), time(0, 30), SHANGHAI))
    assert fire_timers_when_due(0) == 0 and open_steps(case) == ["rectify"]
    clock.freeze_clock(datetime.combine(last_day + timedelta(days=1), time(0, 30), SHANGHAI))
    assert fire_timers_when_due(0) == 1 and open_steps(case) == ["verify"]


def test_the_rectification_task_is_due_when_the_countys_deadline_ends(health_check, bureau):
    """Defect: the rectification step kept a fixed 10 working days whatever deadline the county set, so the
    enterprise's task was overdue (or not) by a date nobody gave it. Its deadline is now the county's."""
    case = health_check
    through_inspection(case, bureau, working_hours=("medium", "排班不合理"))
    deadline = working_day_from(local_today() + timedelta(days=60))  # the date stays as the county gave it
    submit(
        case,
        "suggestions",
        bureau["kuiwen_handler"],
        {"suggestions": "调整排班", "rectification_deadline": deadline.isoformat()},
    )
    task = open_task_of(case, "rectify")
    due = task.due_at.astimezone(SHANGHAI)
    assert due.date() == deadline and due > datetime.combine(deadline, time(12), SHANGHAI)


def test_only_the_county_of_the_enterprise_or_the_enterprise_itself_may_start_it(start_health_check):
    with pytest.raises(InvalidInput):
        start_health_check(by="shouguang_handler", enterprise=HUAYU)
    with pytest.raises(InvalidInput):
        start_health_check(by="kuiwen_handler", enterprise=LVYUAN)


def test_a_county_plans_one_on_the_start_page_naming_the_enterprise_by_its_code(bureau, client_as):
    county = client_as("kuiwen_handler")
    page = county.get("/cases/new/health_check").get_data(as_text=True)
    assert 'name="enterprise_uscc"' in page and "希望重点检查的事项" in page
    started = county.post(
        "/cases/new/health_check",
        data={
            "enterprise_uscc": enterprise_named(HUAYU).uscc,
            "data.focus_items": ["wage_payment", "working_hours"],
            "data.request_note": "年度计划体检",
        },
    )
    assert started.status_code == 302, started.get_data(as_text=True)[:3000]
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "health_check")).one()
    assert case.number.startswith("TJ-") and case.title == f"{HUAYU}：劳动规章制度体检"
    assert case.instance.org_unit.code == "kuiwen"
    assert current_data(case.instance)["focus_items"] == ["wage_payment", "working_hours"]


def test_who_asked_is_not_given_at_a_start_the_history_names_who_started_it(bureau):
    from workflow_app.cases.schema_tasks import start_schema_form
    from workflow_app.engine.queries import latest_version

    form = start_schema_form(latest_version("health_check"))  # the page's, the portal's and the API's
    assert set(form.validate({"requested_by": "county"})) == {"requested_by"}  # only old cases' data holds it
    assert form.validate({"focus_items": ["wage_payment"], "request_note": "年度计划"}) == {}


def test_an_enterprise_asks_for_one_in_the_portal_and_reads_where_it_stands(bureau, client_as):
    enterprise = client_as("ent_huayu")
    assert "希望重点检查的事项" in enterprise.get("/portal/apply/health_check").get_data(as_text=True)
    assert enterprise.post("/portal/apply/health_check", data={"data.focus_items": "wage_payment"}).status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.process_id == "health_check")).one()
    assert case.enterprise.name == HUAYU and case.instance.org_unit.code == "kuiwen"
    assert "请提交劳动规章制度、劳动合同范本等体检材料" in enterprise.get("/portal/").get_data(as_text=True)
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True})
    assert "县级人社部门正在审查材料、逐项体检" in enterprise.get("/portal/").get_data(as_text=True)
    submit(case, "inspect", bureau["kuiwen_handler"], inspection(working_hours=("high", "加班超过法定上限")))
    deadline = in_days(30)
    suggest(case, bureau, "申请综合计算工时制", deadline)
    assert f"请于{deadline}前报告整改情况" in enterprise.get("/portal/").get_data(as_text=True)
    rectify = open_task_of(case, "rectify")
    page = enterprise.get(f"/portal/tasks/{rectify.id}").get_data(as_text=True)
    assert "工作时间与加班（高）：加班超过法定上限" in page and "申请综合计算工时制" in page and deadline in page
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "已获批综合计算工时制"})
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "pass"})
    assert "整改已通过核验，体检办结" in enterprise.get(f"/portal/cases/{case.id}").get_data(as_text=True)


def test_the_case_history_shows_the_items_and_risks_by_their_titles(start_health_check, bureau, client_as):
    case = start_health_check(by="ent_huayu")
    through_inspection(case, bureau, working_hours=("high", "加班超过法定上限"))
    html = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert shown["工作时间与加班"] == "风险等级 高；发现的问题 加班超过法定上限"
    assert shown["劳动合同签订"] == "风险等级 无风险"
    assert shown["体检总体情况"] == "逐项检查" and shown["规章制度"] == "是"
    assert not {"working_hours", "severity", "doc_rules"} & set(shown)


def test_the_demo_health_checks(bureau):
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.demo import seed_health_checks

    def step(case, bpmn_id, username, data):
        submit_task(open_task_of(case, bpmn_id).id, data, bureau[username], client_ip="127.0.0.1")

    planned, hours, twice, arrears = seed_health_checks(step)
    db.session.commit()
    assert [open_steps(case) for case in (planned, hours, twice, arrears)] == [
        ["upload_documents"],
        ["rectify"],
        ["labour_inspection"],
        ["labour_inspection"],
    ]
    assert_task_for(twice, "labour_inspection", "labour_inspector", "kuiwen")
    assert_task_for(arrears, "labour_inspection", "labour_inspector", "shouguang")
    assert "第 2 轮" in current_data(twice.instance)["referral_letter"]
    assert "欠薪" in current_data(arrears.instance)["referral_letter"]
