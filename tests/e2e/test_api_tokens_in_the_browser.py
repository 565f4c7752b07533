"""A handler makes a personal API token in the browser, a script uses it, the handler revokes it."""

import requests

from tests.e2e.screens import snap, switch_to


def test_create_use_and_revoke_a_token(live_server, page, artifacts):
    switch_to(page, live_server, "kuiwen_handler")
    page.click("#current-user")
    page.click("nav.nav-pills a:has-text('API 令牌')")
    page.fill("#name", "指挥中心对接脚本")
    page.click("#token-form button[type=submit]")
    token = page.locator("#new-token code").inner_text().strip()
    snap(page, artifacts / "account-tokens.png")
    assert token.startswith("wf_") and "指挥中心对接脚本" in page.locator("#tokens").inner_text()
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{live_server}/api/v1/tasks", headers=headers, timeout=10).status_code == 200
    page.goto(f"{live_server}/account/tokens")
    assert token not in page.content()  # shown once only
    page.click("#tokens button:has-text('吊销')")
    assert "已失效" in page.locator(".alert").inner_text()
    assert requests.get(f"{live_server}/api/v1/tasks", headers=headers, timeout=10).status_code == 401
