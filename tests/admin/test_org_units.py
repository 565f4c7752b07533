"""Org units: the tree, create and edit; duplicate codes and parent cycles refused."""

import re

import sqlalchemy as sa

from tests.admin.conftest import field_errors, shown
from workflow_app.auth.models import OrgUnit
from workflow_app.auth.queries import find_org_unit
from workflow_app.extensions import db


def tree_rows(html):
    return re.findall(r'<tr data-unit="([^"]+)" data-depth="(\d+)">', html)


def test_org_units_are_listed_as_a_tree_indented_by_level(client):
    client.post(
        "/admin/org-units/new", data={"code": "kw_dongguan", "name": "东关街道", "level": "street", "parent": "kuiwen"}
    )
    html = client.get("/admin/org-units").get_data(as_text=True)
    assert tree_rows(html) == [("weifang", "0"), ("kuiwen", "1"), ("kw_dongguan", "2"), ("shouguang", "1")]
    assert "padding-left: 4.0rem" in html  # the street sits two steps in
    assert shown("Street / town") in html


def test_create_org_unit_and_refuse_a_duplicate_code(client):
    response = client.post(
        "/admin/org-units/new", data={"code": "fangzi", "name": "坊子区", "level": "county", "parent": "weifang"}
    )
    assert response.status_code == 302
    unit = find_org_unit("fangzi")
    assert (unit.name, unit.level, unit.parent.code) == ("坊子区", "county", "weifang")
    response = client.post(
        "/admin/org-units/new", data={"code": "fangzi", "name": "另一个", "level": "county", "parent": "weifang"}
    )
    assert response.status_code == 422
    assert shown(
        "The org unit code '%(code)s' is already used by %(name)s", code="fangzi", name="坊子区"
    ) in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit).where(OrgUnit.code == "fangzi")) == 1


def test_required_fields_are_marked_next_to_them(client):
    response = client.post("/admin/org-units/new", data={"code": "", "name": "", "level": "planet", "parent": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "code") and field_errors(html, "name") and field_errors(html, "level")
    assert field_errors(html, "parent") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 3


def test_edit_org_unit(client):
    kuiwen = find_org_unit("kuiwen")
    page = client.get(f"/admin/org-units/{kuiwen.id}").get_data(as_text=True)
    assert 'value="kuiwen"' in page and '<option selected value="weifang">' in page
    response = client.post(
        f"/admin/org-units/{kuiwen.id}",
        data={"code": "kuiwen_qu", "name": "奎文区（新）", "level": "county", "parent": "weifang"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert find_org_unit("kuiwen") is None and find_org_unit("kuiwen_qu").name == "奎文区（新）"


def test_a_parent_cycle_is_refused_and_nothing_changes(client):
    client.post(
        "/admin/org-units/new", data={"code": "kw_street", "name": "东关街道", "level": "street", "parent": "kuiwen"}
    )
    weifang = find_org_unit("weifang")
    for parent, parent_name in (("kw_street", "东关街道"), ("kuiwen", "奎文区"), ("weifang", weifang.name)):
        response = client.post(
            f"/admin/org-units/{weifang.id}",
            data={"code": "weifang", "name": "改名", "level": "city", "parent": parent},
        )
        assert response.status_code == 422
        assert shown(
            "%(parent)s is %(name)s itself or one of its sub-units, so it cannot be its parent",
            parent=parent_name,
            name=weifang.name,
        ) in response.get_data(as_text=True)
        db.session.expire_all()
        weifang = find_org_unit("weifang")
        assert weifang.parent_id is None and weifang.name == "潍坊市人力资源和社会保障局"
