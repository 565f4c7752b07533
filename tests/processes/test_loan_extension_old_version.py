"""Loan extensions of the version before the package (d720d35's loan_extension.bpmn and its two decisions, whose steps
named the hand-written forms by formKey) after the package is deployed: their steps take the package's forms named in
form_keys, what those give still routes the old diagram, the old application shows with the new titles, and an
extension the old version granted counts against the 12 months of a new application on the same contract."""

import re
from datetime import timedelta
from decimal import Decimal

from tests.conftest import DATA, open_task_of
from tests.processes.conftest import deploy_old_version, deploy_package
from tests.processes.test_loan_extension import application, apply_in_portal, newest_case
from workflow_app.cases.operations import start_process_case
from workflow_app.cases.task_handlers import submit_task
from workflow_app.core.dates import add_months
from workflow_app.core.time import local_today
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

OLD_FORM_KEYS = (
    "loan_extension_apply",
    "loan_extension_exception",
    "loan_extension_county_review",
    "loan_extension_bank_review",
)
MATURITY = local_today() + timedelta(days=40)


def old_case(bureau, contract_no="WF-CDB-2023-0182", months=8):
    """A case started on d720d35's version as its apply_for_loan_extension did (the WTForms form's task data: dates,
    the bank typed as text, empty 潍岗贷 fields)."""
    deploy_old_version(
        {
            "loan_extension.bpmn": DATA / "loan_extension_v1.bpmn",
            "loan_extension_term.dmn": DATA / "loan_extension_term_v1.dmn",
            "weigangdai_eligibility.dmn": DATA / "weigangdai_eligibility_v1.dmn",
        },
        OLD_FORM_KEYS,
    )
    case = start_process_case(
        "loan_extension",
        {
            "loan_type": "entrepreneurship",
            "contract_no": contract_no,
            "bank": "中国银行潍坊分行",
            "principal": Decimal("1500000.00"),
            "maturity_date": MATURITY,
            "months_requested": months,
            "reason": "订单回款延迟",
            "founded_date": None,
            "employees": None,
            "headcount_last_year_end": None,
            "wages_paid": False,
            "contributions_paid": False,
        },
        bureau["ent_huayu"],
    )
    db.session.commit()
    return case


def city_bank_officer():
    """A bank officer still in the city's unit, as before banks were units: the old version's bank step waits there
    (an upgraded database keeps its officers where they were until an administrator moves them)."""
    from workflow_app.auth.operations import create_user
    from workflow_app.auth.queries import find_user

    officer = find_user("bank_city") or create_user("bank_city", ["bank_officer"], "weifang", "secret-pass-1")
    db.session.commit()
    return officer


def test_an_old_cases_reviews_take_the_packages_forms_and_route_the_old_diagram(app, bureau, client_as):
    case = old_case(bureau)
    deploy_package(app, "loan_extension")
    task = open_task_of(case, "county_review")
    assert task.form_key == "loan_extension_county_review"
    county = client_as("kuiwen_handler")
    page = county.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.county_decision"' in page and "同意，报贷款银行审核" in page
    assert county.post(f"/tasks/{task.id}", data={"data.county_decision": "refuse"}).status_code == 422  # no reason
    assert county.post(f"/tasks/{task.id}", data={"data.county_decision": "approve"}).status_code == 302
    bank_task = open_task_of(case, "bank_review")  # the old diagram's step, in the city's queue as it said
    assert bank_task.form_key == "loan_extension_bank_review" and bank_task.org_unit.code == "weifang"
    city_bank_officer()
    bank = client_as("bank_city")
    assert 'name="data.months_granted"' in bank.get(f"/tasks/{bank_task.id}").get_data(as_text=True)
    refused = bank.post(f"/tasks/{bank_task.id}", data={"data.bank_decision": "approve", "data.months_granted": "9"})
    assert refused.status_code == 422 and "最多为申请的 8 个月" in refused.get_data(
        as_text=True
    )  # the rule, on old data
    assert (
        bank.post(
            f"/tasks/{bank_task.id}", data={"data.bank_decision": "approve", "data.months_granted": "6"}
        ).status_code
        == 302
    )
    assert client_as("bank").get(f"/tasks/{bank_task.id}").status_code == 404  # not 中国银行's unit's step
    db.session.expire_all()
    data = current_data(case.instance)
    assert case.instance.status == "completed"
    assert data["decision"] == "approved" and data["new_maturity_date"] == add_months(MATURITY, 6)  # the old script
    html = county.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert shown["贷款类别"] == "创业担保贷款" and shown["贷款银行"] == "中国银行潍坊分行"  # the old text, as typed
    assert shown["审核意见"] in ("同意，报贷款银行审核", "同意展期")


def test_an_extension_the_old_version_granted_counts_against_a_new_application(app, bureau, client_as):
    case = old_case(bureau, months=8)
    submit_task(
        open_task_of(case, "county_review").id,
        {"county_decision": "approve", "county_opinion": ""},
        bureau["kuiwen_handler"],
        "127.0.0.1",
    )
    submit_task(
        open_task_of(case, "bank_review").id,
        {"bank_decision": "approve", "months_granted": 8, "bank_opinion": ""},
        city_bank_officer(),
        "127.0.0.1",
    )
    db.session.commit()
    deploy_package(app, "loan_extension")
    assert apply_in_portal(client_as("ent_huayu"), application(months_requested=5)).status_code == 302
    new = newest_case()
    data = current_data(new.instance)
    assert (data["months_extended_before"], data["months_total"]) == (8, 13)
    assert open_task_of(new).bpmn_id == "exception_approval"
