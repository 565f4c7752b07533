"""Who may open the administration pages: administrators only."""

import re

import pytest
import sqlalchemy as sa

from tests.admin.conftest import login, make_uscc, new_client, shown
from tests.engine.test_scripts import process
from workflow_app.auth.models import Role, User
from workflow_app.auth.operations import create_enterprise
from workflow_app.extensions import db

PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/org-units",
    "/admin/org-units/new",
    "/admin/org-units/{unit}",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/roles/{role}",
    "/admin/enterprises",
    "/admin/enterprises/new",
    "/admin/enterprises/{enterprise}",
    "/admin/processes",
    "/admin/processes/{version}",
    "/admin/processes/deploy",
    "/admin/repair",
    "/admin/repair/{instance}",
]
WRITES = [
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/password",
    "/admin/users/{user}/disable",
    "/admin/users/{user}/enable",
    "/admin/org-units/new",
    "/admin/org-units/{unit}",
    "/admin/roles/new",
    "/admin/roles/{role}",
    "/admin/roles/{role}/delete",
    "/admin/enterprises/new",
    "/admin/enterprises/{enterprise}",
    "/admin/processes/deploy",
    "/admin/processes/scripted/retire",
    "/admin/processes/scripted/reinstate",
    "/admin/repair/{instance}/retry",
    "/admin/repair/{instance}/suspend",
    "/admin/repair/{instance}/resume",
    "/admin/repair/{instance}/cancel",
]


@pytest.fixture
def ids(app, create_user, org_unit, deploy, create_case):
    """Ids of one thing of every kind, to fill in the admin URLs."""
    deploy(sources=process("result = 100 / divisor"))
    case = create_case("scripted", {"divisor": 0})
    clerk = create_user("clerk1", roles=["clerk"])
    enterprise = create_enterprise(make_uscc(1), "潍坊测试机械有限公司", "kuiwen")
    db.session.commit()
    return {
        "user": clerk.id,
        "unit": org_unit.id,
        "role": clerk.roles[0].id,
        "enterprise": enterprise.id,
        "version": case.instance.process_version_id,
        "instance": case.instance_id,
    }


def test_anonymous_visitors_are_sent_to_the_login_page(app, ids):
    client = new_client(app)
    for page in PAGES:
        response = client.get(page.format(**ids))
        assert response.status_code == 302, page
        assert "/login?next=" in response.headers["Location"], page
    for page in WRITES:
        assert client.post(page.format(**ids), data={"reason": "x"}).status_code == 302, page


@pytest.mark.parametrize(
    "roles, enterprise",
    [(["clerk"], False), (["admin"], True)],
    ids=["staff without the admin role", "enterprise user with the admin role"],
)
def test_everyone_but_administrators_gets_403_and_changes_nothing(app, ids, create_user, roles, enterprise):
    from workflow_app.auth.queries import get_enterprise

    outsider = create_user(
        "outsider", roles=roles, enterprise=get_enterprise(ids["enterprise"]) if enterprise else None
    )
    client = new_client(app)
    login(client, outsider.username)
    assert client.get("/").status_code == (302 if enterprise else 200)  # signed in (an enterprise: on to its portal)
    for page in PAGES:
        assert client.get(page.format(**ids)).status_code == 403, page
    for page in WRITES:
        assert (
            client.post(page.format(**ids), data={"reason": "x", "label": "changed", "name": "x"}).status_code == 403
        ), page
    db.session.expire_all()
    assert db.session.get(User, ids["user"]).active
    assert db.session.get(Role, ids["role"]).label is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Role)) == len({"clerk", *roles})


def test_admin_index_links_every_section_with_counts(client, ids):
    html = client.get("/admin/").get_data(as_text=True)
    for url in (
        "/admin/users",
        "/admin/org-units",
        "/admin/roles",
        "/admin/enterprises",
        "/admin/processes",
        "/admin/repair",
    ):
        assert f'href="{url}"' in html
    counts = dict(re.findall(r'data-admin-count="(\w+)">(\d+)<', html))
    assert counts == {"users": "2", "org_units": "3", "roles": "2", "enterprises": "1", "processes": "1", "repair": "1"}
    assert shown("%(error)d in error, %(suspended)d suspended", error=1, suspended=0) in html


def test_an_administrator_opens_every_page(client, ids):
    for page in PAGES:
        response = client.get(page.format(**ids))
        assert response.status_code == 200, page
        assert 'aria-current="page"' in response.get_data(as_text=True), page  # the section is highlighted
