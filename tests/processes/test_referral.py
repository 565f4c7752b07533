"""The problem/need referral (问题需求转办, bpmn/referral/): every path, driven as the right users through its JSON
Schema forms, and the defects issue 29 found, each with its test (re-dispatch, 一企一策 rows, registering a missing
enterprise, the command centre's ticket number, the enterprise's own satisfaction, a second 不满意)."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, open_task_of, start_through_form
from tests.processes.conftest import (
    assert_task_for,
    audit_kinds,
    completed_steps,
    fire_timers_when_due,
    form_errors,
    open_steps,
    submit,
)
from workflow_app.auth.models import Enterprise
from workflow_app.auth.operations import create_user
from workflow_app.cases.models import Case
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import local_today
from workflow_app.core.uscc import uscc_check_char
from workflow_app.engine.models import AuditEvent
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"  # kuiwen, has a specialist and an account (ent_huayu)
LVYUAN = "寿光市绿源食品加工有限公司"  # shouguang, no specialist, an account (ent_lvyuan)
HENGTONG = "潍坊恒通纺织有限公司"  # weicheng, no specialist, no account
TODAY = local_today().isoformat()
PLAN = [
    {"position": "数控车工", "headcount": 80, "skill_level": "中级工", "wage": "6500.00"},
    {"position": "装配工", "headcount": 40, "skill_level": "不限", "wage": "5200"},
]


def uscc_of(name):
    return db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == name))


def new_uscc(first17="91370700MA3G4H056"):
    """A code no demo enterprise has: Weifang's division, an organisation code with its own check character."""
    return first17 + uscc_check_char(first17)


@pytest.fixture
def register(app, bureau):
    def factory(
        enterprise=LVYUAN,
        category="社保",
        labour_shortage=False,
        follow_up_delay="PT1H",  # longer than a test takes: its timer fires only when the test lets the hour pass
        satisfaction_wait=None,
        **fields,
    ):
        data = {
            "enterprise_uscc": uscc_of(enterprise),
            "category": category,
            "description": "企业反映问题",
            "labour_shortage": labour_shortage,
            "source": "市工业运行指挥部",
            **fields,
        }
        settings = {"follow_up_delay": follow_up_delay} if follow_up_delay else {}
        if satisfaction_wait:
            settings["satisfaction_wait"] = satisfaction_wait
        case = start_through_form("referral", bureau["dispatcher"], data, settings)
        db.session.commit()
        return case

    return factory


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


def resolve(case, step, user, **extra):
    submit(case, step, user, {"handle_outcome": "resolved", "measures": "协调社保经办机构办理", **extra})


def accept_and_wait(case, bureau):
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert open_steps(case) == []  # waiting for the follow-up timer
    assert fire_timers_when_due(3600) == 1


def rate(case, bureau, username, satisfaction="满意", comment=None):
    """The enterprise rates the outcome in the portal (its own task)."""
    assert_task_for(case, "rate_satisfaction", "enterprise", current_data(case.instance)["county"])
    submit(
        case,
        "rate_satisfaction",
        bureau[username],
        {"satisfaction": satisfaction, **({"satisfaction_comment": comment} if comment else {})},
    )


def visit(case, county_handler, satisfaction="满意", comment=None):
    """The county visits an enterprise without an account and records its satisfaction for it."""
    assert_task_for(case, "follow_up", "county_handler", current_data(case.instance)["county"])
    submit(
        case,
        "follow_up",
        county_handler,
        {
            "visit_date": TODAY,
            "visit_record": "已回访",
            "satisfaction": satisfaction,
            **({"satisfaction_comment": comment} if comment else {}),
        },
    )


def signed_and_resolved(case, handler, **extra):
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    resolve(case, "handle", handler, **extra)


# ------------------------------------------------------------------------------------------------------ the paths


def test_happy_path_without_specialist(register, bureau):
    case = register(LVYUAN, "社保")
    handler = bureau["shouguang_handler"]
    assert case.instance.org_unit.code == "shouguang"  # dispatched at once to the enterprise's county
    assert case.priority == "normal" and case.title == f"{LVYUAN}：社保（企业反映问题）"  # the problem's first words
    assert_task_for(case, "sign_for", "county_handler", "shouguang")
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    assert_task_for(case, "handle", "county_handler", "shouguang")
    resolve(case, "handle", handler)
    assert_task_for(case, "city_review", "section_reviewer", "weifang")
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan")
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["county"], data["section"], data["satisfaction"], data["closed"]) == (
        "shouguang",
        "社会保险服务",
        "满意",
        True,
    )
    assert data["case_number"] == case.number and case.number.startswith("ZB-")
    steps = completed_steps(case)
    assert [s for s, _ in steps] == ["sign_for", "handle", "city_review", "rate_satisfaction"]
    assert [a for _, a in steps] == [handler.id, handler.id, bureau["reviewer"].id, bureau["ent_lvyuan"].id]
    kinds = audit_kinds(case)
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert "org_unit_changed" in kinds and "timer_fired" in kinds and "satisfaction_recorded" in kinds


def test_enterprise_with_a_specialist_goes_to_the_specialist(register, bureau):
    case = register(HUAYU, "用工")
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    assert_task_for(case, "handle_specialist", "specialist", "kuiwen", assignee=bureau["kuiwen_specialist"])
    resolve(case, "handle_specialist", bureau["kuiwen_specialist"])
    assert current_data(case.instance)["section"] == "就业促进与失业保险"
    assert open_steps(case) == ["city_review"]


def test_county_returns_it_and_the_city_redispatches(register, bureau):
    case = register(LVYUAN)
    assert form_errors(case, "sign_for", {"sign_decision": "return"}) == {"return_reason": ["请填写‘退回理由’"]}
    submit(
        case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "企业已迁至奎文区"}
    )
    assert_task_for(case, "redispatch", "dispatcher", "weifang")
    submit(case, "redispatch", bureau["dispatcher"], {"county": "kuiwen", "redispatch_note": "企业新址在奎文区"})
    assert case.instance.org_unit.code == "kuiwen"
    assert_task_for(case, "sign_for", "county_handler", "kuiwen")
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    assert open_steps(case) == ["handle"]  # LVYUAN has no specialist
    data = current_data(case.instance)
    assert data["dispatched_to"] == "kuiwen" and data["returned_by"] == "shouguang"
    assert data["returned_by_name"] == "寿光市" and data["returned_reason"] == "企业已迁至奎文区"
    returned = db.session.scalar(
        sa.select(AuditEvent)
        .where(
            AuditEvent.instance_id == case.instance_id,
            AuditEvent.kind == "task_completed",
            AuditEvent.task_bpmn_id == "sign_for",
        )
        .order_by(AuditEvent.id)
        .limit(1)
    )  # the first of the two sign-fors: the return
    assert returned.data["return_reason"] == "企业已迁至奎文区"  # the history keeps every submission


@pytest.mark.parametrize("decision, comment", [("approve", "同意"), ("refuse", "理由不充分")])
def test_extension_request_goes_to_the_city_and_back_to_handling(register, bureau, decision, comment):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    errors = form_errors(case, "handle", {"handle_outcome": "extension"})
    assert set(errors) == {"extension_days", "extension_reason"}
    submit(
        case, "handle", handler, {"handle_outcome": "extension", "extension_days": 3, "extension_reason": "需协调银行"}
    )
    assert_task_for(case, "extension_review", "section_reviewer", "weifang")
    if decision == "refuse":
        assert form_errors(case, "extension_review", {"extension_decision": "refuse"}) == {
            "extension_comment": ["请填写‘意见’"]
        }
    submit(case, "extension_review", bureau["reviewer"], {"extension_decision": decision, "extension_comment": comment})
    assert_task_for(case, "handle", "county_handler", "shouguang")
    data = current_data(case.instance)
    assert data["extension_decision"] == decision and data["extension_days"] == 3
    resolve(case, "handle", handler)
    assert open_steps(case) == ["city_review"]


def test_city_review_sends_back_with_a_reason(register, bureau, client_as):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    signed_and_resolved(case, handler)
    assert "review_reason" in form_errors(case, "city_review", {"review_decision": "send_back"})
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "send_back", "review_reason": "未落实到位"})
    handle = assert_task_for(case, "handle", "county_handler", "shouguang")
    assert "市级审核退回：未落实到位" in client_as("shouguang_handler").get(f"/tasks/{handle.id}").get_data(
        as_text=True
    )
    resolve(case, "handle", handler, measures="已重新协调并落实")
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan", "基本满意")
    assert case.instance.status == "completed"
    assert [s for s, _ in completed_steps(case)] == [
        "sign_for",
        "handle",
        "city_review",
        "handle",
        "city_review",
        "rate_satisfaction",
    ]


def test_dissatisfied_reopens_handling_once(register, bureau):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    signed_and_resolved(case, handler)
    accept_and_wait(case, bureau)
    assert "satisfaction_comment" in form_errors(case, "rate_satisfaction", {"satisfaction": "不满意"})
    rate(case, bureau, "ent_lvyuan", "不满意", "招聘会没有对口岗位")
    assert_task_for(case, "handle", "county_handler", "shouguang")  # reopened once
    data = current_data(case.instance)
    assert data["reopened"] is True and data["first_complaint"] == "招聘会没有对口岗位"
    resolve(case, "handle", handler, measures="再次协调")
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan", "满意")
    assert case.instance.status == "completed"
    assert audit_kinds(case).count("reopened") == 1


@pytest.mark.parametrize(
    "category, section",
    [
        ("用工", "就业促进与失业保险"),
        ("社保", "社会保险服务"),
        ("融资", "就业促进与失业保险"),
        ("人才", "人才开发"),
        ("培训", "职业能力建设"),
        ("劳动关系", "劳动关系"),
        ("其他", "就业人才服务"),
    ],
)
def test_routing_table_picks_the_section_and_the_enterprises_county(register, category, section):
    case = register(HUAYU, category)
    data = current_data(case.instance)
    assert (data["county"], data["section"]) == ("kuiwen", section)


def test_registration_refuses_bad_codes_and_unknown_enterprises(register, bureau):
    with pytest.raises(InvalidInput) as refused:
        start_through_form(
            "referral",
            bureau["dispatcher"],
            {"enterprise_uscc": "91370705MA3C0A0110", "category": "社保", "description": "企业反映问题"},
        )
    assert [f["field"] for f in refused.value.details] == ["enterprise_uscc"]
    with pytest.raises(InvalidInput) as refused:
        start_through_form(
            "referral",
            bureau["dispatcher"],
            {"enterprise_uscc": new_uscc(), "category": "社保", "description": "企业反映问题"},
        )
    assert [f["field"] for f in refused.value.details] == ["enterprise_uscc"]
    assert "企业名录中没有此代码的企业" in refused.value.details[0]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_mistyped_number_is_reported_not_taken_as_empty(register, bureau, client_as):
    case = register(LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    task = open_task_of(case, "handle")
    client = client_as("shouguang_handler")
    for typed in ("三天", "45"):
        refused = client.post(
            f"/tasks/{task.id}",
            data={"data.handle_outcome": "extension", "data.extension_days": typed, "data.extension_reason": "x"},
        )
        assert refused.status_code == 422
        assert 'id="f-data.extension_days-error"' in refused.get_data(as_text=True)
    assert open_steps(case) == ["handle"]


def test_follow_up_comes_30_days_after_acceptance_by_default(register, bureau, clock):
    from datetime import timedelta

    case = register(LVYUAN, follow_up_delay=None)
    signed_and_resolved(case, bureau["shouguang_handler"])
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert current_data(case.instance)["follow_up_delay"] == "P30D"
    clock.shift_clock(timedelta(days=29))
    assert fire_timers_when_due(0) == 0
    clock.shift_clock(timedelta(days=1, minutes=1))
    assert fire_timers_when_due(0) == 1
    assert open_steps(case) == ["rate_satisfaction"]


def test_empty_optional_fields_sent_by_a_browser_are_not_errors(register, bureau, client_as):
    """A browser sends every field, empty ones as "": an unneeded number left empty is fine."""
    case = register(LVYUAN, "社保")
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    task = open_task_of(case, "handle")
    posted = client_as("shouguang_handler").post(
        f"/tasks/{task.id}",
        data={
            "data.handle_outcome": "resolved",
            "data.measures": "已协调",
            "data.plan_measures": "",
            "data.extension_days": "",
            "data.extension_reason": "",
            "data.plan_positions": "",
            "data.plan_headcount": "",
        },
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    assert open_steps(case) == ["city_review"]


# ------------------------------------------------------------------------------ the defects of issue 29, each a test


def test_redispatch_gives_handling_to_the_new_countys_pool_not_the_old_countys_specialist(register, bureau):
    """Kuiwen's specialist received a Shouguang task: the enterprise's specialist is asked only in its own county."""
    case = register(HUAYU, "用工")
    submit(
        case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "return", "return_reason": "企业生产基地在寿光"}
    )
    submit(case, "redispatch", bureau["dispatcher"], {"county": "shouguang", "redispatch_note": "请寿光市对接生产基地"})
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    handle = assert_task_for(case, "handle", "county_handler", "shouguang")  # Shouguang's pool, no assignee
    assert handle.assignee_id is None
    resolve(case, "handle", bureau["shouguang_handler"])
    assert open_steps(case) == ["city_review"]


def test_the_redispatch_form_starts_with_no_county_chosen(register, bureau, client_as):
    case = register(LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "不属本辖区"})
    task = open_task_of(case, "redispatch")
    page = client_as("dispatcher").get(f"/tasks/{task.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="data.county".*?</select>', page, re.S).group(0)
    assert " selected" not in select and '<option value="shouguang">寿光市</option>' in select


def test_redispatching_to_the_county_that_returned_it_is_refused(register, bureau, client_as, api_as):
    case = register(LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "不属本辖区"})
    assert form_errors(
        case, "redispatch", {"county": "shouguang", "redispatch_note": "请再核实"}, bureau["dispatcher"]
    ) == {"county": ["寿光市刚退回了该转办单，请选择其他县市区"]}
    task = open_task_of(case, "redispatch")
    page = client_as("dispatcher").post(
        f"/tasks/{task.id}", data={"data.county": "shouguang", "data.redispatch_note": "请再核实"}
    )
    assert page.status_code == 422 and "寿光市刚退回了该转办单" in page.get_data(as_text=True)
    api = api_as("dispatcher").post(
        f"/tasks/{task.id}/complete", {"data": {"county": "shouguang", "redispatch_note": "请再核实"}}
    )
    assert api.status_code == 422 and api.get_json()["details"][0]["field"] == "county"
    assert open_steps(case) == ["redispatch"]


def test_the_return_reason_and_the_citys_note_show_on_the_next_sign_for(register, bureau, client_as):
    case = register(LVYUAN)
    submit(
        case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "企业已迁至奎文区"}
    )
    redispatch = open_task_of(case, "redispatch")
    assert "寿光市" in client_as("dispatcher").get(f"/tasks/{redispatch.id}").get_data(as_text=True)
    submit(case, "redispatch", bureau["dispatcher"], {"county": "kuiwen", "redispatch_note": "企业新址在奎文区"})
    sign_for = open_task_of(case, "sign_for")
    page = client_as("kuiwen_handler").get(f"/tasks/{sign_for.id}").get_data(as_text=True)
    assert "企业已迁至奎文区" in page and "企业新址在奎文区" in page and "寿光市" in page
    # the form is Kuiwen's own: it does not come filled in with Shouguang's return
    assert 'value="return" checked' not in page
    assert re.search(r'<textarea[^>]*name="data.return_reason"[^>]*></textarea>', page)


def test_a_labour_shortage_plan_is_rows_of_positions(register, bureau, client_as):
    case = register(HUAYU, "用工", labour_shortage=True)
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    specialist = bureau["kuiwen_specialist"]
    errors = form_errors(
        case, "handle_specialist", {"handle_outcome": "resolved", "measures": "组织招聘会"}, specialist
    )
    assert set(errors) == {"plan_rows", "plan_measures"}
    bad_row = [{"position": "数控车工", "headcount": 0, "skill_level": "大师", "wage": "-1"}]
    assert set(
        form_errors(
            case,
            "handle_specialist",
            {
                "handle_outcome": "resolved",
                "measures": "组织招聘会",
                "plan_rows": bad_row,
                "plan_measures": "专场招聘会",
            },
            specialist,
        )
    ) == {"plan_rows.0.headcount", "plan_rows.0.skill_level", "plan_rows.0.wage"}
    task = open_task_of(case, "handle_specialist")
    page = client_as("kuiwen_specialist").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.plan_rows.0.position"' in page and "技能等级" in page and "规模性缺工" in page
    resolve(case, "handle_specialist", specialist, plan_rows=PLAN, plan_measures="专场招聘会；职业院校订单培养")
    data = current_data(case.instance)
    assert data["plan_rows"][0] == {
        "position": "数控车工",
        "headcount": 80,
        "skill_level": "中级工",
        "wage": Decimal("6500.00"),
    }
    assert data["plan_rows"][1]["wage"] == Decimal("5200") and data["labour_shortage"] is True
    review = open_task_of(case, "city_review")
    page = client_as("reviewer").get(f"/tasks/{review.id}").get_data(as_text=True)
    assert "<td>数控车工</td>" in page and "<td>80</td>" in page and "<td>6500.00</td>" in page


def test_a_case_without_a_labour_shortage_needs_no_plan(register, bureau):
    case = register(LVYUAN, "社保")
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    resolve(case, "handle", bureau["shouguang_handler"])
    assert open_steps(case) == ["city_review"]


def test_a_dispatcher_registers_a_missing_enterprise_with_the_referral(register, bureau, client_as):
    code = new_uscc()
    data = {
        "enterprise_uscc": code,
        "category": "用工",
        "description": "新落地重大项目企业急需招工",
        "labour_shortage": True,
        "new_enterprise": {"name": "潍坊新动能科技有限公司", "county": "gaoxin"},
    }
    case = start_through_form("referral", bureau["dispatcher"], data)
    db.session.commit()
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
    assert enterprise.name == "潍坊新动能科技有限公司" and enterprise.county.code == "gaoxin"
    assert enterprise.awaiting_confirmation is True  # an admin confirms the dispatcher's entry
    assert case.enterprise_id == enterprise.id and case.instance.org_unit.code == "gaoxin"
    assert current_data(case.instance)["enterprise"]["name"] == "潍坊新动能科技有限公司"
    page = client_as("dispatcher").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "data-awaiting-confirmation" in page
    # a registered code with a new enterprise described is refused beside the field, and nothing is stored
    with pytest.raises(InvalidInput) as refused:
        start_through_form("referral", bureau["dispatcher"], {**data, "enterprise_uscc": uscc_of(HUAYU)})
    assert [f["field"] for f in refused.value.details] == ["new_enterprise"]


def test_the_start_page_registers_a_missing_enterprise_and_refuses_half_a_description(bureau, client_as):
    client = client_as("dispatcher")
    form = client.get("/cases/new/referral").get_data(as_text=True)
    assert 'name="data.new_enterprise.name"' in form and 'name="data.external_ref"' in form
    assert 'name="enterprise_uscc"' not in form  # the code is the form's own field
    posted = {
        "data.enterprise_uscc": new_uscc(),
        "data.category": "用工",
        "data.description": "新企业急需招工",
        "data.new_enterprise.name": "潍坊新动能科技有限公司",
    }
    refused = client.post("/cases/new/referral", data=posted)
    assert refused.status_code == 422 and 'id="f-data.new_enterprise.county-error"' in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    started = client.post("/cases/new/referral", data={**posted, "data.new_enterprise.county": "gaoxin"})
    assert started.status_code == 302, started.get_data(as_text=True)[:3000]
    assert db.session.scalar(sa.select(Enterprise.awaiting_confirmation).where(Enterprise.uscc == new_uscc())) is True


def test_the_command_centres_ticket_number_is_kept_searchable_shown_and_returned(register, bureau, client_as, api_as):
    case = register(LVYUAN, external_ref=" ZHB-2026-00123 ")
    other = register(HUAYU)
    assert case.external_ref == "ZHB-2026-00123" and other.external_ref is None
    from workflow_app.cases.queries import case_text_condition

    assert db.session.scalars(sa.select(Case.id).where(case_text_condition("ZHB-2026-00123"))).all() == [case.id]
    listed = client_as("dispatcher").get("/cases/?q=ZHB-2026-00123").get_data(as_text=True)
    assert case.number in listed and other.number not in listed
    page = client_as("dispatcher").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "data-external-ref>ZHB-2026-00123<" in page
    api = api_as("dispatcher")
    assert api.get(f"/cases/{case.id}").get_json()["external_ref"] == "ZHB-2026-00123"
    assert [c["number"] for c in api.get("/cases?q=ZHB-2026-00123").get_json()["items"]] == [case.number]
    started = api.post(
        "/cases",
        {
            "process": "referral",
            "data": {
                "enterprise_uscc": uscc_of(HENGTONG),
                "category": "其他",
                "description": "指挥部系统推送",
                "external_ref": "ZHB-2026-00124",
            },
        },
    )
    assert started.status_code == 201 and started.get_json()["external_ref"] == "ZHB-2026-00124"
    too_long = api.post(
        "/cases",
        {
            "process": "referral",
            "data": {
                "enterprise_uscc": uscc_of(HENGTONG),
                "category": "其他",
                "description": "x" * 10,
                "external_ref": "9" * 61,
            },
        },
    )
    assert too_long.status_code == 422 and too_long.get_json()["details"][0]["field"] == "external_ref"


def test_an_enterprise_with_an_account_rates_its_satisfaction_in_the_portal(register, bureau, client_as):
    case = register(LVYUAN)
    signed_and_resolved(case, bureau["shouguang_handler"], measures="已对接银行办理续贷")
    accept_and_wait(case, bureau)
    task = assert_task_for(case, "rate_satisfaction", "enterprise", "shouguang")
    portal = client_as("ent_lvyuan")
    home = portal.get("/portal/").get_data(as_text=True)
    assert "请评价问题的办理结果" in home  # the model's portalTodo
    page = portal.get(f"/portal/tasks/{task.id}").get_data(as_text=True)
    assert "已对接银行办理续贷" in page and 'name="data.satisfaction"' in page
    assert client_as("shouguang_handler").post(f"/tasks/{task.id}", data={"data.satisfaction": "满意"}).status_code in (
        403,
        404,
    )  # not the county's to record
    assert portal.post(f"/portal/tasks/{task.id}", data={"data.satisfaction": "基本满意"}).status_code == 302
    data = current_data(case.instance)
    assert (data["satisfaction"], data["satisfaction_recorded_by"]) == ("基本满意", "enterprise")
    recorded = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "satisfaction_recorded"
        )
    )
    assert recorded.actor_id == bureau["ent_lvyuan"].id and recorded.data["value"] == "基本满意"
    assert case.instance.status == "completed"
    assert "已办结（满意度：基本满意）" in portal.get("/portal/").get_data(as_text=True)


def test_without_an_account_the_county_records_satisfaction_marked_as_recorded_by_staff(register, bureau, client_as):
    case = register(HENGTONG)
    assert case.instance.org_unit.code == "weicheng"
    handler = create_user("weicheng_handler", ["county_handler"], "weicheng", PASSWORD, "潍城区经办")
    db.session.commit()
    signed_and_resolved(case, handler)
    accept_and_wait(case, bureau)
    assert open_steps(case) == ["follow_up"]  # no account: no task in the portal
    task = open_task_of(case, "follow_up")
    page = client_as("weicheng_handler").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "没有网上账号" in page and "区县代录" in page
    visit(case, handler, "满意")
    data = current_data(case.instance)
    assert (data["satisfaction"], data["satisfaction_recorded_by"]) == ("满意", "county")
    recorded = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "satisfaction_recorded"
        )
    )
    assert recorded.actor_id == handler.id
    history = client_as("dispatcher").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "企业满意度（区县代录）" in history and "记为区县代录" in history
    assert case.instance.status == "completed"


def test_an_enterprise_that_does_not_rate_in_time_is_visited_by_the_county(register, bureau):
    case = register(LVYUAN, satisfaction_wait="PT1H")
    signed_and_resolved(case, bureau["shouguang_handler"])
    accept_and_wait(case, bureau)
    assert open_steps(case) == ["rate_satisfaction"]
    assert fire_timers_when_due(3600) == 1
    assert open_steps(case) == ["follow_up"]
    visit(case, bureau["shouguang_handler"], "基本满意")
    assert current_data(case.instance)["satisfaction_recorded_by"] == "county"
    assert case.instance.status == "completed"


def test_a_second_dissatisfaction_goes_to_the_city_supervisor_with_the_enterprises_words(register, bureau, client_as):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    signed_and_resolved(case, handler)
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan", "不满意", "招聘会没有对口岗位")
    resolve(case, "handle", handler, measures="再次协调")
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan", "不满意", "仍缺 30 名熟练工，问题没有解决")
    assert case.instance.status == "running"  # not closed silently
    task = assert_task_for(case, "supervise", "supervisor", "weifang")
    page = client_as("city_supervisor").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "仍缺 30 名熟练工，问题没有解决" in page and "招聘会没有对口岗位" in page and "企业网上评价" in page
    submit(
        case,
        "supervise",
        bureau["city_supervisor"],
        {"supervision_decision": "reopen", "supervision_note": "请对接技工院校定向培养"},
    )
    handle = assert_task_for(case, "handle", "county_handler", "shouguang")
    assert "市级督办要求重新办理：请对接技工院校定向培养" in client_as("shouguang_handler").get(
        f"/tasks/{handle.id}"
    ).get_data(as_text=True)
    resolve(case, "handle", handler, measures="定向培养 30 人")
    accept_and_wait(case, bureau)
    rate(case, bureau, "ent_lvyuan", "不满意", "培养周期太长")
    submit(
        case,
        "supervise",
        bureau["city_supervisor"],
        {"supervision_decision": "close", "supervision_note": "已尽力协调，企业诉求超出政策范围"},
    )
    assert case.instance.status == "completed" and current_data(case.instance)["closed"] is True
    assert audit_kinds(case).count("reopened") == 2
