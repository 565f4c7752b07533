"""Issue 30.12 in a real browser, as 绿源's clerk: amounts and dates beyond the model's bounds are refused on their
fields, the case page shows the application that was sent, a second application of the same deferral is refused
naming the first, the application is withdrawn (撤回) and the agency sees who withdrew it, and a 潍岗贷 its
head-count refuses at once is said plainly with the reason and what to do. Screenshots at 1366 x 900 and 390 x 844.
"""

import re
from datetime import date, timedelta

from tests.e2e import screens
from tests.e2e.axe import AXE, serious_violations
from tests.e2e.screens import switch_to
from tests.e2e.test_installment_agreement_in_the_browser import DESKTOP

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"


def screenshots(page, path, name):
    """The page as it is now on a desktop and on a phone, where nothing is wider than the screen and axe-core finds
    no serious or critical violation."""
    assert serious_violations(page) == [], name
    screens.screenshots(page, path, f"portal-{name}", on_phone=lambda phone: no_serious_violations(phone, name))


def no_serious_violations(page, name):
    assert serious_violations(page) == [], name


def with_axe(page):
    """axe-core in every page the browser opens from now on (as tests/e2e/test_demo_pages.py does)."""
    page.context.add_init_script(path=str(AXE))


def fill_installment_application(page, deferral_end: str, pension: str):
    page.click("a[data-apply=installment_agreement]")
    page.fill("input[name='data.pension_yuan']", pension)
    page.fill("input[name='data.deferral_end_date']", deferral_end)
    page.fill("textarea[name='data.hardship_reason']", "旺季前备货占用资金，一次性补缴有困难")


def test_bounds_application_shown_duplicate_refused_withdrawn(live_server, live_app, page, artifacts):
    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy
    from workflow_app.extensions import db

    today = local_today()
    with live_app.app_context():  # the package says the notice's 2023-12-31, long past: the bureau extends it
        open_installment_policy(date(today.year + 1, 12, 31))
        db.session.commit()
    deferral_end = (today - timedelta(days=200)).isoformat()  # a deferral no other browser test applies for
    with_axe(page)
    page.set_viewport_size(DESKTOP)
    switch_to(page, live_server, "ent_lvyuan")

    fill_installment_application(page, "1900-01-01", "99999999999.00")
    page.click("#apply-form button[type=submit]")
    messages = " ".join(page.locator(".invalid-feedback").all_inner_texts())
    assert "‘缓缴的基本养老保险费（元）’不能超过 1,000,000,000.00 元" in messages
    assert "‘缓缴期满日期’不能早于 2020-01-01" in messages
    screenshots(page, artifacts, "application-beyond-bounds")

    page.fill("input[name='data.pension_yuan']", "48000.00")
    page.fill("input[name='data.deferral_end_date']", deferral_end)
    page.click("#apply-form button[type=submit]")
    number = re.search(r"FQ-\d{4}-\d{6}", page.locator(".alert[role=alert]").first.inner_text()).group(0)
    application = page.locator("#application").inner_text()
    assert "48,000.00" in application or "48000.00" in application
    assert deferral_end in application and "旺季前备货占用资金" in application
    assert page.locator("#withdraw summary").is_visible()
    case_url = page.url
    screenshots(page, artifacts, "case-with-application")

    page.goto(f"{live_server}/portal/")
    fill_installment_application(page, deferral_end, "48000.00")
    page.click("#apply-form button[type=submit]")
    refusal = page.locator(".alert-danger[role=alert]").inner_text()
    assert number in refusal and "撤回" in refusal
    screenshots(page, artifacts, "second-application-refused")

    page.goto(case_url)
    page.click("#withdraw summary")
    page.fill("textarea[name=reason]", "已筹得资金，改为一次性补缴")
    screenshots(page, artifacts, "withdraw-form")
    page.click("#withdraw button[type=submit]")
    assert number in page.locator(".alert-success[role=alert]").inner_text()
    assert "已筹得资金，改为一次性补缴" in page.locator("#withdrawn").inner_text()
    assert page.locator("#withdraw").count() == 0
    screenshots(page, artifacts, "case-withdrawn")
    case_id = re.search(r"/portal/cases/(\d+)", case_url).group(1)

    switch_to(page, live_server, "agency", f"/cases/{case_id}")
    withdrawn = page.locator("#case-withdrawn").inner_text()
    assert "企业" in withdrawn and "已筹得资金，改为一次性补缴" in withdrawn
    screenshots(page, artifacts, "staff-sees-withdrawal")


def test_an_automatic_refusal_is_said_plainly(live_server, page, artifacts):
    from workflow_app.core.time import local_today

    today = local_today()
    with_axe(page)
    page.set_viewport_size(DESKTOP)
    switch_to(page, live_server, "ent_lvyuan")
    page.click("[data-apply=loan_extension]")
    page.check("input[name='data.loan_type'][value=weigangdai]")
    page.fill("input[name='data.contract_no']", "WGD-2026-LY-0031")
    page.select_option("select[name='data.bank']", "boc_weifang")
    page.fill("input[name='data.principal']", "6000000.00")
    page.fill("input[name='data.maturity_date']", (today + timedelta(days=60)).isoformat())
    page.fill("input[name='data.months_requested']", "6")
    page.fill("textarea[name='data.reason']", "出口订单推迟交付，回款延后")
    page.set_input_files(
        "input[name='data.evidence']", files=[{"name": "订单变更函.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.fill("input[name='data.founded_date']", (today - timedelta(days=1500)).isoformat())
    page.fill("input[name='data.employees']", "60")
    page.fill("input[name='data.headcount_last_year_end']", "58")
    page.fill("input[name='data.headcount_year_before']", "66")
    page.check("input[name='data.wages_paid'][value=true]")
    page.check("input[name='data.contributions_paid'][value=true]")
    page.click("#apply-form button[type=submit]")
    notice = page.locator(".alert[role=alert]").first
    assert "alert-success" not in notice.get_attribute("class")
    text = notice.inner_text()
    assert "已提交" not in text and "展期未获批准：上年度用工人数减少（上年末少于前年末）" in text
    assert "请核对就业登记后重新申请" in text and "咨询所在区县人社部门" in text
    assert "订单变更函.pdf" in page.locator("#application").inner_text()
    screenshots(page, artifacts, "refused-at-once")
