"""Sessions and "keep me signed in" cookies end on sign-out, a password change or reset, and after 30 days."""

from datetime import UTC, datetime, timedelta

from flask_login.utils import encode_cookie

from tests.conftest import PASSWORD

REMEMBER = "remember_token"


def signed_in(app, username, remember=False):
    """A client signed in as `username`, with a "keep me signed in" cookie when `remember`."""
    client = app.test_client()
    data = {"username": username, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/login", data=data).status_code == 302
    return client


def cookie(client, name):
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def with_cookie(app, name, value):
    """A new browser holding only one captured cookie."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


def is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_session_captured_before_sign_out_no_longer_works_after_it(app, user):
    client = signed_in(app, user.username, remember=True)
    session_cookie, remember_cookie = cookie(client, "session"), cookie(client, REMEMBER)
    assert is_signed_in(with_cookie(app, "session", session_cookie))  # a captured cookie works while signed in
    client.post("/logout")
    assert not is_signed_in(client)
    assert not is_signed_in(with_cookie(app, "session", session_cookie))
    assert not is_signed_in(with_cookie(app, REMEMBER, remember_cookie))


def test_signing_out_ends_the_users_sessions_in_other_browsers_too(app, user):
    laptop, office = signed_in(app, user.username), signed_in(app, user.username, remember=True)
    laptop.post("/logout")
    assert not is_signed_in(office)
    assert is_signed_in(signed_in(app, user.username))  # signing in again starts afresh


def test_an_administrators_password_reset_ends_the_users_sessions_and_cookies(app, user, create_user):
    create_user("boss", roles=["admin"])
    browser = signed_in(app, user.username, remember=True)
    remember_cookie = cookie(browser, REMEMBER)
    admin = signed_in(app, "boss")
    response = admin.post(
        f"/admin/users/{user.id}/password", data={"password": "new-secret-9", "confirm": "new-secret-9"}
    )
    assert response.status_code == 302
    assert not is_signed_in(browser)
    assert not is_signed_in(with_cookie(app, REMEMBER, remember_cookie))
    assert is_signed_in(admin)  # the administrator's own session goes on


def test_changing_ones_own_password_keeps_this_browser_and_ends_the_others(app, user):
    here, elsewhere = signed_in(app, user.username, remember=True), signed_in(app, user.username, remember=True)
    old_cookie = cookie(here, REMEMBER)
    response = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "new-secret-9", "repeat_password": "new-secret-9"},
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    new_cookie = cookie(here, REMEMBER)
    assert new_cookie != old_cookie and is_signed_in(with_cookie(app, REMEMBER, new_cookie))
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(with_cookie(app, REMEMBER, old_cookie))


def test_a_keep_me_signed_in_cookie_lasts_30_days_at_most(app, user, clock):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    remember_cookie = cookie(client, REMEMBER)
    expires = client.get_cookie(REMEMBER).expires  # set by Flask-Login from the real clock
    assert expires - datetime.now(UTC) <= timedelta(days=30)
    clock.shift_clock(timedelta(days=29))
    assert is_signed_in(with_cookie(app, REMEMBER, remember_cookie))
    clock.shift_clock(timedelta(days=2))  # the browser would have dropped it; someone who copied it still has it
    assert not is_signed_in(with_cookie(app, REMEMBER, remember_cookie))
    assert not is_signed_in(client)  # nor does the session of that sign-in last longer


def test_cookies_of_the_form_from_before_session_versions_sign_nobody_in(app, user):
    assert not is_signed_in(with_cookie(app, REMEMBER, encode_cookie(str(user.id))))
    for made_up in ("x", f"{user.id}:0", f"{user.id}:0:x", ""):
        assert not is_signed_in(with_cookie(app, REMEMBER, encode_cookie(made_up)))
