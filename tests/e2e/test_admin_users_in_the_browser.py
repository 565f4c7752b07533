"""An administrator makes an enterprise's account in the browser: roles are ticked, not Ctrl-clicked; an account
that would not work and a common password are refused beside their fields; the account made lands on the portal."""

from tests.e2e.screens import snap, switch_to
from tests.e2e.test_sign_in import sign_in


def test_an_admin_creates_an_enterprise_account_only_when_it_works(live_server, live_app, page, browser, artifacts):
    with live_app.app_context():
        from workflow_app.auth.queries import find_user

        uscc = find_user("ent_huayu").enterprise.uscc
    switch_to(page, live_server, "admin", "/admin/users/new")
    assert page.locator("select[multiple]").count() == 0
    page.fill("#username", "huayu_clerk2")
    page.fill("#display_name", "华宇机械（出纳）")
    page.select_option("#org_unit", "kuiwen")
    page.check("#roles label:has-text('企业用户') >> xpath=preceding-sibling::input")
    page.check("#roles label:has-text('县级经办') >> xpath=preceding-sibling::input")
    page.fill("#password", "12345678")
    page.fill("#confirm", "12345678")
    page.click("main button[type=submit]")

    roles_error = page.locator("#roles .invalid-feedback")
    assert "企业用户不能同时拥有工作人员角色" in roles_error.inner_text()
    assert "最常见的密码" in page.locator("#password ~ .invalid-feedback").inner_text()
    snap(page, artifacts / "admin-user-refused.png")

    page.uncheck("#roles label:has-text('县级经办') >> xpath=preceding-sibling::input")
    page.fill("#password", "Huayu-cash-2026")
    page.fill("#confirm", "Huayu-cash-2026")
    page.click("main button[type=submit]")
    assert "统一社会信用代码" in page.locator("#enterprise_uscc ~ .invalid-feedback").inner_text()

    page.fill("#enterprise_uscc", uscc)
    page.fill("#password", "Huayu-cash-2026")
    page.fill("#confirm", "Huayu-cash-2026")
    page.click("main button[type=submit]")
    assert "已创建" in page.locator(".alert-success").inner_text()
    assert page.locator("#roles input:checked").count() == 1
    snap(page, artifacts / "admin-user-created.png")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    switch_to(phone, live_server, "admin", "/admin/users/new")
    snap(phone, artifacts / "admin-user-new-phone.png")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()

    newcomer = browser.new_context(locale="zh-CN").new_page()
    sign_in(newcomer, live_server, "huayu_clerk2", "Huayu-cash-2026")
    assert newcomer.url.endswith("/portal/")
    newcomer.context.close()
