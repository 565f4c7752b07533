"""Who is told, and the same person's next step, in a real browser (issue 30.5 and 30.6), with screenshots of the
notifications pages at 1366 x 900 and on a phone (390 x 844).

Kuiwen's handler plans a health check of 华宇. 华宇's user finds a notice in the top bar asking for the documents and
opens the task from it. Kuiwen's handler is told the inspection waits in the group's queue and opens it from the
notice; the risk found, the proposals (提出建议) land in the handler's own tasks, not back in the queue, and the notice
says so. 华宇 is told what to rectify by when; the verification lands in the handler's own tasks again; 华宇 is told how
the case ended, and that notice opens the case.
"""

import re
from datetime import timedelta

from tests.e2e.screens import screenshots, switch_to
from tests.e2e.test_health_check_in_the_browser import HUAYU, ITEMS, uscc_of

WIDE = {"width": 1366, "height": 900}


def open_notice(page, number, words, artifacts=None, name=None):
    """From the top bar's notifications, find the case's newest notice (it says `words`) and open what it links."""
    page.click("#notifications-link")
    notice = page.locator(f"#notifications li:has-text('{number}')").first
    assert words in notice.inner_text()
    assert notice.locator(".badge:has-text('新')").count() == 1  # unread
    if artifacts is not None:
        screenshots(page, artifacts, name, at=f"#notifications li:has-text('{number}')")
    notice.locator("button[type=submit]").click()


def my_tasks(page):
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=mine]")


def test_people_are_told_and_the_inspector_keeps_the_case(live_server, live_app, page, artifacts):
    from workflow_app.core.time import local_today

    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "kuiwen_handler", "/cases/new/health_check")
    page.fill("input[name=enterprise_uscc]", uscc_of(live_app, HUAYU))
    page.click("#start-form button[type=submit]")
    number = re.search(r"TJ-\d{4}-\d{6}", page.locator(".alert[role=alert]").first.inner_text()).group(0)

    # the enterprise is told what it is asked for; the notice opens the task
    switch_to(page, live_server, "ent_huayu")
    assert int(page.locator("#unread-count").inner_text()) >= 1
    open_notice(page, number, "请提交劳动规章制度、劳动合同范本等体检材料", artifacts, "notifications-enterprise-todo")
    assert page.locator("h1").inner_text() == "企业提交材料"
    page.check("input[name='data.doc_rules']")
    page.check("input[name='data.doc_contract']")
    page.click("#task-form button[type=submit]")

    # the county's handlers are told the inspection waits in their queue; one opens it from the notice
    switch_to(page, live_server, "kuiwen_handler")
    open_notice(page, number, "环节“体检（逐项排查）”已进入本组待认领队列", artifacts, "notifications-handler-queue")
    assert page.locator("h1").inner_text() == "体检（逐项排查）"
    page.fill("textarea[name='data.inspection_summary']", "工时制度需完善")
    for key in ITEMS:
        page.select_option(f"select[name='data.{key}.severity']", "medium" if key == "working_hours" else "none")
    page.fill("textarea[name='data.working_hours.note']", "部分岗位连续加班")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the proposals are the inspector's own task: in my tasks, and the notice says it is assigned
    my_tasks(page)
    assert "提出风险防范和化解建议" in page.locator(f"tr[data-case='{number}']").inner_text()
    open_notice(page, number, "环节“提出风险防范和化解建议”已分派给您", artifacts, "notifications-handler-assigned")
    assert page.locator("h1").inner_text() == "提出风险防范和化解建议"
    deadline = (local_today() + timedelta(days=20)).isoformat()
    page.fill("textarea[name='data.suggestions']", "实行综合计算工时制，控制连续加班")
    page.fill("input[name='data.rectification_deadline']", deadline)
    page.click("#task-form button[type=submit]")

    # the enterprise is told what to rectify by when
    switch_to(page, live_server, "ent_huayu")
    open_notice(page, number, f"请于{deadline}前报告整改情况")
    assert page.locator("h1").inner_text() == "企业整改"
    page.fill("textarea[name='data.rectification_report']", "已调整排班，实行综合计算工时制")
    page.click("#task-form button[type=submit]")

    # the verification is the inspector's again
    switch_to(page, live_server, "kuiwen_handler")
    my_tasks(page)
    page.locator(f"tr[data-case='{number}'] a").first.click()
    assert page.locator("h1").inner_text() == "整改验证"
    page.check("input[name='data.verification'][value=pass]")
    page.click("#task-form button[type=submit]")

    # the enterprise is told how the case ended; the notice opens the case in the portal
    switch_to(page, live_server, "ent_huayu")
    open_notice(page, number, "已办结：整改已通过核验，体检办结", artifacts, "notifications-enterprise-decided")
    assert number in page.locator("h1").inner_text()
    page.click("#notifications-link")
    assert page.locator(f"#notifications li:has-text('{number}') .badge:has-text('新')").count() == 0  # all read
