"""Health checks of the version before the package (d720d35's health_check.bpmn, whose steps named the hand-written
forms by formKey) after the package is deployed: their steps take the package's forms named in form_keys, the data
those give still routes the old diagram, and the old forms' stored data shows in the history with the new titles."""

import re

from tests.conftest import DATA, open_task_of
from tests.processes.conftest import deploy_old_version, deploy_package, open_steps
from tests.processes.test_health_check import HUAYU, ITEMS, enterprise_named, form_errors, in_days, submit
from workflow_app.cases.operations import start_process_case
from workflow_app.cases.task_handlers import submit_task
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

OLD_FORM_KEYS = (
    "health_check_request",
    "health_check_documents",
    "health_check_inspection",
    "health_check_suggestions",
    "health_check_rectification",
    "health_check_verification",
)


def old_case(bureau, by):
    """A case started on d720d35's version as its start_health_check did, its documents given through the old form."""
    deploy_old_version({"health_check.bpmn": DATA / "health_check_v1.bpmn"}, OLD_FORM_KEYS)
    case = start_process_case(
        "health_check", {"requested_by": "county"}, bureau[by], enterprise_id=enterprise_named(HUAYU).id
    )
    db.session.commit()
    submit_task(
        open_task_of(case, "upload_documents").id,
        {
            "doc_rules": True,
            "doc_contract": False,
            "doc_hours_wages": False,
            "doc_insurance": False,
            "documents_note": "",
        },
        bureau["ent_huayu"],
        "127.0.0.1",
    )
    db.session.commit()
    return case


def test_an_old_cases_inspection_gives_the_risk_count_its_diagram_routes_on(app, bureau, client_as):
    case = old_case(bureau, "kuiwen_handler")
    deploy_package(app, "health_check")
    task = open_task_of(case, "inspect")
    assert task.form_key == "health_check_inspection"
    county = client_as("kuiwen_handler")
    page = county.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.checklist.wage_payment.severity"' in page and 'name="data.risk_count"' in page
    assert re.search(r"<option[^>]*selected[^>]*>", page) is None  # no risk level chosen in advance here either
    checklist = {key: {"severity": "none"} for key in ITEMS} | {"wage_payment": {"severity": "high", "note": "欠薪"}}
    values = {"checklist": checklist, "inspection_summary": "工资支付有风险", "risk_count": 0}
    assert form_errors(case, "inspect", values) == {"risk_count": ["检查清单中有 1 项评为风险，请填写 1"]}
    submit(case, "inspect", bureau["kuiwen_handler"], values | {"risk_count": 1})
    assert open_steps(case) == ["suggestions"]  # the old gateway read risk_count
    submit(
        case,
        "suggestions",
        bureau["kuiwen_handler"],
        {"suggestions": "按月足额支付工资", "rectification_deadline": in_days(20)},
    )
    assert current_data(case.instance)["rectification_due"] == in_days(20) + "T23:59:59+08:00"  # the old script
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "已补发"})
    submit(
        case,
        "verify",
        bureau["kuiwen_handler"],
        {"verification": "fail", "verification_findings": "仍有拖欠", "new_deadline": in_days(10)},
    )
    submit(case, "rectify", bureau["ent_huayu"], {"rectification_report": "已全部补发"})
    submit(case, "verify", bureau["kuiwen_handler"], {"verification": "pass"})
    db.session.expire_all()
    assert case.instance.status == "completed" and current_data(case.instance)["outcome"] == "rectified"


def test_an_old_inspection_done_before_the_package_shows_with_the_new_titles(app, bureau, client_as):
    case = old_case(bureau, "kuiwen_handler")
    old = {key: {"severity": "none", "note": ""} for key in ITEMS} | {
        "working_hours": {"severity": "high", "note": "加班超过法定上限"}
    }
    submit_task(
        open_task_of(case, "inspect").id,
        {  # as d720d35's InspectionForm.task_data gave it
            "checklist": old,
            "risks": [{"item": "working_hours", "severity": "high", "note": "加班超过法定上限"}],
            "risk_count": 1,
            "max_severity": "high",
            "inspection_summary": "工时管理存在风险",
        },
        bureau["kuiwen_handler"],
        "127.0.0.1",
    )
    db.session.commit()
    deploy_package(app, "health_check")
    html = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert "工作时间与加班 风险等级 高；发现的问题 加班超过法定上限" in shown["检查清单"]
    assert (shown["风险项数"], shown["体检总体情况"], shown["规章制度"]) == ("1", "工时管理存在风险", "是")
    assert shown["发起方"] == "县级人社部门（计划体检）"  # what the old start recorded, by the request form's titles
    assert open_steps(case) == ["suggestions"]
