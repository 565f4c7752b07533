"""贷款展期 (bpmn/loan_extension/): the enterprise applies in the portal with its evidence and chooses its bank from the
register; 潍岗贷's conditions, the 12 months counted per loan contract (earlier extensions included), the city's
exception, the county's review and the chosen bank's, whose officers alone see the case."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.api.conftest import api_as, create_token  # noqa: F401 (fixtures: the API as a demo user)
from tests.conftest import open_task_of
from workflow_app.auth.queries import find_org_unit
from workflow_app.cases.models import SHARED, Attachment, Case
from workflow_app.cases.operations import start_process_case
from workflow_app.cases.task_handlers import submit_task
from workflow_app.core.dates import add_months
from workflow_app.core.time import local_today
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

MATURITY = local_today() + timedelta(days=40)
PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"


def application(**changes) -> dict:
    """An application's values as the API sends them (and the case's data keeps them, but for the amount)."""
    values = {
        "loan_type": "entrepreneurship",
        "contract_no": "WF-CDB-2023-0182",
        "bank": "boc_weifang",
        "principal": "1500000.00",
        "maturity_date": MATURITY.isoformat(),
        "months_requested": 6,
        "reason": "订单回款延迟，流动资金暂时紧张",
        "evidence": ["回款明细.pdf"],
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def weigangdai(**changes) -> dict:
    facts = {
        "loan_type": "weigangdai",
        "principal": "12000000.00",
        "founded_date": (local_today() - timedelta(days=3 * 365)).isoformat(),
        "employees": 85,
        "headcount_last_year_end": 80,
        "headcount_year_before": 78,
        "wages_paid": True,
        "contributions_paid": True,
    }
    return application(**{**facts, **changes})


def posted(values: dict) -> dict:
    """What the portal's application page posts for these values: its fields, the evidence as files."""
    form = {}
    for key, value in values.items():
        if key == "evidence":
            form["data.evidence"] = [(io.BytesIO(PDF), name) for name in value]
        elif isinstance(value, bool):  # 是/否 radio buttons
            form[f"data.{key}"] = "true" if value else "false"
        else:
            form[f"data.{key}"] = str(value)
    return form


def apply_in_portal(client, values):
    return client.post("/portal/apply/loan_extension", data=posted(values), content_type="multipart/form-data")


def newest_case():
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Case).where(Case.process_id == "loan_extension").order_by(Case.id.desc())
    ).first()


@pytest.fixture
def apply(bureau, client_as):
    """Apply as 华宇 in the portal (one signed-in client for the test); returns the new case."""
    client = client_as("ent_huayu")

    def factory(values):
        response = apply_in_portal(client, values)
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        return newest_case()

    return factory


@pytest.fixture
def complete(bureau, client_as):
    """Complete a case's open step on its task page as a user (one signed-in client per user)."""
    clients = {}

    def factory(case, bpmn_id, username, values, status=302):
        client = clients.get(username) or clients.setdefault(username, client_as(username))
        task = open_task_of(case, bpmn_id)
        response = client.post(f"/tasks/{task.id}", data={f"data.{k}": str(v) for k, v in values.items()})
        assert response.status_code == status, response.get_data(as_text=True)[-3000:]
        return response.get_data(as_text=True)

    return factory


def assert_open(case, bpmn_id, role, org_code):
    task = open_task_of(case)
    assert (task.bpmn_id, task.role, task.org_unit_id) == (bpmn_id, role, find_org_unit(org_code).id)
    return task


def granted_before(bureau, contract_no, months, enterprise_user="ent_huayu"):
    """An earlier extension of a contract, granted `months` by the bank (started and worked through the operations)."""
    case = start_process_case(
        "loan_extension",
        {**application(contract_no=contract_no, months_requested=months, principal=Decimal("1500000.00"))},
        bureau[enterprise_user],
    )
    submit_task(
        open_task_of(case, "county_review").id,
        {"county_decision": "approve", "county_opinion": None},
        bureau["kuiwen_handler"] if enterprise_user == "ent_huayu" else bureau["shouguang_handler"],
    )
    submit_task(
        open_task_of(case, "bank_review").id,
        {"bank_decision": "approve", "months_granted": months, "bank_opinion": None},
        bureau["bank"],
    )
    db.session.commit()
    assert current_data(newest_case().instance)["decision"] == "approved"
    return case


# ---------------------------------------------------------------------------------------------- the way through


def test_six_months_with_evidence_approved_by_the_county_and_the_chosen_bank(apply, complete, bureau, client_as):
    case = apply(application())
    assert case.number.startswith("ZQ-") and case.title == "潍坊华宇精密机械有限公司：贷款展期 6 个月"
    assert case.instance.org_unit.code == "kuiwen"
    files = db.session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(f.file_name, f.visibility, f.task_id) for f in files] == [("回款明细.pdf", SHARED, None)]
    assert_open(case, "county_review", "county_handler", "kuiwen")
    page = client_as("kuiwen_handler").get(f"/tasks/{open_task_of(case).id}").get_data(as_text=True)
    assert "回款明细.pdf" in page and "中国银行潍坊分行" in page  # the evidence, and the bank by its name
    complete(case, "county_review", "kuiwen_handler", {"county_decision": "approve", "county_opinion": "情况属实"})
    assert_open(case, "bank_review", "bank_officer", "boc_weifang")  # the chosen bank's own unit
    complete(case, "bank_review", "bank", {"bank_decision": "approve", "months_granted": 6})
    db.session.expire_all()
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert data["decision"] == "approved" and data["term_path"] == "normal" and data["months_total"] == 6
    assert data["new_maturity_date"] == add_months(MATURITY, 6) and data["principal"] == Decimal("1500000.00")
    history = client_as("kuiwen_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "贷款银行" in history and "中国银行潍坊分行" in history and "boc_weifang" not in history


@pytest.mark.parametrize("months, step", [(12, "county_review"), (13, "exception_approval")])
def test_twelve_months_go_the_normal_way_and_thirteen_need_the_citys_exception(apply, months, step):
    case = apply(application(months_requested=months))
    data = current_data(case.instance)
    assert open_task_of(case).bpmn_id == step
    assert data["term_path"] == ("normal" if months == 12 else "exception")
    assert data["term_reason"] == ("" if months == 12 else "申请展期 13 个月，超过 12 个月")


@pytest.mark.parametrize("earlier, now, step", [(8, 4, "county_review"), (8, 5, "exception_approval")])
def test_earlier_extensions_of_the_same_contract_count_against_the_twelve_months(apply, bureau, earlier, now, step):
    first = granted_before(bureau, "WF-CDB-2023-0182", earlier)
    case = apply(application(contract_no=" wf-cdb-2023-0182 ", months_requested=now))  # the same contract, as typed
    data = current_data(case.instance)
    assert (data["months_extended_before"], data["months_total"]) == (earlier, earlier + now)
    assert data["cases_extended_before"] == [first.number]
    assert open_task_of(case).bpmn_id == step
    if step == "exception_approval":
        assert data["term_reason"] == "本借款合同此前已展期 8 个月，本次申请 5 个月，累计 13 个月，超过 12 个月"


def test_only_the_same_enterprises_granted_extensions_of_that_contract_count(apply, bureau, complete):
    granted_before(bureau, "WF-CDB-2023-0999", 8)  # another contract
    granted_before(bureau, "WF-CDB-2023-0182", 8, enterprise_user="ent_lvyuan")  # another enterprise's number
    refused = apply(application(months_requested=8))  # refused by the county: nothing was extended
    complete(refused, "county_review", "kuiwen_handler", {"county_decision": "refuse", "county_opinion": "材料不实"})
    case = apply(application(months_requested=12))
    data = current_data(case.instance)
    assert data["months_extended_before"] == 0 and data["months_total"] == 12
    assert open_task_of(case).bpmn_id == "county_review"


def test_the_citys_exception_shows_why_and_the_bank_grants_at_most_what_was_asked(apply, bureau, complete, client_as):
    granted_before(bureau, "WF-CDB-2023-0182", 8)
    case = apply(application(months_requested=6))
    assert_open(case, "exception_approval", "section_reviewer", "weifang")
    page = client_as("reviewer").get(f"/tasks/{open_task_of(case).id}").get_data(as_text=True)
    assert "本借款合同此前已展期 8 个月，本次申请 6 个月，累计 14 个月，超过 12 个月" in page
    complete(
        case,
        "exception_approval",
        "reviewer",
        {"exception_decision": "approve", "exception_opinion": "受疫情影响订单延后，确有特殊困难"},
    )
    page = client_as("kuiwen_handler").get(f"/tasks/{open_task_of(case).id}").get_data(as_text=True)
    assert "此前已展期 8 个月" in page and "确有特殊困难" in page
    complete(case, "county_review", "kuiwen_handler", {"county_decision": "approve"})
    refused = complete(case, "bank_review", "bank", {"bank_decision": "approve", "months_granted": 7}, status=422)
    assert "最多为申请的 6 个月" in refused
    complete(case, "bank_review", "bank", {"bank_decision": "approve", "months_granted": 4})
    data = current_data(newest_case().instance)
    assert data["term_path"] == "exception" and data["new_maturity_date"] == add_months(MATURITY, 4)


@pytest.mark.parametrize("refused_at", ["exception", "county", "bank"])
def test_each_refusal_ends_the_case_with_who_and_why(apply, complete, refused_at):
    case = apply(application(months_requested=18))
    steps = [
        ("exception_approval", "reviewer", "exception"),
        ("county_review", "kuiwen_handler", "county"),
        ("bank_review", "bank", "bank"),
    ]
    for step, username, prefix in steps:
        if prefix == refused_at:
            without_reason = complete(case, step, username, {f"{prefix}_decision": "refuse"}, status=422)
            assert "请填写" in without_reason
            complete(case, step, username, {f"{prefix}_decision": "refuse", f"{prefix}_opinion": f"{prefix} 不同意"})
            break
        extra = {"months_granted": 12} if prefix == "bank" else {}
        complete(case, step, username, {f"{prefix}_decision": "approve", **extra})
    case = newest_case()
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    expected_by = {"exception": "city", "county": "county", "bank": "bank"}[refused_at]
    assert (data["decision"], data["refused_by"], data["refusal_reason"]) == (
        "refused",
        expected_by,
        f"{refused_at} 不同意",
    )
    assert "new_maturity_date" not in data


# ---------------------------------------------------------------------------------------------- 潍岗贷


def test_eligible_weigangdai_goes_on_to_the_county(apply):
    case = apply(weigangdai(employees=80, headcount_last_year_end=80, headcount_year_before=80))  # none fewer
    data = current_data(case.instance)
    assert data["eligible"] is True and data["founded_years"] >= 2
    assert open_task_of(case).bpmn_id == "county_review"


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"founded_date": (local_today() - timedelta(days=200)).isoformat()}, "企业成立不满1年"),
        ({"employees": 8, "headcount_last_year_end": 8, "headcount_year_before": 8}, "就业登记人数不足10人"),
        ({"headcount_year_before": 81}, "上年度用工人数减少（上年末少于前年末）"),
        ({"employees": 79}, "员工人数较上年末减少"),
        ({"wages_paid": False}, "未足额按时发放工资"),
        ({"contributions_paid": False}, "未足额按时缴纳社会保险费"),
    ],
)
def test_ineligible_weigangdai_is_refused_by_the_rules_with_the_reason(apply, changes, reason):
    case = apply(weigangdai(**changes))
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["decision"], data["refused_by"], data["refusal_reason"]) == ("refused", "rules", reason)


# ---------------------------------------------------------------------------------------------- the application


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"principal": "3000000.01"}, "principal", "上限 3,000,000.00 元"),
        ({"principal": "0"}, "principal", "未还本金须大于 0 元"),
        ({"principal": "100.005"}, "principal", None),
        ({"maturity_date": (local_today() - timedelta(days=1)).isoformat()}, "maturity_date", "贷款已到期"),
        ({"months_requested": 0}, "months_requested", None),
        ({"months_requested": 37}, "months_requested", None),
        ({"bank": "中国银行潍坊分行"}, "bank", None),  # a bank is chosen from the list, not typed
        ({"evidence": None}, "evidence", "证明材料"),
        ({"loan_type": "weigangdai"}, "founded_date", "企业成立日期"),
        (
            {
                "loan_type": "weigangdai",
                "principal": "30000000.01",
                "founded_date": "2015-01-01",
                "employees": 20,
                "headcount_last_year_end": 20,
                "headcount_year_before": 20,
                "wages_paid": True,
                "contributions_paid": True,
            },
            "principal",
            "30,000,000.00",
        ),
    ],
)
def test_the_application_refuses_bad_input_beside_the_field_and_stores_nothing(
    bureau, client_as, changes, field, message
):
    response = apply_in_portal(client_as("ent_huayu"), application(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    beside = page[page.index(f'name="data.{field}"') :]
    beside = beside[: beside.index("</div>", beside.index('class="invalid-feedback'))]
    assert 'class="invalid-feedback' in beside and (message is None or message in beside), beside
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_an_evidence_file_of_a_type_not_taken_refuses_the_application_whole(bureau, client_as):
    values = application()
    form = {**posted(values), "data.evidence": [(io.BytesIO(PDF), "回款明细.pdf"), (io.BytesIO(b"MZ\x90"), "x.exe")]}
    response = client_as("ent_huayu").post(
        "/portal/apply/loan_extension", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    for model in (Case, ProcessInstance, Attachment):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_the_application_form_offers_the_registered_banks_and_a_file_field(bureau, client_as):
    page = client_as("ent_huayu").get("/portal/apply/loan_extension").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="data.evidence"' in page
    assert '<option value="boc_weifang"' in page and "中国建设银行潍坊分行" in page
    assert 'name="data.headcount_year_before"' in page and "前年末用工人数" in page


def test_every_bank_the_application_offers_is_a_registered_bank(bureau, api_as):
    processes = {p["id"]: p for p in api_as("ent_huayu").get("/processes").get_json()["items"]}
    offered = processes["loan_extension"]["form"]["schema"]["properties"]["bank"]["oneOf"]
    for bank in offered:
        unit = find_org_unit(bank["const"])
        assert unit is not None and unit.level == "bank" and unit.name == bank["title"]


def test_the_same_application_through_the_api(api_as):
    api = api_as("ent_huayu")
    refused = api.post("/cases", {"process": "loan_extension", "data": application(principal="3000000.01")})
    assert refused.status_code == 422
    assert [d["field"] for d in refused.get_json()["details"]] == ["principal"]
    started = api.post("/cases", {"process": "loan_extension", "data": application(months_requested=13)})
    assert started.status_code == 201, started.get_json()
    case = db.session.get(Case, started.get_json()["id"])
    assert open_task_of(case).bpmn_id == "exception_approval"


# ---------------------------------------------------------------------------------------------- banks


@pytest.fixture
def at_the_bank(apply, complete):
    """A case waiting at 中国银行潍坊分行 (the demo's `bank` works there, `bank_ccb` at 中国建设银行潍坊分行)."""
    case = apply(application())
    complete(case, "county_review", "kuiwen_handler", {"county_decision": "approve"})
    return case


def test_a_bank_officer_sees_and_works_only_their_own_banks_cases(at_the_bank, client_as, api_as):
    case, task = at_the_bank, open_task_of(at_the_bank, "bank_review")
    own, other = client_as("bank"), client_as("bank_ccb")
    assert case.number in own.get("/inbox?queue=group").get_data(as_text=True)
    assert case.number in own.get("/cases/").get_data(as_text=True)
    assert own.get(f"/cases/{case.id}").status_code == 200 and own.get(f"/tasks/{task.id}").status_code == 200
    assert case.number not in other.get("/inbox?queue=group").get_data(as_text=True)
    assert case.number not in other.get("/cases/").get_data(as_text=True)
    assert other.get(f"/cases/{case.id}").status_code == 404 and other.get(f"/tasks/{task.id}").status_code == 404
    assert (
        other.post(f"/tasks/{task.id}", data={"data.bank_decision": "refuse", "data.bank_opinion": "x"}).status_code
        == 404
    )
    own_api = api_as("bank")
    assert own_api.get(f"/cases/{case.id}").status_code == 200
    assert case.number in own_api.get("/tasks?queue=group").get_data(as_text=True)
    other_api = api_as("bank_ccb")
    assert (
        other_api.get(f"/cases/{case.id}").status_code == 404 and other_api.get(f"/tasks/{task.id}").status_code == 404
    )
    assert (
        other_api.post(
            f"/tasks/{task.id}/complete", {"data": {"bank_decision": "approve", "months_granted": 6}}
        ).status_code
        == 404
    )
    assert case.number not in other_api.get("/cases").get_data(as_text=True)
    assert case.number not in other_api.get("/tasks?queue=group").get_data(as_text=True)


def test_the_bank_keeps_seeing_the_case_it_decided_and_the_other_bank_never_does(at_the_bank, complete, client_as):
    complete(at_the_bank, "bank_review", "bank", {"bank_decision": "approve", "months_granted": 6})
    assert client_as("bank").get(f"/cases/{at_the_bank.id}").status_code == 200
    assert client_as("bank_ccb").get(f"/cases/{at_the_bank.id}").status_code == 404


def test_a_bank_no_unit_has_sends_the_step_to_the_citys_queue_and_says_so(bureau, client_as):
    """A case whose bank is no registered unit (a model or register error) is not lost: the city's supervisors see
    its bank step, and the history says why it is there."""
    case = start_process_case(
        "loan_extension",
        {**application(), "principal": Decimal("1500000.00"), "bank": "closed_bank"},
        bureau["ent_huayu"],
    )
    submit_task(
        open_task_of(case, "county_review").id,
        {"county_decision": "approve", "county_opinion": None},
        bureau["kuiwen_handler"],
    )
    db.session.commit()
    assert_open(case, "bank_review", "bank_officer", "weifang")
    from tests.processes.conftest import audit_kinds

    assert "org_unit_unresolved" in audit_kinds(case)


def test_seeding_the_demo_again_moves_a_bank_officer_seeded_in_the_city_to_its_bank(bureau):
    from tests.conftest import PASSWORD
    from workflow_app.demo import seed_demo

    bureau["bank"].org_unit_id = find_org_unit("weifang").id  # as the demo seeded it before banks were units
    db.session.commit()
    seed_demo(PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert bureau["bank"].org_unit.code == "boc_weifang" and bureau["bank_ccb"].org_unit.code == "ccb_weifang"
