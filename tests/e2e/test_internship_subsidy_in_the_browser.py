"""就业见习补贴 (the example process package) in a real browser, with screenshots of its pages on a wide screen and
on a phone.

The unit applies from the portal home: it adds a trainee row with the add button and removes another, types a wrong
身份证号 and sees the refusal beside that row's field, corrects it and submits; Kuiwen's handler claims the review,
reads the model's instructions with the computed amounts and approves; the agency pays; the case is completed.
"""

import re

from tests.e2e.screens import screenshots, switch_to
from tests.processes.test_internship_subsidy import LI, ZHANG

WIDE = {"width": 1280, "height": 800}
TRAINEES = '[data-name="data.trainees"]'
ONE_LINE = "element => element.getBoundingClientRect().height < 1.5 * parseFloat(getComputedStyle(element).lineHeight)"


def rows(page):
    return page.locator(f"{TRAINEES} > [data-row-list] > [data-row]")


def cell(page, row, field):
    return rows(page).nth(row).locator(f'[name$=".{field}"]')


def fill_trainee(page, row, name, id_number, category, months, graduated=None):
    cell(page, row, "name").fill(name)
    cell(page, row, "id_number").fill(id_number)
    cell(page, row, "category").select_option(category)
    if graduated:
        cell(page, row, "graduation_date").fill(graduated)
    cell(page, row, "months").fill(str(months))
    cell(page, row, "monthly_allowance").fill("2000.00")


def shows_all_of(field) -> bool:
    """Whether a field is wide enough for what is in it."""
    return field.evaluate("element => element.scrollWidth <= element.clientWidth")


def top_bar_links_on_one_line(page):
    """The top bar's links are not broken over lines."""
    for link in ("#notifications-link", "nav.topbar button:has-text('退出')"):
        assert page.locator(link).evaluate(ONE_LINE), link


def test_the_unit_applies_with_rows_the_county_approves_and_the_agency_pays(live_server, page, artifacts):
    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "ent_huayu")
    page.click("[data-apply=internship_subsidy]")
    page.wait_for_load_state()  # as below: the spare blank rows are gone
    assert page.locator("h1").inner_text() == "就业见习补贴"

    page.fill("input[name='data.position']", "数控车床操作见习")
    page.fill("input[name='data.contact_name']", "王建华")
    page.fill("input[name='data.contact_phone']", "13853612345")
    page.fill("input[name='data.bank_account']", "6222020604001234567")
    assert rows(page).count() == 1
    fill_trainee(page, 0, "张伟", ZHANG, "graduate", 6, "2024-06-30")
    page.locator(f"{TRAINEES} > [data-row-add]").click()
    page.locator(f"{TRAINEES} > [data-row-add]").click()
    assert rows(page).count() == 3
    wrong = LI[:-1] + ("0" if LI[-1] != "0" else "1")  # the check character does not fit
    fill_trainee(page, 1, "李娜", wrong, "youth", 3)
    cell(page, 2, "name").fill("多填的一行")
    rows(page).nth(2).locator("[data-row-remove]").click()
    assert rows(page).count() == 2
    page.check("input[name='data.truthful']")
    # the rows take the page's width: every 身份证号 and choice shows whole
    for row in range(2):
        assert shows_all_of(cell(page, row, "id_number")) and shows_all_of(cell(page, row, "category"))
    screenshots(page, artifacts, "internship-apply-filled", on_phone=top_bar_links_on_one_line)
    # on a tablet the table scrolls sideways in its box rather than squeezing its columns or widening the page
    page.set_viewport_size({"width": 820, "height": 1000})
    assert not shows_all_of(page.locator(TRAINEES))
    assert page.evaluate("document.documentElement.scrollWidth") == 820
    page.set_viewport_size(WIDE)

    # refused: the message beside the second row's 身份证号码, everything typed kept
    page.click("#apply-form button[type=submit]")
    page.wait_for_load_state()  # the rows script has dropped the spare blank rows offered to pages without scripts
    id_number = cell(page, 1, "id_number")
    assert id_number.get_attribute("aria-invalid") == "true"
    beside = rows(page).nth(1).locator(".invalid-feedback")
    assert beside.count() == 1 and "第 2 行" in beside.inner_text() and "身份证号码" in beside.inner_text()
    assert beside.is_visible()
    assert rows(page).count() == 2 and id_number.input_value() == wrong
    assert [cell(page, row, "name").input_value() for row in range(2)] == ["张伟", "李娜"]
    assert cell(page, 1, "months").input_value() == "3"
    assert shows_all_of(id_number)  # the refused value, whole beside its message
    screenshots(page, artifacts, "internship-apply-refused", on_phone=top_bar_links_on_one_line)

    id_number.fill(LI)
    page.click("#apply-form button[type=submit]")
    notice = page.locator(".alert[role=alert]").first.inner_text()
    number = re.search(r"JX-\d{4}-\d{6}", notice).group(0)
    assert "已提交" in notice

    # Kuiwen's handler claims the review and reads the computed amounts
    switch_to(page, live_server, "kuiwen_handler")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()
    assert page.locator("h1").inner_text() == "区县审核"
    instructions = page.locator("#instructions").inner_text()
    for text in ("张伟", "李娜", "7920.00", "3960.00", "2200.00", "1320.00", "11880.00"):
        assert text in instructions
    assert "多填的一行" not in instructions  # the removed row was not sent
    screenshots(page, artifacts, "internship-review-task", on_phone=top_bar_links_on_one_line)
    page.check("input[name='data.review_decision'][value=approve]")
    page.fill("input[name='data.approved_total']", "11880.00")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the agency pays
    switch_to(page, live_server, "agency")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()
    assert "11880.00" in page.locator("#instructions").inner_text()
    page.fill("input[name='data.paid_amount']", "11880.00")
    page.fill("input[name='data.paid_on']", "2026-12-01")
    page.fill("input[name='data.voucher_no']", "JX-PAY-001")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the case page: completed, every step in the timeline
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.click(f"tr[data-case='{number}'] a")
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert "已办结" in page.locator("h1").inner_text()
    timeline = page.locator("#timeline").inner_text()
    for text in ("区县审核", "发放补贴", "JX-PAY-001"):
        assert text in timeline
    screenshots(page, artifacts, "internship-case-page", on_phone=top_bar_links_on_one_line)
