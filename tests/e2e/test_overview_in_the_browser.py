"""The day's overview in a real browser, on a wide screen (1366×900) and a phone (390×844) (issue 30.7-30.9): a
referral in its 30-day follow-up wait says what it waits for and until when (case page, case list, portal, upcoming
follow-ups), the inbox rows say what each case is about and the enterprise's task waits in a queue of its own, and
the home page's counts lead to their lists. A server of its own: these cases would change other tests' counts."""

import pytest

from tests.e2e.conftest import seeded_app, serve
from tests.e2e.screens import snap, switch_to
from workflow_app.extensions import db

WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
LVYUAN = "寿光市绿源食品加工有限公司"  # 寿光, has an account (ent_lvyuan), no specialist


@pytest.fixture(scope="module")
def overview_server(tmp_path_factory):
    app = seeded_app(tmp_path_factory.mktemp("overview") / "overview.sqlite", with_cases=False)
    with app.app_context():
        app.overview_cases = _referrals()
        db.session.remove()
    yield from serve(app)


def _referrals() -> dict:
    """寿光's referrals: one waiting 30 days for its follow-up, one at the enterprise's rating, one to sign for."""
    import sqlalchemy as sa

    from workflow_app.auth.models import Enterprise, User
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.engine.operations import fire_timers
    from workflow_app.engine.queries import open_tasks

    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == LVYUAN))

    def referral(category, description, **settings):
        data = {"enterprise_uscc": uscc, "category": category, "description": description}
        data |= {"labour_shortage": False, "source": "市工业运行指挥部", **settings}
        return start_generic_case("referral", data, users["dispatcher"])

    def step(case, bpmn_id, username, data):
        [task] = [t for t in open_tasks(case.instance_id) if t.bpmn_id == bpmn_id]
        submit_task(task.id, data, users[username], client_ip="127.0.0.1")

    def accepted(case):
        step(case, "sign_for", "shouguang_handler", {"sign_decision": "sign"})
        step(case, "handle", "shouguang_handler", {"handle_outcome": "resolved", "measures": "已协调办理"})
        step(case, "city_review", "reviewer", {"review_decision": "accept"})

    waiting = referral("社保", "企业反映社保补贴到账慢")
    accepted(waiting)
    rating = referral("融资", "企业咨询贷款贴息", follow_up_delay="PT0S")
    accepted(rating)
    fire_timers(rating.instance_id)
    to_sign = referral("用工", "企业招工难")
    db.session.commit()
    return {"waiting": waiting.number, "rating": rating.number, "to_sign": to_sign.number}


def _page(browser, viewport):
    return browser.new_context(viewport=viewport, locale="zh-CN").new_page()


def _fits(page, viewport):
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_a_case_in_its_follow_up_wait_says_until_when(overview_server, browser, artifacts, size):
    viewport = WIDE if size == "wide" else PHONE
    number = overview_server.app.overview_cases["waiting"]
    page = _page(browser, viewport)
    switch_to(page, overview_server, "city_supervisor", f"/cases/?q={number}")
    current = page.locator(f"tr[data-case='{number}'] [data-wait='follow_up_wait']")
    assert current.inner_text().startswith("跟进等待期 至 ")
    day = current.inner_text().removeprefix("跟进等待期 至 ")
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-case-list-{size}.png")
    page.click(f"tr[data-case='{number}'] a")
    wait = page.locator("#case-waits [data-wait='follow_up_wait']")
    assert "跟进等待期" in wait.inner_text() and f"至 {day}" in wait.inner_text()
    assert "没有待办任务" not in page.locator("main").inner_text()
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-case-waits-{size}.png")
    page.goto(f"{overview_server}/upcoming?days=30")
    assert page.locator(f"#upcoming tr[data-case='{number}']").count() == 1
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-upcoming-{size}.png")
    page.context.close()

    portal = _page(browser, viewport)
    switch_to(portal, overview_server, "ent_lvyuan")
    row = portal.locator(f"#my-cases tr:has-text('{number}')")
    assert f"问题已办理完毕，等待回访评价（至 {day}）" in row.inner_text()
    assert _fits(portal, viewport)
    snap(portal, artifacts / f"overview-portal-{size}.png")
    portal.context.close()


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_inbox_rows_say_what_the_case_is_about_and_the_enterprise_waits_apart(
    overview_server, browser, artifacts, size
):
    viewport = WIDE if size == "wide" else PHONE
    cases = overview_server.app.overview_cases
    page = _page(browser, viewport)
    switch_to(page, overview_server, "city_supervisor", "/inbox?queue=unit&q=绿源")
    row = page.locator(f"tr[data-case='{cases['to_sign']}']")
    assert row.locator("[data-title]").inner_text() == f"{LVYUAN}：用工（企业招工难）"
    assert page.locator(f"tr[data-case='{cases['rating']}']").count() == 0  # the enterprise's, not the unit's work
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-inbox-unit-{size}.png")
    page.click("a[data-queue='enterprise']")
    row = page.locator(f"tr[data-case='{cases['rating']}']")
    assert (
        "企业满意度评价" in row.inner_text()
        and row.locator("[data-title]").inner_text() == f"{LVYUAN}：融资（企业咨询贷款贴息）"
    )
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-inbox-enterprise-{size}.png")
    page.context.close()


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_the_home_page_is_the_days_overview(overview_server, browser, artifacts, size):
    viewport = WIDE if size == "wide" else PHONE
    page = _page(browser, viewport)
    switch_to(page, overview_server, "shouguang_handler")
    assert page.locator("#day-counts").is_visible()
    group = page.locator("[data-queue='group'] [data-count-of='open']")
    n = int(group.inner_text())
    assert n >= 1
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-home-handler-{size}.png")
    group.click()
    assert page.locator("table.table-queue tbody tr").count() == n
    page.context.close()

    page = _page(browser, viewport)
    switch_to(page, overview_server, "dispatcher")
    start = page.locator("#home-start a[data-start='referral']")
    assert start.inner_text() == "问题需求转办"
    assert _fits(page, viewport)
    snap(page, artifacts / f"overview-home-dispatcher-{size}.png")
    start.click()
    assert page.url.endswith("/cases/new/referral")
    page.context.close()
