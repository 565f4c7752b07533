"""An installment agreement's whole way in a real browser: the enterprise applies in the portal, the
agency checks it and drafts the schedule in the handler UI, the enterprise reads and signs, the agency
countersigns and records the first payment, and the portal shows the updated schedule.
"""
import re
from datetime import timedelta

from tests.e2e.test_referral_in_the_browser import sign_out
from tests.e2e.test_sign_in import sign_in


def work_on(page, number, bpmn_name):
    """As agency staff: find the case's task in the group queue, claim it, land on its page."""
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    row = page.locator(f"tr[data-case='{number}']")
    assert bpmn_name in row.inner_text()
    row.locator("button:has-text('认领')").click()
    assert page.locator("h1").inner_text() == bpmn_name


def test_apply_draft_sign_countersign_pay(live_server, page, artifacts):
    from workflow_app.core.time import local_today
    today = local_today()

    # the enterprise applies in the portal
    sign_in(page, live_server, "ent_huayu")
    assert page.url.endswith("/portal/")
    page.click("a[data-apply=installment_agreement]")
    page.fill("input[name=pension_yuan]", "36000")
    page.fill("input[name=unemployment_yuan]", "1800")
    page.fill("input[name=deferral_end_date]", (today - timedelta(days=15)).isoformat())
    page.fill("textarea[name=hardship_reason]", "订单减少，一次性补缴困难")
    page.fill("input[name=proposed_installments]", "3")
    page.click("#apply-form button[type=submit]")
    number = re.search(r"[A-Z]{2}-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    assert page.locator("#case-state").inner_text() == "等待经办机构审核"
    sign_out(page)

    # the agency checks the application and drafts a three-month schedule
    sign_in(page, live_server, "agency")
    work_on(page, number, "经办机构审核")
    page.check("input[name=check_decision][value=approve]")
    page.check("input[name=deferral_confirmed]")
    page.click("#task-form button[type=submit]")
    work_on(page, number, "制定分期计划")
    page.fill("input[name=installment_count]", "3")
    page.fill("input[name=first_due_date]", (today + timedelta(days=10)).isoformat())
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()
    sign_out(page)

    # the enterprise reads the agreement in full and signs it
    sign_in(page, live_server, "ent_huayu")
    row = page.locator(f"tr[data-case='{number}']")
    assert row.locator("[data-state]").inner_text() == "请阅读并签署分期补缴协议"
    row.locator("a:has-text('企业签署协议')").click()
    text = page.locator("#agreement-text").inner_text()
    assert "合计：37,800.00 元" in text and "补缴期间免收滞纳金" in text and "本协议终止" in text
    assert re.fullmatch(r"[0-9a-f]{64}", page.locator("#agreement-hash").inner_text())
    assert page.locator("#schedule-table tbody tr").count() == 3
    page.screenshot(path=artifacts / "portal-sign-agreement.png", full_page=True)
    page.check("input[name=sign_decision][value=sign]")
    page.check("input[name=read_confirmed]")
    page.click("#task-form button[type=submit]")  # the name missing: refused, nothing signed
    assert page.locator(".invalid-feedback").first.is_visible()
    page.fill("input[name=legal_rep_name]", "王建华")
    page.click("#task-form button[type=submit]")
    assert page.locator("#case-state").inner_text() == "已签署，等待经办机构确认"
    sign_out(page)

    # the agency countersigns, then records the first installment's payment
    sign_in(page, live_server, "agency")
    work_on(page, number, "经办机构确认")
    assert page.locator("#agreement [data-status=signed]").count() == 1
    page.check("input[name=countersign_confirmed]")
    page.click("#task-form button[type=submit]")
    work_on(page, number, "登记本期缴费")
    page.fill("input[name=paid_amount]", "12600.00")
    page.fill("input[name=paid_on]", today.isoformat())
    page.fill("input[name=receipt_no]", "SB-2026-0001")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()
    sign_out(page)

    # the portal shows the schedule with the first installment paid and the second one next
    sign_in(page, live_server, "ent_huayu")
    second_due = page.locator(f"tr[data-case='{number}'] [data-state]").inner_text()
    assert second_due.startswith("第2期（12,600.00 元）应于")
    page.click(f"a:has-text('{number}')")
    assert page.locator("#schedule-table tr[data-seq='1']").get_attribute("data-state") == "paid"
    assert "SB-2026-0001" in page.locator("#schedule-table tr[data-seq='1']").inner_text()
    assert page.locator("#schedule-table tr[data-seq='2']").get_attribute("data-state") == "due"
    assert page.locator("#proof-form-2").is_visible()
    page.screenshot(path=artifacts / "portal-schedule-after-payment.png", full_page=True)
    page.click("a:has-text('核验')")
    assert page.locator("#verify-result").get_attribute("data-result") == "match"
