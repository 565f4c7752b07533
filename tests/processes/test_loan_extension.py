"""The loan repayment extension (贷款展期): term rules, 潍岗贷 eligibility, county and bank reviews."""
from datetime import timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from forms.loan_extension import LoanExtensionApplicationForm
from tests.processes.conftest import assert_task_for, audit_kinds, completed_steps, form_errors, open_steps, submit
from workflow_app.cases.operations import apply_for_loan_extension
from workflow_app.core.time import local_today
from workflow_app.engine.queries import current_data
from workflow_app.core.dates import add_months
from workflow_app.extensions import db

MATURITY = local_today() + timedelta(days=40)


def application(**changes):
    data = {"loan_type": "entrepreneurship", "contract_no": "WF-CDB-2023-0182", "bank": "中国银行潍坊分行",
            "principal": "1500000.00", "maturity_date": MATURITY.isoformat(), "months_requested": "6",
            "reason": "订单回款延迟，流动资金暂时紧张"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def weigangdai(**changes):
    facts = {"loan_type": "weigangdai", "principal": "12000000.00",
             "founded_date": (local_today() - timedelta(days=3 * 365)).isoformat(), "employees": "85",
             "headcount_last_year_end": "80", "wages_paid": "y", "contributions_paid": "y"}
    return application(**{**facts, **changes})


def application_errors(app, data):
    with app.test_request_context():
        form = LoanExtensionApplicationForm(formdata=MultiDict(data))
        form.validate()
        return form.errors


@pytest.fixture
def apply(app, bureau):
    def factory(data):
        with app.test_request_context():
            form = LoanExtensionApplicationForm(formdata=MultiDict(data))
            assert form.validate(), form.errors
            case = apply_for_loan_extension(form.task_data(), bureau["ent_huayu"])
        db.session.commit()
        return case
    return factory


def test_six_months_approved_by_county_and_bank(apply, bureau):
    case = apply(application())
    assert case.instance.org_unit.code == "kuiwen"
    assert_task_for(case, "county_review", "county_handler", "kuiwen")
    submit(case, "county_review", bureau["kuiwen_handler"], {"county_decision": "approve", "county_opinion": "情况属实"})
    assert_task_for(case, "bank_review", "bank_officer", "weifang")
    submit(case, "bank_review", bureau["bank"], {"bank_decision": "approve", "months_granted": "6"})
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert data["decision"] == "approved" and data["term_path"] == "normal"
    assert data["new_maturity_date"] == add_months(MATURITY, 6)
    assert data["principal"] == Decimal("1500000.00")
    assert [s for s, _ in completed_steps(case)] == ["county_review", "bank_review"]
    assert audit_kinds(case)[-1] == "instance_completed"


def test_more_than_12_months_needs_the_city_exception_then_bank_may_grant_fewer(apply, bureau):
    case = apply(application(months_requested="18"))
    assert_task_for(case, "exception_approval", "section_reviewer", "weifang")
    submit(case, "exception_approval", bureau["reviewer"], {"exception_decision": "approve"})
    submit(case, "county_review", bureau["kuiwen_handler"], {"county_decision": "approve"})
    assert form_errors(case, "bank_review", {"bank_decision": "approve", "months_granted": "24"}) == {
        "months_granted": ["最多为申请的 18 个月"]}
    submit(case, "bank_review", bureau["bank"], {"bank_decision": "approve", "months_granted": "12"})
    data = current_data(case.instance)
    assert data["term_path"] == "exception" and data["new_maturity_date"] == add_months(MATURITY, 12)


@pytest.mark.parametrize("refused_at", ["exception", "county", "bank"])
def test_each_refusal_ends_the_case_with_who_and_why(apply, bureau, refused_at):
    case = apply(application(months_requested="18"))
    steps = [("exception_approval", "reviewer", "exception"), ("county_review", "kuiwen_handler", "county"),
             ("bank_review", "bank", "bank")]
    for step, username, prefix in steps:
        if prefix == refused_at:
            assert f"{prefix}_opinion" in form_errors(case, step, {f"{prefix}_decision": "refuse"})
            submit(case, step, bureau[username], {f"{prefix}_decision": "refuse", f"{prefix}_opinion": f"{prefix} 不同意"})
            break
        extra = {"months_granted": "12"} if prefix == "bank" else {}
        submit(case, step, bureau[username], {f"{prefix}_decision": "approve", **extra})
    assert case.instance.status == "completed" and open_steps(case) == []
    data = current_data(case.instance)
    expected_by = {"exception": "city", "county": "county", "bank": "bank"}[refused_at]
    assert (data["decision"], data["refused_by"], data["refusal_reason"]) == ("refused", expected_by, f"{refused_at} 不同意")
    assert "new_maturity_date" not in data


def test_eligible_weigangdai_goes_on_to_the_county(apply):
    case = apply(weigangdai())
    data = current_data(case.instance)
    assert data["eligible"] is True and data["founded_years"] >= 2 and data["headcount_change"] == 5
    assert open_steps(case) == ["county_review"]


@pytest.mark.parametrize("changes, reason", [
    ({"founded_date": (local_today() - timedelta(days=200)).isoformat()}, "企业成立不满1年"),
    ({"employees": "8", "headcount_last_year_end": "8"}, "就业登记人数不足10人"),
    ({"employees": "70"}, "员工人数较上年末减少"),
    ({"wages_paid": None}, "未足额按时发放工资"),
    ({"contributions_paid": None}, "未足额按时缴纳社会保险费"),
])
def test_ineligible_weigangdai_is_refused_by_the_rules_with_the_reason(apply, changes, reason):
    case = apply(weigangdai(**changes))
    assert case.instance.status == "completed" and open_steps(case) == []
    data = current_data(case.instance)
    assert (data["decision"], data["refused_by"], data["refusal_reason"]) == ("refused", "rules", reason)


@pytest.mark.parametrize("changes, field", [
    ({"principal": "3000000.01"}, "principal"),
    ({"principal": "100.005"}, "principal"),
    ({"principal": "-5"}, "principal"),
    ({"principal": "一百万"}, "principal"),
    ({"maturity_date": (local_today() - timedelta(days=1)).isoformat()}, "maturity_date"),
    ({"months_requested": "0"}, "months_requested"),
    ({"months_requested": "37"}, "months_requested"),
    ({"loan_type": "weigangdai"}, "founded_date"),
])
def test_application_refuses_bad_input_with_a_message_on_the_field(app, bureau, changes, field):
    errors = application_errors(app, application(**changes))
    assert field in errors and errors[field]


def test_weigangdai_ceiling_is_30_million(app, bureau):
    assert "principal" not in application_errors(app, weigangdai(principal="29999999.99"))
    assert "principal" in application_errors(app, weigangdai(principal="30000000.01"))
