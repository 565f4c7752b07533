"""A case waiting on a timer (the referral's 30-day follow-up period) says what it waits for and until when: on the
case page, in the case list's current step, in the portal, and in the upcoming follow-ups of the county's staff
(issue 30.7)."""

import dataclasses
import re

import sqlalchemy as sa

from tests.conftest import LVYUAN
from tests.processes.conftest import fire_timers_when_due, open_steps, submit
from tests.sla.conftest import sh
from workflow_app.core.time import format_local, local_today
from workflow_app.engine.models import Timer
from workflow_app.engine.waits import case_waits
from workflow_app.extensions import db
from workflow_app.portal.queries import case_state


def waiting_for_follow_up(create_referral, bureau, clock):
    """A referral of 绿源 (寿光) accepted by the city on 2026-11-03 09:00 Beijing time: it waits 30 days."""
    clock.freeze_clock(sh("2026-11-02 09:00"))
    case = create_referral(LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    submit(case, "handle", bureau["shouguang_handler"], {"handle_outcome": "resolved", "measures": "已协调"})
    clock.freeze_clock(sh("2026-11-03 09:00"))
    submit(case, "city_review", bureau["reviewer"], {"review_decision": "accept"})
    assert open_steps(case) == []
    return case


def test_the_wait_is_named_by_the_model_with_its_due_time(app, bureau, create_referral, clock):
    case = waiting_for_follow_up(create_referral, bureau, clock)
    [wait] = case_waits(case.instance)
    assert (wait.bpmn_id, wait.label, wait.on_task) == ("follow_up_wait", "跟进等待期", False)
    assert format_local(wait.due_at) == "2026-12-03 09:00"  # P30D after the acceptance, shown in Beijing time


def test_the_case_page_and_the_list_say_what_the_case_waits_for(app, bureau, create_referral, client_as, clock):
    case = waiting_for_follow_up(create_referral, bureau, clock)
    staff = client_as("city_supervisor")
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    waits = page[page.index('id="case-waits"') :]
    assert "跟进等待期" in waits and "至 2026-12-03 09:00" in waits
    assert "没有待办任务" not in page
    listed = staff.get("/cases/").get_data(as_text=True)
    row = listed[listed.index(f'data-case="{case.number}"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r'data-wait="follow_up_wait">跟进等待期 至 2026-12-03<', row)
    # once the timer has fired, the case is at a person's step again, and the list says that step
    clock.freeze_clock(sh("2026-12-03 09:01"))
    assert fire_timers_when_due(0) == 1
    listed = client_as("city_supervisor").get("/cases/").get_data(as_text=True)  # signed in anew a month later
    row = listed[listed.index(f'data-case="{case.number}"') :]
    assert "企业满意度评价" in row[: row.index("</tr>")] and "跟进等待期" not in row[: row.index("</tr>")]


def test_the_enterprise_reads_until_when_its_case_waits(app, bureau, create_referral, client_as, clock):
    case = waiting_for_follow_up(create_referral, bureau, clock)
    portal = client_as("ent_lvyuan")
    home = portal.get("/portal/").get_data(as_text=True)
    words = "问题已办理完毕，等待回访评价（至 2026-12-03）"  # the timer event's portalWaiting, and its day
    assert words in home and "办理中" not in home
    assert words in portal.get(f"/portal/cases/{case.id}").get_data(as_text=True)


def test_a_timer_without_words_of_its_own_is_told_in_general_words(app, bureau, create_referral, clock):
    case = waiting_for_follow_up(create_referral, bureau, clock)
    [wait] = case_waits(case.instance)
    plain = dataclasses.replace(wait, portal_waiting=None)
    state = case_state(case, case.instance, [], None, {}, local_today(), [plain])
    assert state == ("等待下一环节（至 2026-12-03）", False)
    # a template over the case's data, rendered with it
    own = dataclasses.replace(wait, portal_waiting="{{ category }}问题已办结")
    assert case_state(case, case.instance, [], None, {"category": "社保"}, local_today(), [own])[0] == (
        "社保问题已办结（至 2026-12-03）"
    )


def test_the_upcoming_follow_ups_of_a_county(app, bureau, create_referral, client_as, clock):
    case = waiting_for_follow_up(create_referral, bureau, clock)
    clock.freeze_clock(sh("2026-11-20 09:00"))
    handler = client_as("shouguang_handler")  # handled the case: it is theirs to see
    month = handler.get("/upcoming?days=14").get_data(as_text=True)
    assert f'data-case="{case.number}"' in month and "2026-12-03 09:00" in month and "跟进等待期" in month
    assert f'data-case="{case.number}"' not in handler.get("/upcoming?days=7").get_data(as_text=True)
    home = handler.get("/").get_data(as_text=True)
    assert f'data-case="{case.number}"' not in home[home.index('id="home-upcoming"') :]  # 13 days ahead, not 7
    clock.freeze_clock(sh("2026-11-30 09:00"))
    home = handler.get("/").get_data(as_text=True)
    assert f'data-case="{case.number}"' in home[home.index('id="home-upcoming"') :]
    # the city's supervisor sees it, another county's people do not
    assert f'data-case="{case.number}"' in client_as("city_supervisor").get("/upcoming").get_data(as_text=True)
    for other in ("kuiwen_handler", "kuiwen_supervisor"):
        assert f'data-case="{case.number}"' not in client_as(other).get("/upcoming?days=90").get_data(as_text=True)
    assert client_as("ent_lvyuan").get("/upcoming").status_code == 403


def test_a_look_ahead_that_is_no_number_of_days_is_refused_naming_it(app, bureau, client_as):
    handler = client_as("shouguang_handler")
    for days in ("0", "91", "-1", "abc", "9" * 500, "1.5"):
        response = handler.get(f"/upcoming?days={days}")
        assert response.status_code == 400, days
        assert "&#39;days&#39; 须为 1 至 90 之间的整天数" in response.get_data(as_text=True)


def test_a_timer_on_an_open_task_is_its_deadline(app, bureau, create_referral, client_as, clock):
    """The rating's boundary timer (企业逾期未评价) runs while the enterprise's task is open: the case page lists it
    as what happens if the task is still open then."""
    case = waiting_for_follow_up(create_referral, bureau, clock)
    clock.freeze_clock(sh("2026-12-03 09:01"))
    assert fire_timers_when_due(0) == 1
    assert open_steps(case) == ["rate_satisfaction"]
    [wait] = case_waits(case.instance)
    assert (wait.bpmn_id, wait.label, wait.on_task) == ("rating_overdue", "企业逾期未评价", True)
    timer = db.session.scalar(sa.select(Timer).where(Timer.instance_id == case.instance_id))
    page = client_as("city_supervisor").get(f"/cases/{case.id}").get_data(as_text=True)
    waits = page[page.index('id="case-waits"') :]
    assert "企业逾期未评价" in waits and f"至 {format_local(timer.due_at)}" in waits
