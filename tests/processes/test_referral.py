"""The problem/need referral (问题需求转办): every path, driven as the right users."""

import pytest
import sqlalchemy as sa

from forms.referral import ReferralRegistrationForm
from tests.processes.conftest import (assert_task_for, audit_kinds, completed_steps, fire_timers_when_due,
                                      form_errors, open_steps, submit)
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import register_referral
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import local_today
from workflow_app.engine.models import AuditEvent
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"          # kuiwen, has a specialist
LVYUAN = "寿光市绿源食品加工有限公司"       # shouguang, no specialist
TODAY = local_today().isoformat()


def uscc_of(name):
    return db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == name))


@pytest.fixture
def register(app, bureau):
    def factory(enterprise=LVYUAN, category="社保", labour_shortage=False, follow_up_delay="PT0.1S"):
        data = {"enterprise_uscc": uscc_of(enterprise), "category": category, "description": "企业反映问题",
                "source": "市工业运行指挥部"}
        if labour_shortage:
            data["labour_shortage"] = "y"
        from werkzeug.datastructures import MultiDict
        form = ReferralRegistrationForm(formdata=MultiDict(data))
        assert form.validate(), form.errors
        settings = {"follow_up_delay": follow_up_delay} if follow_up_delay else None
        case = register_referral(form.task_data(), bureau["dispatcher"], settings)
        db.session.commit()
        return case
    return factory


def resolve(case, step, user, **extra):
    submit(case, step, user, {"handle_outcome": "resolved", "measures": "协调社保经办机构办理", **extra})


def accept_and_follow_up(case, bureau, county_handler, satisfaction="满意"):
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert open_steps(case) == []                # waiting for the follow-up timer
    assert fire_timers_when_due() == 1
    assert_task_for(case, "follow_up", "county_handler", current_data(case.instance)["county"])
    submit(case, "follow_up", county_handler, {"visit_date": TODAY, "visit_record": "已回访", "satisfaction": satisfaction})


def test_happy_path_without_specialist(register, bureau):
    case = register(LVYUAN, "社保")
    handler = bureau["shouguang_handler"]
    assert case.instance.org_unit.code == "shouguang"          # dispatched at once to the enterprise's county
    assert_task_for(case, "sign_for", "county_handler", "shouguang")
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    assert_task_for(case, "handle", "county_handler", "shouguang")
    resolve(case, "handle", handler)
    assert_task_for(case, "city_review", "section_reviewer", "weifang")
    accept_and_follow_up(case, bureau, handler)
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["county"], data["section"], data["satisfaction"], data["closed"]) == ("shouguang", "社会保险服务", "满意", True)
    assert data["case_number"] == case.number and case.number.startswith("ZB-")
    steps = completed_steps(case)
    assert [s for s, _ in steps] == ["sign_for", "handle", "city_review", "follow_up"]
    assert [a for _, a in steps] == [handler.id, handler.id, bureau["reviewer"].id, handler.id]
    kinds = audit_kinds(case)
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert "org_unit_changed" in kinds and "timer_fired" in kinds


def test_enterprise_with_a_specialist_goes_to_the_specialist(register, bureau):
    case = register(HUAYU, "用工")
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    task = assert_task_for(case, "handle_specialist", "specialist", "kuiwen", assignee=bureau["kuiwen_specialist"])
    assert task.assignee_id == bureau["kuiwen_specialist"].id
    resolve(case, "handle_specialist", bureau["kuiwen_specialist"])
    assert current_data(case.instance)["section"] == "就业促进与失业保险"
    assert open_steps(case) == ["city_review"]


def test_county_returns_it_and_the_city_redispatches(register, bureau):
    case = register(LVYUAN)
    assert form_errors(case, "sign_for", {"sign_decision": "return"}) == {"return_reason": ["请填写退回理由"]}
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "return", "return_reason": "企业已迁至奎文区"})
    assert_task_for(case, "redispatch", "dispatcher", "weifang")
    submit(case, "redispatch", bureau["dispatcher"], {"county": "kuiwen", "redispatch_note": "企业新址在奎文区"})
    assert case.instance.org_unit.code == "kuiwen"
    assert_task_for(case, "sign_for", "county_handler", "kuiwen")
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    assert open_steps(case) == ["handle"]                      # LVYUAN has no specialist
    assert current_data(case.instance)["dispatched_to"] == "kuiwen"
    returned = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.instance_id == case.instance_id,
                                                            AuditEvent.kind == "task_completed",
                                                            AuditEvent.task_bpmn_id == "sign_for"))
    assert returned.data["return_reason"] == "企业已迁至奎文区"      # the history keeps every submission


@pytest.mark.parametrize("decision, comment", [("approve", ""), ("refuse", "理由不充分")])
def test_extension_request_goes_to_the_city_and_back_to_handling(register, bureau, decision, comment):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    errors = form_errors(case, "handle", {"handle_outcome": "extension"})
    assert set(errors) == {"extension_days", "extension_reason"}
    submit(case, "handle", handler, {"handle_outcome": "extension", "extension_days": "3", "extension_reason": "需协调银行"})
    assert_task_for(case, "extension_review", "section_reviewer", "weifang")
    if decision == "refuse":
        assert form_errors(case, "extension_review", {"extension_decision": "refuse"}) == {
            "extension_comment": ["请填写不批准的理由"]}
    submit(case, "extension_review", bureau["reviewer"], {"extension_decision": decision, "extension_comment": comment})
    assert_task_for(case, "handle", "county_handler", "shouguang")
    data = current_data(case.instance)
    assert data["extension_decision"] == decision and data["extension_days"] == 3
    resolve(case, "handle", handler)
    assert open_steps(case) == ["city_review"]


def test_city_review_sends_back_with_a_reason(register, bureau):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    resolve(case, "handle", handler)
    assert "review_reason" in form_errors(case, "city_review", {"review_decision": "send_back"})
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "send_back", "review_reason": "未落实到位"})
    assert_task_for(case, "handle", "county_handler", "shouguang")
    resolve(case, "handle", handler, measures="已重新协调并落实")
    accept_and_follow_up(case, bureau, handler)
    assert case.instance.status == "completed"
    assert [s for s, _ in completed_steps(case)] == ["sign_for", "handle", "city_review", "handle", "city_review",
                                                    "follow_up"]


def test_dissatisfied_reopens_handling_once_then_closes(register, bureau):
    case = register(LVYUAN)
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    resolve(case, "handle", handler)
    accept_and_follow_up(case, bureau, handler, satisfaction="不满意")
    assert_task_for(case, "handle", "county_handler", "shouguang")      # reopened once
    assert current_data(case.instance)["reopened"] is True
    resolve(case, "handle", handler, measures="再次协调")
    accept_and_follow_up(case, bureau, handler, satisfaction="不满意")
    assert case.instance.status == "completed"                          # not a second time
    data = current_data(case.instance)
    assert data["satisfaction"] == "不满意" and data["closed"] is True


def test_labour_shortage_is_urgent_and_needs_a_plan(register, bureau):
    case = register(HUAYU, "用工", labour_shortage=True)
    assert case.priority == "urgent"
    sign = assert_task_for(case, "sign_for", "county_handler", "kuiwen")
    assert (sign.sla, sign.sla_urgent) == ("1wd", "4wh")
    submit(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "sign"})
    errors = form_errors(case, "handle_specialist", {"handle_outcome": "resolved", "measures": "组织招聘会"})
    assert set(errors) == {"plan_positions", "plan_headcount", "plan_measures"}
    resolve(case, "handle_specialist", bureau["kuiwen_specialist"], plan_positions="数控车工、装配工",
            plan_headcount="120", plan_measures="专场招聘会；职业院校订单培养")
    data = current_data(case.instance)
    assert data["plan_headcount"] == 120 and data["labour_shortage"] is True


@pytest.mark.parametrize("category, section", [
    ("用工", "就业促进与失业保险"), ("社保", "社会保险服务"), ("融资", "就业促进与失业保险"), ("人才", "人才开发"),
    ("培训", "职业能力建设"), ("劳动关系", "劳动关系"), ("其他", "就业人才服务")])
def test_routing_table_picks_the_section_and_the_enterprises_county(register, category, section):
    case = register(HUAYU, category)
    data = current_data(case.instance)
    assert (data["county"], data["section"]) == ("kuiwen", section)


def test_registration_refuses_bad_codes_and_unknown_enterprises(app, bureau):
    from werkzeug.datastructures import MultiDict
    with app.test_request_context():
        form = ReferralRegistrationForm(formdata=MultiDict({"enterprise_uscc": "91370705MA3C0A0110", "category": "社保",
                                                            "description": "x"}))
        assert not form.validate()
        assert "enterprise_uscc" in form.errors
    with pytest.raises(InvalidInput):
        register_referral({"enterprise_uscc": "91370700000000000" + "X", "category": "社保", "description": "x"},
                          bureau["dispatcher"])


def test_a_mistyped_number_is_reported_not_taken_as_empty(register, bureau):
    case = register(LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    errors = form_errors(case, "handle", {"handle_outcome": "extension", "extension_days": "三天", "extension_reason": "x"})
    assert list(errors) == ["extension_days"] and errors["extension_days"]
    errors = form_errors(case, "handle", {"handle_outcome": "extension", "extension_days": "45", "extension_reason": "x"})
    assert list(errors) == ["extension_days"]


def test_follow_up_visit_comes_30_days_after_acceptance_by_default(register, bureau, clock):
    from datetime import timedelta
    case = register(LVYUAN, follow_up_delay=None)
    handler = bureau["shouguang_handler"]
    submit(case, "sign_for", handler, {"sign_decision": "sign"})
    resolve(case, "handle", handler)
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert current_data(case.instance)["follow_up_delay"] == "P30D"
    clock.shift_clock(timedelta(days=29))
    assert fire_timers_when_due(0) == 0
    clock.shift_clock(timedelta(days=1, minutes=1))
    assert fire_timers_when_due(0) == 1
    assert open_steps(case) == ["follow_up"]


def test_empty_optional_numbers_sent_by_a_browser_are_not_errors(register, bureau):
    """A browser sends every field, empty ones as "": an unneeded number left empty is fine."""
    case = register(LVYUAN, "社保")
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    submit(case, "handle", bureau["shouguang_handler"], {
        "handle_outcome": "resolved", "measures": "已协调", "plan_positions": "", "plan_headcount": "",
        "plan_measures": "", "extension_days": "", "extension_reason": ""})
    assert open_steps(case) == ["city_review"]
