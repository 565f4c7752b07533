"""Login page, sign-in, sign-out and the language switch."""

from tests.conftest import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=True)


def test_login_page_is_served_in_chinese_by_default(app):
    page = app.test_client().get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ">登录</h1>" in html and 'name="password"' in html


def test_pages_need_a_login(app):
    response = app.test_client().get("/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_a_page_that_needs_a_login_says_so_in_the_readers_language(app):
    client = app.test_client()
    page = client.get("/inbox", follow_redirects=True).get_data(as_text=True)
    assert "请先登录，再打开此页面" in page and "Please" not in page
    client.post("/language/en")
    page = client.get("/inbox", follow_redirects=True).get_data(as_text=True)
    assert "Please sign in to open this page." in page


def test_wrong_password_is_refused_with_a_message(app, user):
    page = login(app.test_client(), user.username, "wrong-password")
    assert "用户名或密码错误" in page.get_data(as_text=True)


def test_sign_in_shows_name_unit_and_sign_out(app, create_user):
    create_user("liu", roles=["county_handler"], display_name="刘经办")
    client = app.test_client()
    response = client.post("/login", data={"username": "liu", "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/").get_data(as_text=True)
    assert "刘经办" in html and "奎文区" in html
    out = client.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "您已退出登录" in out
    assert client.get("/").status_code == 302


def test_language_switch_to_english(app):
    from flask_babel import refresh  # the tests share one app context, where Flask-Babel caches the locale

    client = app.test_client()
    client.post("/language/en")
    refresh()
    assert ">Sign in</h1>" in client.get("/login").get_data(as_text=True)
    client.post("/language/zh_Hans_CN")
    refresh()
    assert ">登录</h1>" in client.get("/login").get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(app, user):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 400
        assert client.get("/").status_code == 302  # not signed in
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_many_user_names_tried_from_one_address_block_that_address(app, user):
    client = app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        client.post("/login", data={"username": f"guess{n}", "password": "wrong"})
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 429
    other = app.test_client()
    response = other.post(
        "/login", data={"username": user.username, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert response.status_code == 302
