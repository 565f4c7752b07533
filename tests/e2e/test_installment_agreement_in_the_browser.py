"""An installment agreement's whole way in a real browser: the enterprise applies in the portal, the agency checks
it and drafts the schedule in the handler UI, the enterprise reads the agreement (its amounts in figures and in
大写) and signs as its registered legal representative (another name is refused), the agency countersigns and records
the first payment, and the portal shows the updated schedule; an agreement ended by default shows its late fee.
Screenshots at 1366 px and on a phone (390 x 844).
"""

import re
from datetime import date, timedelta

from tests.e2e.screens import screenshots, switch_to

DESKTOP = {"width": 1366, "height": 900}


def work_on(page, number, bpmn_name, queue="group"):
    """As agency staff: find the case's task in the group queue and claim it, or in my tasks (`queue` "mine": a step
    the model gives to whoever did an earlier one, samePersonAs); land on its page."""
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click(f"a[data-queue={queue}]")
    row = page.locator(f"tr[data-case='{number}']")
    assert bpmn_name in row.inner_text()
    if queue == "group":
        row.locator("button:has-text('认领')").click()
    else:
        row.locator("a").first.click()
    assert page.locator("h1").inner_text() == bpmn_name


def test_apply_draft_sign_countersign_pay(live_server, live_app, page, artifacts):
    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy
    from workflow_app.extensions import db

    today = local_today()
    with live_app.app_context():  # the package says the notice's 2023-12-31, long past: the bureau extends it
        open_installment_policy(date(today.year + 1, 12, 31))
        db.session.commit()

    # the enterprise applies in the portal
    page.set_viewport_size(DESKTOP)
    switch_to(page, live_server, "ent_huayu")
    assert page.url.endswith("/portal/")
    page.click("a[data-apply=installment_agreement]")
    page.fill("input[name='data.pension_yuan']", "36000")
    page.fill("input[name='data.unemployment_yuan']", "1800")
    page.fill("input[name='data.deferral_end_date']", (today - timedelta(days=15)).isoformat())
    page.fill("textarea[name='data.hardship_reason']", "订单减少，一次性补缴困难")
    page.fill("input[name='data.proposed_installments']", "3")
    screenshots(page, artifacts, "installment-application")
    page.click("#apply-form button[type=submit]")
    number = re.search(r"[A-Z]{2}-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    assert page.locator("#case-state").inner_text() == "等待经办机构审核"

    # the agency checks the application and drafts a three-month schedule
    switch_to(page, live_server, "agency")
    work_on(page, number, "经办机构审核")
    page.check("input[name='data.check_decision'][value=approve]")
    page.check("input[name='data.deferral_confirmed']")
    screenshots(page, artifacts, "installment-check-task")
    page.click("#task-form button[type=submit]")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    assert page.locator(f"tr[data-case='{number}']").count() == 0  # the next step is not back in the queue:
    work_on(page, number, "制定分期计划", queue="mine")  # the officer who checked it drafts the schedule
    assert "37800.00" in page.locator("#instructions").inner_text()  # the model's instructions over the case's data
    page.fill("input[name='data.installment_count']", "3")
    page.fill("input[name='data.first_due_date']", (today + timedelta(days=10)).isoformat())
    screenshots(page, artifacts, "installment-schedule-task")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the enterprise reads the agreement in full and signs it as its registered legal representative
    switch_to(page, live_server, "ent_huayu")
    row = page.locator(f"tr[data-case='{number}']")
    assert row.locator("[data-state]").inner_text() == "请阅读并签署分期补缴协议"
    row.locator("a:has-text('企业签署协议')").click()
    text = page.locator("#agreement-text").inner_text()
    assert "合计：37,800.00 元（大写：人民币叁万柒仟捌佰元整）" in text and "补缴期间免收滞纳金" in text
    assert "甲方（社会保险经办机构）：潍坊市奎文区社会保险经办机构" in text and "鲁人社字〔2022〕113号" in text
    assert re.fullmatch(r"[0-9a-f]{64}", page.locator("#agreement-hash").inner_text())
    assert page.locator("#schedule-table tbody tr").count() == 3
    page.check("input[name='data.sign_decision'][value=sign]")
    page.check("input[name='data.read_confirmed']")
    page.fill("input[name='data.legal_rep_name']", "王建")  # not the registered name: refused, nothing signed
    page.click("#task-form button[type=submit]")
    refusal = page.locator(".invalid-feedback").first
    assert refusal.is_visible() and "王建华" in refusal.inner_text()
    screenshots(page, artifacts, "installment-sign-refused")
    page.fill("input[name='data.legal_rep_name']", "王建华")
    page.click("#task-form button[type=submit]")
    assert page.locator("#case-state").inner_text() == "已签署，等待经办机构确认"

    # the agency countersigns, then records the first installment's payment
    switch_to(page, live_server, "agency")
    work_on(page, number, "经办机构确认", queue="mine")
    assert page.locator("#agreement [data-status=signed]").count() == 1
    page.check("input[name='data.countersign_confirmed']")
    page.click("#task-form button[type=submit]")
    work_on(page, number, "登记本期缴费")
    page.fill("input[name='data.paid_amount']", "12600.00")
    page.fill("input[name='data.paid_on']", today.isoformat())
    page.fill("input[name='data.receipt_no']", "SB-2026-0001")
    page.click("#task-form button[type=submit]")
    assert number in page.locator(".alert[role=alert]").first.inner_text()

    # the portal shows the schedule with the first installment paid and the second one next
    switch_to(page, live_server, "ent_huayu")
    second_due = page.locator(f"tr[data-case='{number}'] [data-state]").inner_text()
    assert second_due.startswith("第2期（12,600.00 元）应于")
    page.click(f"a:has-text('{number}')")
    assert page.locator("#schedule-table tr[data-seq='1']").get_attribute("data-state") == "paid"
    assert "SB-2026-0001" in page.locator("#schedule-table tr[data-seq='1']").inner_text()
    assert page.locator("#schedule-table tr[data-seq='2']").get_attribute("data-state") == "due"
    assert page.locator("#proof-form-2").is_visible()
    page.click("a:has-text('核验')")
    assert page.locator("#verify-result").get_attribute("data-result") == "match"


def test_an_agreement_ended_by_default_shows_its_late_fee(live_server, live_app, page, artifacts):
    from tests.conftest import open_task_of
    from workflow_app.agreements.queries import agreement_late_fees, current_agreement
    from workflow_app.auth.models import User
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.core.money import amount_in_capitals, format_yuan
    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy, seed_defaulted_agreement
    from workflow_app.extensions import db

    def step(case, bpmn_id, username, data):
        user = db.session.scalar(db.select(User).where(User.username == username))
        submit_task(open_task_of(case, bpmn_id).id, data, user, client_ip="127.0.0.1")

    with live_app.app_context():
        open_installment_policy(date(local_today().year + 1, 12, 31))
        case = seed_defaulted_agreement(step)
        db.session.commit()
        agreement = current_agreement(case.id)
        agreement_id, case_id, number = agreement.id, case.id, case.number
        fee = agreement_late_fees(agreement, local_today()).total_fen
        db.session.remove()
    assert fee > 0

    page.set_viewport_size(DESKTOP)
    switch_to(page, live_server, "ent_huayu", f"/agreements/{agreement_id}")
    text = page.locator("#agreement-text").inner_text()
    assert "大写：人民币" in text and "按日加收万分之五的滞纳金" in text
    assert page.locator("#late-fee-total").inner_text() == format_yuan(fee)
    assert amount_in_capitals(fee) in page.locator("#late-fee-capitals").inner_text()
    assert page.locator("#late-fee-table tbody tr[data-seq='2']").count() == 1  # the unpaid one
    screenshots(page, artifacts, "installment-agreement-late-fee")
    page.goto(f"{live_server}/portal/cases/{case_id}")
    assert page.locator("#late-fee-total").inner_text() == format_yuan(fee)
    assert "协议已终止" in page.locator("#case-state").inner_text()
    screenshots(page, artifacts, "installment-portal-late-fee")

    switch_to(page, live_server, "agency", f"/cases/{case_id}")
    assert number in page.locator("h1").inner_text()
    assert page.locator("#agreement [data-status=defaulted]").count() == 1
    assert page.locator("#late-fee-total").inner_text() == format_yuan(fee)
    screenshots(page, artifacts, "installment-case-late-fee")
