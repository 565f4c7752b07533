"""A referral's way through the pages in a real browser, with screenshots of its forms on a wide screen and a phone.

The dispatcher registers a labour shortage for 华宇 with the command centre's ticket number; Kuiwen returns it; the
re-dispatch form starts with no county, refuses Kuiwen beside the field, and sends it to Shouguang with a note;
Shouguang's handler reads the return reason and the note on its sign-for, signs, and handles it in its own pool
(not Kuiwen's specialist): the 一企一策 plan is refused until it has rows, added with the row button; the city
accepts; after the follow-up wait the enterprise rates the outcome in the portal (不满意 needs its words); the case
page shows the diagram and every step.
"""

import re
from datetime import timedelta

from tests.e2e.screens import screenshots, switch_to

WIDE = {"width": 1280, "height": 800}
PLAN = '[data-name="data.plan_rows"]'


def plan_rows(page):
    return page.locator(f"{PLAN} > [data-row-list] > [data-row]")


def plan_cell(page, row, field):
    return plan_rows(page).nth(row).locator(f'[name$=".{field}"]')


def claim_from_group_queue(page, number):
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()


def end_the_follow_up_wait(app):
    """The follow-up comes 30 days after the city accepts: the worker's pass a month on fires its timer."""
    from workflow_app.core.time import shift_clock
    from workflow_app.engine.worker import run_worker_pass
    from workflow_app.extensions import db

    with app.app_context():
        shift_clock(timedelta(days=31))
        try:
            assert run_worker_pass()["fired"] == 1
        finally:
            shift_clock(-timedelta(days=31))
        db.session.remove()


def test_a_referral_returned_redispatched_handled_with_a_plan_and_rated_by_the_enterprise(live_server, page, artifacts):
    from workflow_app.core.uscc import uscc_check_char
    from workflow_app.demo import ENTERPRISES

    huayu = next(first17 for first17, name, _county in ENTERPRISES if name == "潍坊华宇精密机械有限公司")
    page.set_viewport_size(WIDE)

    # the dispatcher registers it
    switch_to(page, live_server, "dispatcher")
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.click("a[href='/cases/new/referral']")
    page.fill("input[name='data.enterprise_uscc']", huayu + uscc_check_char(huayu))
    page.select_option("select[name='data.category']", "用工")
    page.fill("textarea[name='data.description']", "新增订单需招聘数控车工、装配工约120人")
    page.check("input[name='data.labour_shortage']")
    page.fill("input[name='data.external_ref']", "ZHB-2026-00777")
    assert page.locator("input[name='data.source']").input_value() == "市工业运行指挥部"
    screenshots(page, artifacts, "referral-start-form")
    page.click("#start-form button[type=submit]")
    number = re.search(r"[A-Z]{2}-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    assert "已登记" in page.locator(".alert[role=alert]").first.inner_text()
    assert page.locator("[data-external-ref]").inner_text() == "ZHB-2026-00777"

    # Kuiwen returns it
    switch_to(page, live_server, "kuiwen_handler")
    claim_from_group_queue(page, number)
    assert page.locator("h1").inner_text() == "县级签收"
    assert "ZHB-2026-00777" in page.locator("#instructions").inner_text()
    page.check("input[name='data.sign_decision'][value=return]")
    page.fill("textarea[name='data.return_reason']", "企业生产基地在寿光，用工需求在寿光")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the city re-dispatches: no county chosen at first, Kuiwen refused beside the field, then Shouguang
    switch_to(page, live_server, "dispatcher")
    claim_from_group_queue(page, number)
    assert page.locator("h1").inner_text() == "市级重新派发"
    instructions = page.locator("#instructions").inner_text()
    assert "奎文区" in instructions and "企业生产基地在寿光" in instructions
    county = page.locator("select[name='data.county']")
    assert county.input_value() == ""
    county.select_option("kuiwen")
    page.fill("textarea[name='data.redispatch_note']", "请奎文区再核实")
    page.click("#task-form button[type=submit]")
    assert page.locator("select[name='data.county']").get_attribute("aria-invalid") == "true"
    assert "奎文区刚退回了该转办单" in page.locator("#f-data\\.county-error").inner_text()
    screenshots(page, artifacts, "referral-redispatch-refused")
    page.locator("select[name='data.county']").select_option("shouguang")
    page.fill("textarea[name='data.redispatch_note']", "生产基地在寿光市，请寿光市对接")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # Shouguang reads why, signs for it and handles it in its own pool
    switch_to(page, live_server, "shouguang_handler")
    claim_from_group_queue(page, number)
    instructions = page.locator("#instructions").inner_text()
    for text in ("奎文区", "企业生产基地在寿光，用工需求在寿光", "生产基地在寿光市，请寿光市对接"):
        assert text in instructions
    assert not page.locator("input[name='data.sign_decision'][value=return]").is_checked()
    page.check("input[name='data.sign_decision'][value=sign]")
    page.click("#task-form button[type=submit]")
    claim_from_group_queue(page, number)  # the pool's, not Kuiwen's specialist's
    assert page.locator("h1").inner_text() == "协调解决"
    page.check("input[name='data.handle_outcome'][value=resolved]")
    page.fill("textarea[name='data.measures']", "组织专场招聘会，对接职业院校订单培养")
    page.fill("textarea[name='data.plan_measures']", "专场招聘会；职业院校订单培养；跨县劳务协作")
    page.click("#task-form button[type=submit]")
    assert "一企一策" in page.locator(f"{PLAN} .invalid-feedback").first.inner_text()
    plan_cell(page, 0, "position").fill("数控车工")
    plan_cell(page, 0, "headcount").fill("80")
    plan_cell(page, 0, "skill_level").select_option("中级工")
    plan_cell(page, 0, "wage").fill("6500")
    page.locator(f"{PLAN} > [data-row-add]").click()
    plan_cell(page, 1, "position").fill("装配工")
    plan_cell(page, 1, "headcount").fill("40")
    plan_cell(page, 1, "skill_level").select_option("不限")
    plan_cell(page, 1, "wage").fill("5200")
    screenshots(page, artifacts, "referral-handle-plan")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the city accepts, reading the plan as a table
    switch_to(page, live_server, "reviewer")
    claim_from_group_queue(page, number)
    plan = page.locator("#instructions table").inner_text()
    assert "数控车工" in plan and "6500.00" in plan and "装配工" in plan
    page.check("input[name='data.review_decision'][value=accept]")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # after the follow-up wait the enterprise rates it in the portal: 不满意 needs its words
    end_the_follow_up_wait(live_server.app)
    switch_to(page, live_server, "ent_huayu")
    case = page.locator(f"[data-case='{number}']")
    assert "请评价问题的办理结果" in case.inner_text()
    case.locator("a:has-text('企业满意度评价')").click()
    assert "组织专场招聘会" in page.locator("#instructions").inner_text()
    page.check("input[name='data.satisfaction'][value='不满意']")
    page.click("#task-form button[type=submit]")
    assert page.locator("textarea[name='data.satisfaction_comment']").get_attribute("aria-invalid") == "true"
    screenshots(page, artifacts, "referral-satisfaction-refused")
    page.check("input[name='data.satisfaction'][value='满意']")
    page.fill("textarea[name='data.satisfaction_comment']", "招聘会很及时")
    page.click("#task-form button[type=submit]")

    # the case page: completed, the diagram and every step
    switch_to(page, live_server, "dispatcher")
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.fill("input[name=q]", "ZHB-2026-00777")
    page.locator("form[role=search] button[type=submit], form:has(input[name=q]) button[type=submit]").first.click()
    page.click(f"tr[data-case='{number}'] a")
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert "已办结" in page.locator("h1").inner_text()
    assert page.locator("#diagram [data-element-id=rate_satisfaction].highlight-completed").count() == 1
    timeline = page.locator("#timeline").inner_text()
    for text in ("县级签收", "市级重新派发", "协调解决", "市级审核", "企业满意度评价", "记为企业自评", "招聘会很及时"):
        assert text in timeline
    screenshots(page, artifacts, "referral-case-page")
