"""Fixtures of the admin tests: a signed-in administrator's client and page-text helpers."""

import re

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from tests.conftest import PASSWORD
from workflow_app.core.uscc import ALPHABET, org_code_check_char, uscc_check_char


def new_client(app):
    """A fresh client (the app's test client class starts every request with an empty `g`)."""
    return app.test_client()


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def shown(message, **values) -> str:
    """Return `message` as a page shows it: in Chinese (the default language), HTML-escaped."""
    with force_locale("zh_Hans_CN"):
        return str(escape(gettext(message, **values)))


def field_errors(html: str, field_id: str) -> list[str]:
    """Return the error messages shown right under the field with id `field_id` (empty if it is valid)."""
    start = html.index(f'id="{field_id}"')
    tag = html[html.rfind("<", 0, start) : html.find(">", start)]
    ends = [i for i in (html.find('class="mb-3"', start), html.find("</form>", start)) if i >= 0]
    errors = re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', html[start : min(ends)], re.S)
    assert bool(errors) == ("is-invalid" in tag), tag
    return [error.strip() for error in errors]


def make_uscc(serial: int) -> str:
    """Return a valid unified social credit code of a Kuiwen enterprise that differs by `serial`."""
    org_code = "MA" + "".join(ALPHABET[(serial // 31**i) % 31] for i in range(6))
    first17 = "91370705" + org_code + org_code_check_char(org_code)
    return first17 + uscc_check_char(first17)


@pytest.fixture
def admin(create_user):
    return create_user("root", roles=["admin"], org="weifang", display_name="系统管理员")


@pytest.fixture
def client(app, admin):
    """A test client signed in as the administrator."""
    client = new_client(app)
    assert login(client, admin.username).status_code == 302
    return client
