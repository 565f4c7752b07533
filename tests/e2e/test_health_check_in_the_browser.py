"""劳动规章制度体检 in a real browser, with screenshots of its pages on a wide screen (1366 x 900) and on a phone.

Kuiwen's handler plans a health check of 华宇 on the start page; the enterprise ticks its documents in the portal;
the handler finds every checklist item unchosen, is refused beside the items left out, rates them, records wage
arrears as a severe risk and refers the case at once; Kuiwen's labour inspector finds it in the queue, reads the
referral letter (移送函) built from the case, is refused without a case number and records 立案查处; the
enterprise's portal says how the case ended.
"""

import re

import sqlalchemy as sa

from tests.e2e.screens import screenshots, snap, switch_to
from workflow_app.auth.models import Enterprise
from workflow_app.extensions import db

WIDE = {"width": 1366, "height": 900}
HUAYU = "潍坊华宇精密机械有限公司"
ITEMS = (
    "contract_signing",
    "rules_procedure",
    "working_hours",
    "wage_payment",
    "social_insurance",
    "female_protection",
    "injury_prevention",
)


def claim_from_the_group_queue(page, number):
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()


def uscc_of(live_app, name):
    with live_app.app_context():
        return db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == name))


def test_a_severe_risk_goes_to_labour_inspection_with_its_letter(live_server, live_app, page, artifacts):
    huayu_uscc = uscc_of(live_app, HUAYU)
    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "kuiwen_handler", "/cases/new/health_check")
    assert page.locator("h1").inner_text() == "劳动规章制度体检"
    page.fill("input[name=enterprise_uscc]", huayu_uscc)
    page.check("input[name='data.focus_items'][value=wage_payment]")
    page.check("input[name='data.focus_items'][value=working_hours]")
    page.fill("textarea[name='data.request_note']", "年度计划体检：区重点企业")
    screenshots(page, artifacts, "health-check-start", at="h1")
    page.click("#start-form button[type=submit]")
    number = re.search(r"TJ-\d{4}-\d{6}", page.locator(".alert[role=alert]").first.inner_text()).group(0)

    # the enterprise ticks the documents it provides
    switch_to(page, live_server, "ent_huayu")
    assert "请提交劳动规章制度、劳动合同范本等体检材料" in page.locator(f"[data-case='{number}']").inner_text()
    page.locator(f"[data-case='{number}'] a").first.click()
    page.locator("a[data-todo]").first.click()
    page.check("input[name='data.doc_rules']")
    page.check("input[name='data.doc_contract']")
    page.click("#task-form button[type=submit]")

    # the county rates every item itself: none is chosen for it
    switch_to(page, live_server, "kuiwen_handler")
    claim_from_the_group_queue(page, number)
    assert page.locator("h1").inner_text() == "体检（逐项排查）"
    assert "企业希望重点检查：工作时间与加班、工资支付" in page.locator("#instructions").inner_text()
    for key in ITEMS:
        assert page.locator(f"select[name='data.{key}.severity']").input_value() == ""
    page.fill("textarea[name='data.inspection_summary']", "工资支付存在严重问题，其余基本规范")
    page.select_option("select[name='data.wage_payment.severity']", "high")
    page.fill("textarea[name='data.wage_payment.note']", "近 3 个月未足额支付一线员工工资")
    screenshots(page, artifacts, "health-check-inspection", at="#instructions")
    page.click("#task-form button[type=submit]")
    refused = page.locator("select[aria-invalid=true]")
    assert refused.count() == 6  # the six items left unchosen, each refused beside itself
    screenshots(page, artifacts, "health-check-inspection-refused", at="select[aria-invalid=true]")
    assert page.locator("select[name='data.wage_payment.severity']").input_value() == "high"  # what was typed kept
    for key in ITEMS:
        if key != "wage_payment":
            page.select_option(f"select[name='data.{key}.severity']", "none")
    page.check("input[name='data.severe_risks'][value=wage_arrears]")
    page.check("input[name='data.refer_at_once']")
    page.fill("textarea[name='data.referral_reason']", "拖欠 86 名员工 3 个月工资，劳动者多次到我局反映")
    screenshots(page, artifacts, "health-check-inspection-severe", at="input[name='data.severe_risks']")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # Kuiwen's labour inspector receives the case with its letter and records the decision
    switch_to(page, live_server, "kuiwen_inspector")
    claim_from_the_group_queue(page, number)
    assert page.locator("h1").inner_text() == "劳动监察处理移送"
    letter = page.locator("#instructions").inner_text()
    for text in (
        "劳动保障违法线索移送函",
        number,
        HUAYU,
        huayu_uscc,
        "工资支付（高）：近 3 个月未足额支付一线员工工资",
        "克扣或者无故拖欠劳动者劳动报酬（欠薪）",
        "未经限期整改",
        "拖欠 86 名员工 3 个月工资，劳动者多次到我局反映",
    ):
        assert text in letter, text
    page.check("input[name='data.labour_inspection_decision'][value=file_case]")
    page.fill("textarea[name='data.labour_inspection_notes']", "涉嫌拖欠工资，立案调查")
    screenshots(page, artifacts, "health-check-labour-inspection", at="#instructions")
    page.click("#task-form button[type=submit]")
    case_no = page.locator("input[name='data.labour_inspection_case_no']")
    assert case_no.get_attribute("aria-invalid") == "true"
    case_no.fill("奎人社监立〔2026〕18号")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    switch_to(page, live_server, "ent_huayu")
    assert "已移送劳动监察：立案查处" in page.locator(f"[data-case='{number}']").inner_text()

    # the county's case page: completed through the labour inspection's step, the diagram drawn
    switch_to(page, live_server, "kuiwen_handler")
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.click(f"tr[data-case='{number}'] a")
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert "已办结" in page.locator("h1").inner_text()
    assert "劳动监察处理移送" in page.locator("#timeline").inner_text()
    snap(page, artifacts / "health-check-case-desktop.png")
