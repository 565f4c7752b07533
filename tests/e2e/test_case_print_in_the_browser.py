"""The case page in a real browser: no 404 for the site's icon, a small file's size in bytes, and a print that is
a clean work order (工单): its title, the case and its history, without navigation, forms, buttons or diagram."""

from tests.e2e.screens import snap, switch_to


def test_the_case_page_prints_as_a_work_order(demo_server, page, artifacts, tmp_path):
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    switch_to(page, demo_server, "kuiwen_handler")
    page.click("nav.topbar a.nav-link:has-text('案件')")
    page.locator("table a[href*='/cases/']").first.click()
    number = page.locator("#case-header h1").inner_text().split()[0]

    small = tmp_path / "电话记录.txt"
    small.write_bytes("已电话联系企业".encode())
    page.set_input_files("#attachments input[type=file]", str(small))
    page.click("#attachments button[type=submit]")
    assert "21 字节" in page.locator("#attachments li:has-text('电话记录.txt')").inner_text()
    assert not page.locator("#print-title").is_visible()
    snap(page, artifacts / "case-screen.png")

    page.emulate_media(media="print")
    assert page.locator("#print-title").is_visible() and number in page.locator("#print-title").inner_text()
    assert "案件工单" in page.locator("#print-title").inner_text()
    for hidden in (
        "nav.topbar",
        "nav[aria-label=breadcrumb]",
        "#comments form",
        "#attachments form",
        "#diagram",
        "#case-actions",
    ):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("#timeline").is_visible() and page.locator("#attachments li").first.is_visible()
    visible_buttons = page.locator("button:visible, .btn:visible, input:visible, textarea:visible")
    assert visible_buttons.count() == 0
    snap(page, artifacts / "case-print.png")
    page.pdf(path=str(artifacts / "case-print.pdf"))
    assert missing == []  # the icon included
