"""A referral's way through the handler UI in a real browser, with screenshots of the main pages.

The dispatcher registers it; Shouguang's handler finds it in the group queue, claims it and signs
for it; handling first fails validation, then goes through; the city reviewer sends it back; the
case page shows the whole timeline and the diagram with the active step highlighted.
"""
import re

from tests.e2e.test_sign_in import sign_in

LVYUAN_USCC_PREFIX = "91370783MA3D1B022"


def sign_out(page):
    page.click("nav.topbar button:has-text('退出')")


def test_referral_from_registration_to_send_back(live_server, page, artifacts):
    # the dispatcher registers the referral
    sign_in(page, live_server, "dispatcher")
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.click("a[href='/cases/new/referral']")
    from workflow_app.core.uscc import uscc_check_char
    page.fill("input[name=enterprise_uscc]", LVYUAN_USCC_PREFIX + uscc_check_char(LVYUAN_USCC_PREFIX))
    page.select_option("select[name=category]", "用工")
    page.fill("textarea[name=description]", "企业反映普工招聘困难，需要协助对接劳务资源")
    page.click("#start-form button[type=submit]")
    number = re.search(r"[A-Z]{2}-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    assert "已登记" in page.locator(".alert[role=alert]").first.inner_text()
    sign_out(page)

    # Shouguang's handler: group queue → claim → sign for
    sign_in(page, live_server, "shouguang_handler")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    row = page.locator(f"tr[data-case='{number}']")
    assert "县级签收" in row.inner_text() and "寿光市" in row.inner_text()
    page.screenshot(path=artifacts / "inbox-group-queue.png", full_page=True)
    row.locator("button:has-text('认领')").click()
    assert "归您办理" in page.locator(".alert[role=alert]").first.inner_text()
    page.check("input[name=sign_decision][value=sign]")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # handling: first without the measures (refused, the choice kept), then complete
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] a").first.click()
    assert page.locator("h1").inner_text() == "协调解决"
    page.check("input[name=handle_outcome][value=resolved]")
    page.click("#task-form button[type=submit]")
    assert page.locator(".invalid-feedback").first.is_visible()
    assert page.locator("input[name=handle_outcome][value=resolved]").is_checked()
    page.screenshot(path=artifacts / "task-page-validation.png", full_page=True)
    page.fill("textarea[name=measures]", "对接县人力资源市场，组织专场招聘会，已招聘普工 35 人")
    page.fill("textarea[name=extra-note]", "招聘会现场照片后补")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()
    sign_out(page)

    # the city reviewer sends it back
    sign_in(page, live_server, "reviewer")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] a").first.click()
    assert "对接县人力资源市场" in page.locator("body").inner_text()   # earlier steps, read-only
    page.check("input[name=review_decision][value=send_back]")
    page.fill("textarea[name=review_reason]", "请补充招聘会签到表和企业确认材料")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the case page: timeline of every step, diagram with the active step highlighted
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.click(f"tr[data-case='{number}'] a")
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert page.locator("#diagram .djs-element.highlight-active").count() >= 1
    assert page.locator("#diagram [data-element-id=handle].highlight-active").count() == 1
    assert page.locator("#diagram [data-element-id=sign_for].highlight-completed").count() == 1
    timeline = page.locator("#timeline").inner_text()
    for text in ("县级签收", "协调解决", "市级审核", "请补充招聘会签到表和企业确认材料", "招聘会现场照片后补"):
        assert text in timeline
    page.screenshot(path=artifacts / "case-page.png", full_page=True)
