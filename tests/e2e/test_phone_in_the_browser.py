"""The pages on a phone (390×844), as a specialist on an enterprise visit and an enterprise clerk use them: the top
bar folds behind a menu button, the inbox's filters fold so that the first screen shows tasks, tables read as one
card per row, and nothing scrolls sideways."""

from tests.e2e.screens import snap, switch_to

PHONE = {"width": 390, "height": 844}


def phone_page(browser):
    return browser.new_context(viewport=PHONE, locale="zh-CN").new_page()


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_handler_works_the_inbox_on_a_phone(demo_server, browser, artifacts):
    page = phone_page(browser)
    switch_to(page, demo_server, "kuiwen_specialist", "/inbox")
    toggler = page.locator("nav.topbar .navbar-toggler")
    assert toggler.is_visible() and not page.locator("nav.topbar button:has-text('退出')").is_visible()
    assert not page.locator("#inbox-filters").is_visible()  # folded: the tasks come first
    first = page.locator("table.table-stack tbody tr").first
    assert first.is_visible() and first.bounding_box()["y"] < PHONE["height"]
    due = first.locator("td[data-label^='办理时限']")
    assert due.is_visible() and due.bounding_box()["x"] + due.bounding_box()["width"] <= PHONE["width"]
    assert no_sideways_scroll(page)
    snap(page, artifacts / "phone-inbox.png")

    page.click("button[data-unfold='inbox-filters']")
    assert page.locator("#inbox-filters").is_visible()
    snap(page, artifacts / "phone-inbox-filters.png", full_page=False)

    toggler.click()
    sign_out = page.locator("nav.topbar button:has-text('退出')")
    sign_out.wait_for(state="visible")
    notices = page.locator("#notifications-link")
    assert notices.bounding_box()["height"] < 40 and sign_out.bounding_box()["height"] < 40  # one line, not a column
    assert no_sideways_scroll(page)
    snap(page, artifacts / "phone-menu.png", full_page=False)
    page.context.close()


def test_an_enterprise_reads_its_cases_as_cards_on_a_phone(demo_server, browser, artifacts):
    page = phone_page(browser)
    switch_to(page, demo_server, "ent_huayu")
    rows = page.locator("#my-cases table.table-stack tbody tr")
    assert rows.count() >= 5
    box = rows.first.bounding_box()
    assert box["width"] > 300  # a card across the screen, not one-character columns
    assert rows.first.locator("td[data-label='办理进度']").is_visible()
    assert page.evaluate("document.getElementById('my-cases').offsetHeight") < 420 * rows.count()
    assert no_sideways_scroll(page)
    snap(page, artifacts / "phone-portal.png")
    page.context.close()


def test_the_top_bar_stays_open_on_a_wide_screen(demo_server, page):
    page.set_viewport_size({"width": 1366, "height": 900})
    switch_to(page, demo_server, "kuiwen_specialist")
    assert not page.locator("nav.topbar .navbar-toggler").is_visible()
    assert page.locator("nav.topbar button:has-text('退出')").is_visible()
    page.goto(f"{demo_server}/inbox")
    assert page.locator("#inbox-filters").is_visible() and not page.locator("[data-unfold]").is_visible()
