"""Behind TRUSTED_PROXY_COUNT reverse proxies the client's own address counts; a forwarded header a client wrote does not."""

import pytest
import sqlalchemy as sa

from config import ProductionConfig, TestingConfig
from tests.conftest import PASSWORD
from workflow_app import create_app
from workflow_app.auth.models import LoginFailure
from workflow_app.extensions import db

PROXY = "10.0.0.2"  # nginx, as the app sees the connection


@pytest.fixture
def app_behind(app):
    """An app on the test's database that trusts `hops` proxies, with settings of its own; disposed afterwards."""
    made = []

    def factory(hops, base=TestingConfig, **settings):
        config = type(
            "ProxiedConfig",
            (base,),
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "TRUSTED_PROXY_COUNT": hops,
                "SECRET_KEY": "a-test-secret",
                "WTF_CSRF_ENABLED": False,
                "INPROCESS_WORKER": False,
                "PASSWORD_HASH_METHOD": TestingConfig.PASSWORD_HASH_METHOD,
                **settings,
            },
        )
        made.append(create_app(config))
        return made[-1]

    yield factory
    for other in made:
        with other.app_context():
            db.engine.dispose()


def sign_in(app, password, forwarded_for=None, forwarded_proto=None, username="handler"):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    if forwarded_proto:
        headers["X-Forwarded-Proto"] = forwarded_proto
    return app.test_client().post(
        "/login",
        data={"username": username, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
    )


def failed_addresses():
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(LoginFailure.ip)))


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(app_behind, user):
    proxied = app_behind(1, LOGIN_MAX_FAILURES_PER_IP=3)
    for number in range(3):
        assert sign_in(proxied, "wrong-pass", "203.0.113.5", username=f"guess{number}").status_code == 200
    assert sign_in(proxied, PASSWORD, "203.0.113.5").status_code == 429  # that client is blocked ...
    assert sign_in(proxied, PASSWORD, "203.0.113.6").status_code == 302  # ... not everyone behind the proxy
    assert failed_addresses() == ["203.0.113.5"] * 3


def test_an_address_a_client_forwards_itself_is_not_believed(app_behind, user):
    proxied = app_behind(1, LOGIN_MAX_FAILURES_PER_IP=3)
    # the client sends X-Forwarded-For itself; nginx appends the address it saw: only that last hop is trusted
    for number, spoofed in enumerate(("198.51.100.1", "198.51.100.2", "198.51.100.3")):
        assert sign_in(proxied, "wrong-pass", f"{spoofed}, 203.0.113.5", username=f"guess{number}").status_code == 200
    assert sign_in(proxied, PASSWORD, "198.51.100.9, 203.0.113.5").status_code == 429
    assert failed_addresses() == ["203.0.113.5"] * 3


def test_without_trusted_proxies_forwarded_headers_are_ignored(app_behind, user):
    direct = app_behind(0)
    assert sign_in(direct, "wrong-pass", "203.0.113.5").status_code == 200
    assert failed_addresses() == [PROXY]


def test_two_trusted_hops_take_the_address_the_outer_one_saw(app_behind, user):
    proxied = app_behind(2)  # a load balancer, then nginx
    assert sign_in(proxied, "wrong-pass", "198.51.100.1, 203.0.113.5, 10.0.0.9").status_code == 200
    assert failed_addresses() == ["203.0.113.5"]


def test_production_sends_hsts_on_https_as_the_trusted_proxy_says(app_behind, user):
    proxied = app_behind(1, base=ProductionConfig)
    over_https = sign_in(proxied, PASSWORD, "203.0.113.5", forwarded_proto="https")
    assert over_https.headers["Strict-Transport-Security"] == f"max-age={365 * 24 * 3600}"
    assert "Strict-Transport-Security" not in sign_in(proxied, PASSWORD, "203.0.113.5").headers  # plain HTTP
    untrusted = app_behind(0, base=ProductionConfig)  # a client's own X-Forwarded-Proto means nothing
    assert "Strict-Transport-Security" not in sign_in(untrusted, PASSWORD, forwarded_proto="https").headers
    development = app_behind(1)
    assert (
        "Strict-Transport-Security"
        not in sign_in(development, PASSWORD, "203.0.113.5", forwarded_proto="https").headers
    )
