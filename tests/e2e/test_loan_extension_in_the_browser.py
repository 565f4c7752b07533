"""贷款展期 in a real browser, with screenshots of the application and the two reviews on a wide screen and on a phone.

The enterprise chooses its bank from the registered banks and attaches its evidence; Kuiwen's handler reads the
application and the evidence's name in the instructions and agrees; the chosen bank's officer grants the months;
another bank's officer finds the case nowhere; the portal tells the enterprise its new maturity date.
"""

import re
from datetime import timedelta

from tests.e2e.screens import screenshots, switch_to
from workflow_app.core.dates import add_months
from workflow_app.core.time import local_today

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"
DESKTOP = {"width": 1366, "height": 900}


def claim(page, live_server, username, number):
    switch_to(page, live_server, username)
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()


def test_the_enterprise_applies_with_evidence_the_county_and_its_bank_agree(live_server, page, artifacts):
    maturity = local_today() + timedelta(days=40)
    page.set_viewport_size(DESKTOP)
    switch_to(page, live_server, "ent_huayu")
    page.click("[data-apply=loan_extension]")
    assert page.locator("h1").inner_text() == "贷款展期"
    page.check("input[name='data.loan_type'][value=entrepreneurship]")
    page.fill("input[name='data.contract_no']", "WF-CDB-2026-0588")
    banks = page.locator("select[name='data.bank'] option").all_inner_texts()
    assert {"中国银行潍坊分行", "中国建设银行潍坊分行", "潍坊农村商业银行"} <= set(banks)  # a list, not free text
    page.select_option("select[name='data.bank']", "boc_weifang")
    page.fill("input[name='data.principal']", "1500000.00")
    page.fill("input[name='data.maturity_date']", maturity.isoformat())
    page.fill("input[name='data.months_requested']", "6")
    page.fill("textarea[name='data.reason']", "主要客户回款延迟三个月，流动资金暂时紧张")
    page.set_input_files(
        "input[name='data.evidence']", files=[{"name": "回款明细.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    screenshots(page, artifacts, "loan-extension-apply")
    page.click("#apply-form button[type=submit]")
    notice = page.locator(".alert[role=alert]").first.inner_text()
    number = re.search(r"ZQ-\d{4}-\d{6}", notice).group(0)
    case_path = re.search(r"/portal/cases/(\d+)", page.url)
    assert "已提交" in notice and case_path is not None
    assert "回款明细.pdf" in page.locator("#files").inner_text()  # the evidence, stored with the application
    assert "等待区县人社部门审核" in page.locator("#case-state").inner_text()

    claim(page, live_server, "kuiwen_handler", number)
    assert page.locator("h1").inner_text() == "县级审核"
    instructions = page.locator("#instructions").inner_text()
    for text in ("WF-CDB-2026-0588", "6 个月", "回款明细.pdf", maturity.isoformat()):
        assert text in instructions
    screenshots(page, artifacts, "loan-extension-county-review")
    page.check("input[name='data.county_decision'][value=approve]")
    page.fill("textarea[name='data.county_opinion']", "经营困难情况属实，材料齐全")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # another bank's officer: not in its queue, and the case's page is not found
    switch_to(page, live_server, "bank_ccb")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    assert number not in page.locator("main").inner_text()
    response = page.goto(f"{live_server}/cases/{case_path.group(1)}")
    assert response.status == 404
    page.goto(f"{live_server}/")

    claim(page, live_server, "bank", number)
    assert page.locator("h1").inner_text() == "银行审核"
    assert "县级人社部门已同意：经营困难情况属实，材料齐全" in page.locator("#instructions").inner_text()
    screenshots(page, artifacts, "loan-extension-bank-review")
    page.check("input[name='data.bank_decision'][value=approve]")
    page.fill("input[name='data.months_granted']", "6")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    switch_to(page, live_server, "ent_huayu", f"/portal/cases/{case_path.group(1)}")
    new_maturity = add_months(maturity, 6).isoformat()
    assert f"已批准展期 6 个月，新的到期日为 {new_maturity}" in page.locator("#case-state").inner_text()
    assert "中国银行潍坊分行" in page.locator("#application").inner_text()
    screenshots(page, artifacts, "loan-extension-portal-granted")
