"""An administrator in a real browser: the working-day calendar from the administration's menu, Case repair from a
case's page, a process retired (it leaves the dispatcher's start buttons; a start is refused saying so) and
reinstated, and a version's diagram with what it changed from the version before."""

from tests.e2e.screens import snap, switch_to


def test_an_admin_reaches_the_calendar_and_repair_and_retires_a_process(demo_server, page, browser, artifacts):
    switch_to(page, demo_server, "admin", "/admin/")
    page.click("nav.nav-pills a:has-text('工作日日历')")
    assert page.locator("h1").inner_text() == "工作日日历"
    assert page.locator("nav.nav-pills a[aria-current=page]").inner_text() == "工作日日历"

    page.goto(f"{demo_server}/cases/")
    page.locator("table a[href*='/cases/']").first.click()
    page.click("#repair-link")
    assert (
        "/admin/repair/" in page.url and page.locator("nav.nav-pills a[aria-current=page]").inner_text() == "案件修复"
    )

    dispatcher = browser.new_context(locale="zh-CN").new_page()
    switch_to(dispatcher, demo_server, "dispatcher", "/cases/")
    start_button = dispatcher.locator("a[href='/cases/new/referral']")
    assert start_button.count() == 1
    dispatcher.goto(f"{demo_server}/cases/new/referral")  # the form open before the process is retired

    page.goto(f"{demo_server}/admin/processes")
    row = page.locator("#processes tr[data-process='referral']")
    try:
        row.locator("button:has-text('停用')").click()
        assert "已停用" in page.locator(".alert-success").inner_text()
        assert page.locator("#processes tr[data-process='referral']").get_attribute("data-retired") == "yes"
        snap(page, artifacts / "admin-processes-retired.png")

        dispatcher.click("main button[type=submit]")  # sent after the retirement: refused, saying why
        assert "已停用，不再受理新的案件" in dispatcher.locator(".alert").first.inner_text()
        dispatcher.goto(f"{demo_server}/cases/")
        assert dispatcher.locator("a[href='/cases/new/referral']").count() == 0
    finally:
        page.goto(f"{demo_server}/admin/processes")
        reinstate = page.locator("#processes tr[data-process='referral'] button:has-text('恢复')")
        if reinstate.count():
            reinstate.click()
    assert page.locator("#processes tr[data-process='referral']").get_attribute("data-retired") == "no"
    dispatcher.goto(f"{demo_server}/cases/")
    assert dispatcher.locator("a[href='/cases/new/referral']").count() == 1
    dispatcher.context.close()

    # a version's page: its diagram, and what it changed from the version before
    page.goto(f"{demo_server}/admin/processes")
    page.locator("#process-versions tr[data-process='installment_agreement'][data-version='2'] a").click()
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert "与第 1 版相比的变化" in page.locator("#changes").inner_text()
    assert page.locator("#changes [data-file-change]").count() >= 1
    snap(page, artifacts / "admin-version-changes.png", full_page=False)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    switch_to(phone, demo_server, "admin", "/admin/processes")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    snap(phone, artifacts / "admin-processes-phone.png")
    phone.context.close()
