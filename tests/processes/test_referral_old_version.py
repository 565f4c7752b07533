"""Referrals of the version before the package (d720d35's referral.bpmn, whose steps named the hand-written forms by
formKey) after the package is deployed: their steps take the package's forms named in form_keys, the data those give
still routes the old diagram to its end, and what the old forms stored shows in the history with the new titles."""

import re

import sqlalchemy as sa

from tests.conftest import DATA, open_task_of
from tests.processes.conftest import (
    deploy_old_version,
    deploy_package,
    fire_timers_when_due,
    form_errors,
    open_steps,
    submit,
)
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import start_process_case
from workflow_app.cases.task_handlers import submit_task
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"  # Kuiwen's, with its specialist
OLD_FORM_KEYS = (
    "referral_register",
    "referral_sign_for",
    "referral_redispatch",
    "referral_handle",
    "referral_extension_review",
    "referral_review",
    "referral_follow_up",
)


def old_case(bureau, labour_shortage=False):
    """A referral registered on d720d35's version as its register_referral did (the follow-up wait an hour: longer
    than any test takes, so that its timer fires only when a test lets the hour pass)."""
    deploy_old_version(
        {"referral.bpmn": DATA / "referral_v1.bpmn", "referral_routing.dmn": DATA / "referral_routing_v1.dmn"},
        OLD_FORM_KEYS,
    )
    uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == HUAYU))
    case = start_process_case(
        "referral",
        {
            "category": "用工",
            "description": "企业反映招工难",
            "source": "市工业运行指挥部",
            "contact": "",
            "labour_shortage": labour_shortage,
            "follow_up_delay": "PT1H",
        },
        bureau["dispatcher"],
        priority="urgent" if labour_shortage else "normal",
        fields={"enterprise_uscc": uscc},
    )
    db.session.commit()
    return case


def old_step(case, bpmn_id, user, data):
    """A step done before the package, as the old form's task_data gave it."""
    submit_task(open_task_of(case, bpmn_id).id, data, user, "127.0.0.1")
    db.session.commit()


def test_an_old_referral_returned_before_the_package_is_redispatched_and_closed_with_the_new_forms(
    app, bureau, client_as
):
    case = old_case(bureau)
    old_step(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "return", "return_reason": "不属本区"})
    deploy_package(app, "referral")
    task = open_task_of(case, "redispatch")
    assert task.form_key == "referral_redispatch"
    page = client_as("dispatcher").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.county"' in page and 'name="data.redispatch_note"' in page
    # the old case's data says which county it was dispatched to: the package's rule refuses sending it back there
    assert form_errors(
        case, "redispatch", {"county": "kuiwen", "redispatch_note": "请再核实"}, bureau["dispatcher"]
    ) == {"county": ["奎文区刚退回了该转办单，请选择其他县市区"]}
    submit(case, "redispatch", bureau["dispatcher"], {"county": "shouguang", "redispatch_note": "生产基地在寿光"})
    assert open_steps(case) == ["sign_for"] and case.instance.org_unit.code == "shouguang"  # the old dispatch script
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    assert open_steps(case) == ["handle_specialist"]  # the old diagram's way, kept for its cases
    submit(case, "handle_specialist", bureau["kuiwen_specialist"], {"handle_outcome": "resolved", "measures": "已协调"})
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "send_back", "review_reason": "未落实"})
    submit(case, "handle_specialist", bureau["kuiwen_specialist"], {"handle_outcome": "resolved", "measures": "已落实"})
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert fire_timers_when_due(3600) == 1
    submit(
        case,
        "follow_up",
        bureau["shouguang_handler"],
        {
            "visit_date": "2026-01-05",
            "visit_record": "已回访",
            "satisfaction": "不满意",
            "satisfaction_comment": "仍缺人",
        },
    )
    assert open_steps(case) == ["handle_specialist"]  # the old gateway read satisfaction: reopened once
    submit(case, "handle_specialist", bureau["kuiwen_specialist"], {"handle_outcome": "resolved", "measures": "再协调"})
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert fire_timers_when_due(3600) == 1
    submit(
        case,
        "follow_up",
        bureau["shouguang_handler"],
        {"visit_date": "2026-01-06", "visit_record": "已回访", "satisfaction": "满意"},
    )
    db.session.expire_all()
    assert case.instance.status == "completed" and current_data(case.instance)["closed"] is True


def test_an_old_handling_step_done_before_the_package_shows_with_the_new_titles(app, bureau, client_as):
    case = old_case(bureau, labour_shortage=True)
    old_step(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign", "return_reason": ""})
    old_step(
        case,
        "handle_specialist",
        bureau["kuiwen_specialist"],
        {  # as d720d35's HandleForm.task_data gave it
            "handle_outcome": "resolved",
            "measures": "组织专场招聘会",
            "plan_positions": "数控车工、装配工",
            "plan_headcount": 120,
            "plan_measures": "专场招聘会；订单培养",
            "extension_days": None,
            "extension_reason": "",
        },
    )
    deploy_package(app, "referral")
    html = client_as("dispatcher").get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert shown["办理结果"] == "办理完毕：报告措施和结果" and shown["措施和结果"] == "组织专场招聘会"
    assert shown["“一企一策”：缺工岗位（旧版表单）"] == "数控车工、装配工"
    assert (shown["“一企一策”：缺工人数（旧版表单）"], shown["“一企一策”：措施"]) == ("120", "专场招聘会；订单培养")
    assert (
        shown["问题类别"] == "用工" and shown["规模性缺工（加急）"] == "是"
    )  # the old start, by the start form's titles
    # the old city review takes the package's review form
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert open_steps(case) == []
