"""A county supervisor reads the month's ranking in a real browser: the whole city's counties, theirs marked, those
without data unranked at the end, the rule under the table; the XLSX keeps numbers and percentages as cells under a
title with the month; on a phone the page does not scroll sideways."""

import io

import openpyxl

from tests.e2e.screens import snap, switch_to


def test_a_county_supervisor_reads_and_exports_the_whole_ranking(demo_server, page, browser, artifacts):
    switch_to(page, demo_server, "kuiwen_supervisor")
    page.click("nav.topbar a.nav-link:has-text('督办')")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 16  # every county, not only their own
    mine = page.locator("#ranking tr.table-primary")
    assert mine.count() == 1 and "奎文区" in mine.inner_text() and "本单位" in mine.inner_text()
    ranks = [rows.nth(i).get_attribute("data-rank") for i in range(rows.count())]
    ranked = [int(r) for r in ranks if r]
    assert ranked and ranked == sorted(ranked) and ranked[0] == 1
    assert all(not r for r in ranks[len(ranked) :])  # the unranked last
    assert rows.nth(len(ranked)).locator("td").first.inner_text() == "—"
    assert "得分相同者名次并列" in page.locator("#ranking-rule").inner_text()
    snap(page, artifacts / "ranking-county-supervisor.png")

    with page.expect_download() as download_info:
        page.click("a:has-text('XLSX')")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read())).active
    month = page.locator("#month").input_value()
    assert sheet["A1"].value == f"问题需求转办县市区排名（{month}）" and sheet.freeze_panes == "A3"
    first = sheet[3]
    assert first[0].value == 1 and first[2].data_type == "n" and first[2].number_format == "0.0%"
    assert isinstance(first[4].value, int) and first[4].value >= first[3].value  # the counts beside the rate

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    switch_to(phone, demo_server, "kuiwen_supervisor", "/supervision")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    snap(phone, artifacts / "ranking-phone.png")
    phone.context.close()
