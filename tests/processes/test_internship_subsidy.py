"""就业见习补贴, the example process package (bpmn/internship_subsidy/): deployed with the bureau's processes and run
end to end through the pages and the API with no Python of its own: the unit applies with its trainees as rows,
the county reviews (and may send it back), the agency pays."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from workflow_app.cases.models import Case
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(first17: str) -> str:
    """A 身份证号码 with its GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


ZHANG = id_card("37070220010315123")  # born 2001-03-15
LI = id_card("37078220030620456")  # born 2003-06-20


def _rows(*trainees):
    posted = {}
    for index, (name, number, category, graduated, months) in enumerate(trainees):
        posted.update(
            {
                f"data.trainees.{index}.name": name,
                f"data.trainees.{index}.id_number": number,
                f"data.trainees.{index}.category": category,
                f"data.trainees.{index}.months": str(months),
                f"data.trainees.{index}.monthly_allowance": "2000.00",
            }
        )
        if graduated:
            posted[f"data.trainees.{index}.graduation_date"] = graduated
    return posted


APPLICATION = {
    "data.position": "数控车床操作见习",
    "data.contact_name": "王建华",
    "data.contact_phone": "13853612345",
    "data.bank_account": "6222020604001234567",
    "data.truthful": "y",
    **_rows(("张伟", ZHANG, "graduate", "2024-06-30", 6), ("李娜", LI, "youth", None, 3)),
}


def _case():
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Case)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .where(ProcessInstance.process_id == "internship_subsidy")
    ).one()


def test_the_unit_applies_in_the_portal_the_county_sends_back_then_approves_and_the_agency_pays(bureau, client_as):
    unit = client_as("ent_huayu")
    form = unit.get("/portal/apply/internship_subsidy").get_data(as_text=True)
    assert 'name="data.trainees.0.id_number"' in form and "见习人员" in form
    wrong = {**APPLICATION, "data.trainees.1.id_number": LI[:-1] + ("0" if LI[-1] != "0" else "1")}
    refused = unit.post("/portal/apply/internship_subsidy", data=wrong)
    assert refused.status_code == 422 and "第 2 行" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0  # nothing stored on a refusal
    applied = unit.post("/portal/apply/internship_subsidy", data=APPLICATION)
    assert applied.status_code == 302, applied.get_data(as_text=True)[:2000]
    case = _case()
    assert case.number.startswith("JX-") and case.title == "潍坊华宇精密机械有限公司：就业见习补贴"
    data = current_data(case.instance)
    # the model's decision and script: 60% of the example minimum wage (2200.00) a month
    assert data["minimum_wage_yuan"] == "2200.00" and data["subsidy_rate"] == Decimal("1320.00")
    assert data["subsidy_total"] == Decimal("11880.00")  # (6 + 3) months x 1320.00
    assert data["trainees"][1]["monthly_allowance"] == Decimal("2000.00")

    county = client_as("kuiwen_handler")
    review = open_task_of(case, "review")
    page = county.get(f"/tasks/{review.id}").get_data(as_text=True)
    assert "11880.00" in page and "张伟" in page  # the model's instructions over the case's data
    refused = county.post(f"/tasks/{review.id}", data={"data.review_decision": "send_back"})
    assert refused.status_code == 422 and "说明" in refused.get_data(as_text=True)  # else: the reason is required
    sent_back = county.post(
        f"/tasks/{review.id}",
        data={"data.review_decision": "send_back", "data.review_opinion": "请补充李娜的失业登记证明"},
    )
    assert sent_back.status_code == 302

    correct = open_task_of(case, "correct")
    again = unit.get(f"/portal/tasks/{correct.id}").get_data(as_text=True)
    assert "请补充李娜的失业登记证明" in again and 'value="数控车床操作见习"' in again  # what was typed is kept
    assert (
        unit.post(f"/portal/tasks/{correct.id}", data={**APPLICATION, "data.position": "数控车床见习"}).status_code
        == 302
    )

    review = open_task_of(case, "review")
    approved = county.post(
        f"/tasks/{review.id}", data={"data.review_decision": "approve", "data.approved_total": "11880.00"}
    )
    assert approved.status_code == 302
    pay = open_task_of(case, "pay")
    agency = client_as("agency")
    assert "11880.00" in agency.get(f"/tasks/{pay.id}").get_data(as_text=True)
    paid = agency.post(
        f"/tasks/{pay.id}",
        data={"data.paid_amount": "11880.00", "data.paid_on": "2026-12-01", "data.voucher_no": "JX-PAY-001"},
    )
    assert paid.status_code == 302
    case = _case()
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert data["position"] == "数控车床见习" and data["paid_amount"] == Decimal("11880.00")
    history = county.get(f"/cases/{case.id}").get_data(as_text=True)  # the forms' titles and choices, not codes
    assert "见习岗位" in history and "第 1 行：姓名 张伟" in history and "审核通过，按核定金额发放" in history
    assert "退回单位补正" in history and "contact_name" not in history and "review_opinion" not in history


@pytest.fixture
def api_as(bureau, app):
    from tests.api.conftest import ApiClient
    from workflow_app.auth.operations import create_api_token
    from workflow_app.auth.queries import find_user

    def factory(username):
        _row, token = create_api_token(find_user(username), "test")
        db.session.commit()
        return ApiClient(app.test_client(), token)

    return factory


def test_the_same_flow_through_the_api_refusing_by_field(api_as):
    unit = api_as("ent_huayu")
    listed = {p["id"]: p for p in unit.get("/processes").get_json()["items"]}
    schema = listed["internship_subsidy"]["form"]["schema"]
    assert schema["properties"]["trainees"]["minItems"] == 1 and listed["internship_subsidy"]["label"] == "就业见习补贴"
    trainee = {"name": "张伟", "id_number": ZHANG, "category": "graduate", "months": 6, "monthly_allowance": "2000"}
    application = {
        "position": "数控车床操作见习",
        "contact_name": "王建华",
        "contact_phone": "13853612345",
        "bank_account": "6222020604001234567",
        "truthful": True,
        "trainees": [trainee],
    }
    refused = unit.post(
        "/cases",
        {
            "process": "internship_subsidy",
            "data": {**application, "contact_phone": "12345", "trainees": [{**trainee, "months": 13}]},
        },
    )
    assert refused.status_code == 422
    assert {d["field"] for d in refused.get_json()["details"]} >= {
        "contact_phone",
        "trainees.0.months",
        "trainees.0.graduation_date",
    }
    started = unit.post(
        "/cases",
        {
            "process": "internship_subsidy",
            "data": {**application, "trainees": [{**trainee, "graduation_date": "2025-07-01"}]},
        },
    )
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]

    county = api_as("kuiwen_handler")
    review = open_task_of(db.session.get(Case, case_id), "review")
    detail = county.get(f"/tasks/{review.id}").get_json()
    assert "7920.00" in detail["instructions_html"]  # 6 months x 1320.00
    assert county.post(f"/tasks/{review.id}/complete", {"data": {"review_decision": "refuse"}}).status_code == 422
    done = county.post(
        f"/tasks/{review.id}/complete", {"data": {"review_decision": "refuse", "review_opinion": "见习协议未备案"}}
    )
    assert done.status_code == 200
    instance = db.session.get(Case, case_id).instance
    db.session.refresh(instance)
    assert instance.status == "completed" and current_data(instance)["review_decision"] == "refuse"
