"""A person signs in and out in a real browser (CSRF on)."""

from tests.e2e.conftest import DEMO_PASSWORD


def sign_in(page, base_url, username, password=DEMO_PASSWORD):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def test_handler_signs_in_sees_name_and_unit_and_signs_out(live_server, page):
    sign_in(page, live_server, "kuiwen_handler")
    assert page.locator("h1").inner_text() == "欢迎，刘经办（奎文区）"
    assert "奎文区 · 县级经办人" in page.locator("nav.topbar").inner_text()
    page.click("nav.topbar button:has-text('退出')")
    assert page.locator("h1").inner_text() == "登录"
    assert "您已退出登录" in page.locator(".alert").inner_text()


def test_wrong_password_stays_on_the_login_page(live_server, page):
    sign_in(page, live_server, "kuiwen_handler", "not-the-password")
    assert page.locator("h1").inner_text() == "登录"
    assert "用户名或密码错误" in page.locator(".alert").inner_text()


def test_switch_to_english(live_server, page):
    page.goto(f"{live_server}/login")
    page.click("nav.topbar button:has-text('English')")
    assert page.locator("h1").inner_text() == "Sign in"
