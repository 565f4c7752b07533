"""A supervisor's day in a real browser: the dashboard shows a seeded overdue referral, the drill-down
opens it, and the XLSX export downloaded from the page holds the same rows as the list."""

import io

import openpyxl

from tests.e2e.screens import snap, switch_to


def test_a_supervisor_finds_an_overdue_referral_and_exports_the_list(live_server, live_app, page, artifacts):
    with live_app.app_context():
        from workflow_app.demo import seed_late_referrals
        from workflow_app.extensions import db
        from workflow_app.sla.escalation import run_sla_sweep

        overdue, at_risk = seed_late_referrals()
        db.session.commit()
        numbers = (overdue.number, at_risk.number)
        run_sla_sweep()
        db.session.remove()

    switch_to(page, live_server, "city_supervisor")
    assert int(page.locator("#unread-count").inner_text()) >= 1  # the city heard of the escalation
    page.click("nav.topbar a.nav-link:has-text('督办')")
    kuiwen = page.locator("#by-county tr[data-key='kuiwen']")
    assert kuiwen.locator("a.sla-overdue").inner_text() == "1"
    snap(page, artifacts / "supervision-dashboard.png")

    kuiwen.locator("a.sla-overdue").click()  # drill down: Kuiwen's overdue work
    rows = page.locator("#work tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-case") == numbers[0]
    assert "超期" in rows.first.inner_text()
    snap(page, artifacts / "supervision-work.png")
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read())).active
    exported = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    listed = [rows.nth(i).get_attribute("data-case") for i in range(rows.count())]
    assert exported == listed == [numbers[0]]

    # all overdue or at-risk work: both referrals, in the page and in the file alike
    page.goto(f"{live_server}/supervision/work")
    rows = page.locator("#work tbody tr")
    listed = [rows.nth(i).get_attribute("data-case") for i in range(rows.count())]
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read())).active
    assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == listed
    assert set(numbers) <= set(listed)

    page.click(f"#work tr[data-case='{numbers[0]}'] a")  # open the case
    assert numbers[0] in page.locator("h1").inner_text()
    assert page.locator("#clocks tr[data-phase='handling'] [data-sla='overdue']").count() == 1
    assert page.locator("#clocks [data-notice]").count() == 2  # the county's notice and the city's
    snap(page, artifacts / "supervision-case.png")
