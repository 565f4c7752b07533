"""Roles: holders counted, created, relabelled, deleted only when nobody holds them."""

import re

from tests.admin.conftest import field_errors, shown
from workflow_app.auth.queries import find_role
from workflow_app.extensions import db


def holder_counts(html):
    return dict(re.findall(r'<tr data-role="([^"]+)">.*?data-holders="(\d+)"', html, re.S))


def test_roles_are_listed_with_how_many_users_hold_them(client, create_user):
    create_user("ann", roles=["county_handler"])
    gone = create_user("bob", roles=["county_handler", "specialist"])
    gone.active = False
    db.session.commit()
    html = client.get("/admin/roles").get_data(as_text=True)
    assert holder_counts(html) == {"admin": "1", "county_handler": "2", "specialist": "1"}


def test_create_and_relabel_a_role(client):
    response = client.post("/admin/roles/new", data={"name": "bank_officer", "label": "银行经办"})
    assert response.status_code == 302
    assert find_role("bank_officer").label == "银行经办"
    response = client.post("/admin/roles/new", data={"name": "bank_officer", "label": "重复"})
    assert response.status_code == 422
    assert shown("The role '%(name)s' already exists", name="bank_officer") in response.get_data(as_text=True)
    response = client.post("/admin/roles/new", data={"name": "银行", "label": ""})
    assert field_errors(response.get_data(as_text=True), "name") == [
        shown("Start with a letter; use only letters, digits, _ . - (2 to 60 characters)")
    ]
    role = find_role("bank_officer")
    response = client.post(f"/admin/roles/{role.id}", data={"label": "合作银行经办", "name": "renamed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert find_role("bank_officer").label == "合作银行经办" and find_role("renamed") is None
    assert find_role("银行") is None


def test_a_role_is_deleted_only_when_nobody_holds_it(client, create_user):
    user = create_user("ann", roles=["county_handler"])
    role = find_role("county_handler")
    response = client.post(f"/admin/roles/{role.id}/delete", follow_redirects=True)
    assert shown(
        "The role '%(name)s' is held by %(n)d user(s); take it away from them first", name="county_handler", n=1
    ) in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_role("county_handler") is not None
    user.active = False  # a disabled holder still holds it
    db.session.commit()
    client.post(f"/admin/roles/{role.id}/delete")
    db.session.expire_all()
    assert find_role("county_handler") is not None
    client.post(f"/admin/users/{user.id}", data={"display_name": "ann", "org_unit": "kuiwen", "roles": ["admin"]})
    response = client.post(f"/admin/roles/{role.id}/delete", follow_redirects=True)
    assert shown("Role %(name)s deleted", name="county_handler") in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_role("county_handler") is None
