"""Failed sign-ins slow and refuse further tries, but never the right password from an address that did not fail."""

from datetime import timedelta

from tests.conftest import PASSWORD
from workflow_app.auth import models as auth_models
from workflow_app.auth.operations import reset_password, set_user_active
from workflow_app.extensions import db

ATTACKER, OWNER = "10.0.0.66", "10.0.0.7"


def attempt(app, username, password, address, client=None):
    """Try to sign in from `address` (a new browser unless `client` is given)."""
    return (client or app.test_client()).post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_an_unknown_or_disabled_user_name_costs_the_same_password_check_as_a_known_one(
    app, user, create_user, monkeypatch
):
    checked = []
    real_check = auth_models.check_password_hash

    def counting_check(stored, password):
        checked.append(stored.split("$", 1)[0])  # the method and its cost, e.g. scrypt:32768:8:1
        return real_check(stored, password)

    monkeypatch.setattr(auth_models, "check_password_hash", counting_check)
    set_user_active(create_user("gone"), False)
    db.session.commit()
    for number, (username, password) in enumerate(
        [(user.username, "wrong-pass"), ("nobody-here", "wrong-pass"), ("nobody-here", PASSWORD), ("gone", PASSWORD)]
    ):
        checked.clear()
        response = attempt(app, username, password, f"10.0.1.{number}")
        assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)
        assert checked == [app.config["PASSWORD_HASH_METHOD"]], username


def test_repeated_wrong_passwords_from_one_address_refuse_that_name_from_it_for_a_while(app, user, clock):
    longest, window = app.config["LOGIN_LONGEST_WAIT_SECONDS"], app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert attempt(app, user.username, "wrong", ATTACKER, client).status_code == 200
        clock.shift_clock(timedelta(seconds=longest))  # past the wait each failure brings
    refused = attempt(app, user.username, PASSWORD, ATTACKER, client)
    assert refused.status_code == 429 and "分钟后再试" in refused.get_data(as_text=True)
    assert 60 < int(refused.headers["Retry-After"]) <= window * 60
    assert client.get("/").status_code == 302  # not signed in, even with the right password
    assert attempt(app, user.username, PASSWORD, OWNER).status_code == 302  # from elsewhere it works
    clock.shift_clock(timedelta(minutes=window))  # the failures age out
    assert attempt(app, user.username, PASSWORD, ATTACKER, client).status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        attempt(app, user.username, "wrong", ATTACKER, client)
        clock.shift_clock(timedelta(seconds=longest))
    assert attempt(app, user.username, PASSWORD, ATTACKER, client).status_code == 429
    reset_password(user, "a-new-pass-2")  # an administrator's reset lifts the refusal
    db.session.commit()
    assert attempt(app, user.username, "a-new-pass-2", ATTACKER, client).status_code == 302


def test_an_attacker_hammering_a_name_never_stops_its_right_password_from_another_address(app, user, clock):
    attacker, tried = app.test_client(), 0
    for step in range(60):  # every 30 seconds for 30 minutes: two windows
        tried += attempt(app, user.username, f"guess-{step}", ATTACKER, attacker).status_code == 200
        if step % 10 == 9:
            assert attempt(app, user.username, PASSWORD, OWNER).status_code == 302
        clock.shift_clock(timedelta(seconds=30))
    assert tried <= 2 * app.config["LOGIN_MAX_FAILURES"]  # the attacker got that many guesses a window


def test_failures_from_many_addresses_only_make_the_failing_addresses_wait_a_little(app, user, clock):
    longest = app.config["LOGIN_LONGEST_WAIT_SECONDS"]
    for number in range(20):  # a guess from each of many addresses
        assert attempt(app, user.username, "wrong", f"10.9.0.{number}").status_code == 200
    assert attempt(app, user.username, PASSWORD, OWNER).status_code == 302  # an address that did not fail: at once
    owner = app.test_client()
    assert attempt(app, user.username, "a-typo", "10.0.0.8", owner).status_code == 200
    refused = attempt(app, user.username, PASSWORD, "10.0.0.8", owner)
    assert refused.status_code == 429 and "秒后再试" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= longest
    for number in range(20, 40):  # more guesses meanwhile do not lengthen the wait
        attempt(app, user.username, "wrong", f"10.9.0.{number}")
    clock.shift_clock(timedelta(seconds=longest))
    assert attempt(app, user.username, PASSWORD, "10.0.0.8", owner).status_code == 302
