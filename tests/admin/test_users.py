"""Users: list with filters, create, edit, disable/enable, reset the password."""

import re

import pytest
import sqlalchemy as sa

from tests.admin.conftest import field_errors, login, make_uscc, new_client, shown
from tests.conftest import PASSWORD
from workflow_app.auth.models import User
from workflow_app.auth.operations import create_enterprise
from workflow_app.auth.queries import find_user
from workflow_app.extensions import db

NEW_USER = {
    "username": "zhang_san",
    "display_name": "张三",
    "org_unit": "kuiwen",
    "roles": ["county_handler"],
    "enterprise_uscc": "",
    "password": "long-enough-1",
    "confirm": "long-enough-1",
}


def user_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def listed_users(html):
    return re.findall(r'<tr data-user="([^"]+)">', html)


def test_user_list_filters_by_org_unit_role_text_and_status(client, create_user):
    create_user("kw_handler", roles=["county_handler"], display_name="奎文经办")
    create_user("sg_handler", roles=["county_handler"], org="shouguang", display_name="寿光经办")
    gone = create_user("sg_old", roles=["specialist"], org="shouguang", display_name="寿光专员")
    gone.active = False
    db.session.commit()
    assert listed_users(client.get("/admin/users").get_data(as_text=True)) == [
        "kw_handler",
        "root",
        "sg_handler",
        "sg_old",
    ]
    assert listed_users(client.get("/admin/users?org_unit=shouguang").get_data(as_text=True)) == [
        "sg_handler",
        "sg_old",
    ]
    assert listed_users(client.get("/admin/users?role=county_handler").get_data(as_text=True)) == [
        "kw_handler",
        "sg_handler",
    ]
    assert listed_users(client.get("/admin/users?text=寿光").get_data(as_text=True)) == ["sg_handler", "sg_old"]
    html = client.get("/admin/users?status=disabled").get_data(as_text=True)
    assert listed_users(html) == ["sg_old"] and shown("Disabled") in html
    assert listed_users(client.get("/admin/users?text=%25").get_data(as_text=True)) == []  # % is no wildcard


def test_create_user_with_roles_org_unit_and_enterprise(app, client, create_user):
    create_user("other", roles=["enterprise"])
    enterprise = create_enterprise(make_uscc(7), "潍坊华宇精密机械有限公司", "kuiwen")
    db.session.commit()
    response = client.post(
        "/admin/users/new", data={**NEW_USER, "roles": ["enterprise"], "enterprise_uscc": enterprise.uscc.lower()}
    )
    assert response.status_code == 302
    user = find_user("zhang_san")
    assert user.display_name == "张三" and user.org_unit.code == "kuiwen" and user.role_names == {"enterprise"}
    assert user.enterprise_id == enterprise.id and user.active
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown("User %(name)s created", name="zhang_san") in html
    assert login(new_client(app), "zhang_san", "long-enough-1").status_code == 302


def test_create_user_with_bad_input_shows_errors_next_to_the_fields_and_stores_nothing(client):
    before = user_count()
    response = client.post(
        "/admin/users/new",
        data={**NEW_USER, "username": "9lives", "password": "short", "confirm": "other", "roles": []},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "password") == [shown("The password must have at least %(n)d characters", n=10)]
    assert field_errors(html, "confirm") == [shown("The passwords differ")]
    assert field_errors(html, "roles") == [shown("Choose at least one role")]
    assert field_errors(html, "username") == [
        shown("Start with a letter; use only letters, digits, _ . - (2 to 60 characters)")
    ]
    assert field_errors(html, "display_name") == []
    assert 'value="张三"' in html  # what was typed stays
    assert user_count() == before


def test_duplicate_user_name_and_unknown_enterprise_are_refused(client, create_user):
    create_user("zhang_san", roles=["county_handler"])
    before = user_count()
    html = client.post("/admin/users/new", data=NEW_USER).get_data(as_text=True)
    assert shown("User '%(name)s' already exists", name="zhang_san") in html
    response = client.post("/admin/users/new", data={**NEW_USER, "username": "li_si", "enterprise_uscc": make_uscc(99)})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "enterprise_uscc") == [
        shown("No enterprise with this unified social credit code is registered")
    ]
    assert user_count() == before and find_user("li_si") is None


def test_edit_user_changes_name_unit_roles_and_enterprise(client, create_user):
    user = create_user("wang", roles=["clerk"])
    create_user("spec", roles=["specialist"])
    create_user("owner", roles=["enterprise"])
    enterprise = create_enterprise(make_uscc(3), "潍坊测试有限公司", "shouguang")
    db.session.commit()
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="handler"' not in page
    assert re.search(
        r'<input checked class="form-check-input" id="roles-\d+" name="roles" type="checkbox" value="clerk">', page
    )
    response = client.post(
        f"/admin/users/{user.id}",
        data={"display_name": "王五", "org_unit": "shouguang", "roles": ["specialist", "clerk"], "enterprise_uscc": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = find_user("wang")
    assert (user.display_name, user.org_unit.code, user.role_names, user.enterprise_id) == (
        "王五",
        "shouguang",
        {"specialist", "clerk"},
        None,
    )
    client.post(
        f"/admin/users/{user.id}",
        data={
            "display_name": "王五",
            "org_unit": "shouguang",
            "roles": ["enterprise"],
            "enterprise_uscc": enterprise.uscc,
        },
    )
    db.session.expire_all()
    assert find_user("wang").enterprise_id == enterprise.id and find_user("wang").role_names == {"enterprise"}


def test_edit_user_with_bad_input_keeps_the_user_unchanged(client, create_user, admin):
    user = create_user("wang", roles=["clerk"], display_name="王五")
    response = client.post(
        f"/admin/users/{user.id}", data={"display_name": "", "org_unit": "nowhere", "roles": ["clerk"]}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert len(field_errors(html, "display_name")) == 1  # WTForms' own "required" message
    assert len(field_errors(html, "org_unit")) == 1  # and "not a valid choice"
    response = client.post(
        f"/admin/users/{admin.id}", data={"display_name": "管理员", "org_unit": "weifang", "roles": ["clerk"]}
    )
    assert shown("You cannot take the admin role away from yourself") in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_user("wang").display_name == "王五" and find_user("root").role_names == {"admin"}
    assert find_user("root").display_name == "系统管理员"


def test_disabled_user_cannot_sign_in_until_enabled(app, client, create_user):
    user = create_user("wang", roles=["clerk"])
    response = client.post(f"/admin/users/{user.id}/disable", follow_redirects=True)
    assert shown("User %(name)s is disabled and can no longer sign in", name="wang") in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_user("wang").active is False
    assert login(new_client(app), "wang").status_code == 200  # the login page again, with an error
    client.post(f"/admin/users/{user.id}/enable")
    db.session.expire_all()
    assert find_user("wang").active is True
    assert login(new_client(app), "wang").status_code == 302


def test_an_administrator_cannot_disable_themself(client, admin):
    html = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "disabled title=" in html  # the button is greyed out, and the server refuses anyway
    response = client.post(f"/admin/users/{admin.id}/disable", follow_redirects=True)
    assert shown("You cannot disable your own account") in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_user("root").active is True


def test_reset_password(app, client, create_user):
    user = create_user("wang", roles=["clerk"])
    response = client.post(
        f"/admin/users/{user.id}/password", data={"password": "new-secret-9", "confirm": "new-secret-8"}
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "confirm") == [shown("The passwords differ")]
    assert login(new_client(app), "wang", PASSWORD).status_code == 302  # unchanged
    response = client.post(
        f"/admin/users/{user.id}/password",
        data={"password": "new-secret-9", "confirm": "new-secret-9"},
        follow_redirects=True,
    )
    assert shown("The password of %(name)s was reset", name="wang") in response.get_data(as_text=True)
    assert login(new_client(app), "wang", PASSWORD).status_code == 200
    assert login(new_client(app), "wang", "new-secret-9").status_code == 302


def test_unknown_user_is_404(client):
    assert client.get("/admin/users/9999").status_code == 404


def test_a_long_user_list_pages_with_its_filters_kept(client, create_user):
    for number in range(51):
        create_user(f"clerk{number:02d}", roles=["clerk"], org="kuiwen")
    first = client.get("/admin/users?role=clerk").get_data(as_text=True)
    assert len(listed_users(first)) == 50
    assert 'href="/admin/users?page=2&amp;role=clerk"' in first
    second = client.get("/admin/users?role=clerk&page=2").get_data(as_text=True)
    assert listed_users(second) == ["clerk50"]


def test_roles_are_check_boxes_not_a_multiple_select(client):
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert "<select multiple" not in html and 'name="roles" type="checkbox"' in html
    assert re.search(r'<fieldset class="mb-3" id="roles">\s*<legend', html)


@pytest.mark.parametrize(
    "roles, uscc, field, message",
    [
        (
            ["enterprise"],
            "",
            "enterprise_uscc",
            "An enterprise user needs the unified social credit code of the registered enterprise they act for",
        ),
        (
            ["clerk"],
            "registered",
            "enterprise_uscc",
            "Only enterprise users act for an enterprise: leave the code empty for a staff user, or give the role enterprise only",
        ),
        (
            ["enterprise", "clerk"],
            "registered",
            "roles",
            "An enterprise user cannot also hold staff roles: give them the role enterprise only, and give the staff roles "
            "to a separate staff account",
        ),
    ],
)
def test_an_account_that_would_not_work_is_refused_beside_its_field(client, create_user, roles, uscc, field, message):
    create_user("owner", roles=["enterprise"])
    user = create_user("wang", roles=["clerk"])
    enterprise = create_enterprise(make_uscc(5), "潍坊测试有限公司", "kuiwen")
    db.session.commit()
    uscc = enterprise.uscc if uscc == "registered" else uscc
    before = user_count()
    response = client.post("/admin/users/new", data={**NEW_USER, "roles": roles, "enterprise_uscc": uscc})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field) == [shown(message)]
    assert user_count() == before and find_user("zhang_san") is None
    response = client.post(
        f"/admin/users/{user.id}",
        data={"display_name": "王五", "org_unit": "kuiwen", "roles": roles, "enterprise_uscc": uscc},
    )
    assert response.status_code == 422 and field_errors(response.get_data(as_text=True), field) == [shown(message)]
    db.session.expire_all()
    assert find_user("wang").role_names == {"clerk"} and find_user("wang").enterprise_id is None


def test_the_operations_refuse_a_broken_account_too(create_user):
    from workflow_app.auth.operations import register_user, update_user
    from workflow_app.core.errors import InvalidInput

    create_user("owner", roles=["enterprise"])
    user = create_user("wang", roles=["clerk"])
    enterprise = create_enterprise(make_uscc(6), "潍坊测试有限公司", "kuiwen")
    with pytest.raises(InvalidInput, match="unified social credit code|统一社会信用代码"):
        register_user("li_si", ["enterprise"], "kuiwen", "long-enough-1", "李四")
    with pytest.raises(InvalidInput):
        update_user(user, "王五", "kuiwen", ["clerk"], enterprise)
    with pytest.raises(InvalidInput):
        register_user("li_si", ["clerk"], "kuiwen", "12345678", "李四")
    assert (
        register_user("li_si", ["enterprise"], "kuiwen", "long-enough-1", "李四", enterprise).enterprise_id
        == enterprise.id
    )


@pytest.mark.parametrize(
    "password, message, values",
    [
        ("12345678", "This password is one of the most common ones and is guessed first; choose another", {}),
        ("password123", "This password is one of the most common ones and is guessed first; choose another", {}),
        ("short-1", "The password must have at least %(n)d characters", {"n": 10}),
        ("abcdefghijkl", "Mix letters with digits or symbols in the password", {}),
        ("1029384756", "Mix letters with digits or symbols in the password", {}),
        ("ababababab1", "The password repeats too few characters; use at least four different ones", {}),
        ("Zhang_San-2024", "The password must not contain the user name", {}),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, create_user, password, message, values):
    before = user_count()
    response = client.post("/admin/users/new", data={**NEW_USER, "password": password, "confirm": password})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password") == [shown(message, **values)]
    assert user_count() == before
    user = create_user("zhang_san_2", roles=["clerk"])
    password = password.replace("Zhang_San", "Zhang_San_2")
    response = client.post(f"/admin/users/{user.id}/password", data={"password": password, "confirm": password})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password") == [shown(message, **values)]


def test_changing_ones_own_password_to_a_common_one_is_refused(app, create_user):
    user = create_user("wang", roles=["clerk"])
    own = new_client(app)
    login(own, "wang")
    response = own.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "qwerty12345", "repeat_password": "qwerty12345"},
    )
    assert response.status_code == 422
    assert shown(
        "This password is one of the most common ones and is guessed first; choose another"
    ) in response.get_data(as_text=True)
    db.session.expire_all()
    assert find_user("wang").check_password(PASSWORD) and user.id
