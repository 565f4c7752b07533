"""Enterprises: register, edit, search; bad or duplicate codes and wrong specialists refused."""
import re

import sqlalchemy as sa

from workflow_app.auth.models import Enterprise
from workflow_app.auth.queries import find_enterprise
from workflow_app.extensions import db
from tests.admin.conftest import field_errors, make_uscc, shown


def enterprise_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise))


def test_register_an_enterprise_with_its_specialist(client, create_user):
    specialist = create_user("kw_spec", roles=["specialist"], display_name="奎文专员")
    code = make_uscc(11)
    response = client.post("/admin/enterprises/new", data={"uscc": code.lower(), "name": "潍坊华宇精密机械有限公司",
                                                           "county": "kuiwen", "specialist": "kw_spec"})
    assert response.status_code == 302
    enterprise = find_enterprise(code)
    assert (enterprise.name, enterprise.county.code, enterprise.specialist_id) == (
        "潍坊华宇精密机械有限公司", "kuiwen", specialist.id)
    html = client.get("/admin/enterprises").get_data(as_text=True)
    assert f'<tr data-uscc="{code}">' in html and "奎文专员" in html


def test_a_bad_uscc_is_refused_next_to_the_field(client):
    bad = make_uscc(12)[:17] + ("0" if make_uscc(12)[17] != "0" else "1")
    response = client.post("/admin/enterprises/new", data={"uscc": bad, "name": "某公司", "county": "kuiwen"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "uscc") == [
        shown("Not a valid unified social credit code (18 characters with a correct check character)")]
    assert enterprise_count() == 0


def test_a_duplicate_uscc_is_refused_clearly(client):
    code = make_uscc(13)
    client.post("/admin/enterprises/new", data={"uscc": code, "name": "第一家", "county": "kuiwen"})
    response = client.post("/admin/enterprises/new", data={"uscc": code, "name": "第二家", "county": "shouguang"})
    assert response.status_code == 422
    assert shown("The unified social credit code %(code)s is already registered for %(name)s", code=code,
                 name="第一家") in response.get_data(as_text=True)
    assert enterprise_count() == 1


def test_the_specialist_must_work_in_the_enterprises_county(client, create_user):
    create_user("sg_spec", roles=["specialist"], org="shouguang", display_name="寿光专员")
    create_user("kw_clerk", roles=["clerk"])
    response = client.post("/admin/enterprises/new", data={"uscc": make_uscc(14), "name": "某公司", "county": "kuiwen",
                                                           "specialist": "sg_spec"})
    assert response.status_code == 422
    assert shown("The specialist %(name)s works in %(unit)s, not in %(county)s", name="寿光专员", unit="寿光市",
                 county="奎文区") in response.get_data(as_text=True)
    response = client.post("/admin/enterprises/new", data={"uscc": make_uscc(14), "name": "某公司", "county": "kuiwen",
                                                           "specialist": "kw_clerk"})
    assert field_errors(response.get_data(as_text=True), "specialist")  # not offered: not a specialist
    assert enterprise_count() == 0


def test_edit_an_enterprise_and_search(client, create_user):
    create_user("sg_spec", roles=["specialist"], org="shouguang")
    client.post("/admin/enterprises/new", data={"uscc": make_uscc(15), "name": "潍坊甲公司", "county": "kuiwen"})
    client.post("/admin/enterprises/new", data={"uscc": make_uscc(16), "name": "寿光乙公司", "county": "shouguang"})
    enterprise = find_enterprise(make_uscc(15))
    response = client.post(f"/admin/enterprises/{enterprise.id}", data={
        "uscc": make_uscc(17), "name": "潍坊甲公司（更名）", "county": "shouguang", "specialist": "sg_spec"})
    assert response.status_code == 302
    db.session.expire_all()
    enterprise = find_enterprise(make_uscc(17))
    assert enterprise.name == "潍坊甲公司（更名）" and enterprise.county.code == "shouguang"
    assert find_enterprise(make_uscc(15)) is None
    response = client.post(f"/admin/enterprises/{enterprise.id}", data={
        "uscc": make_uscc(16), "name": "x", "county": "shouguang"})
    assert shown("The unified social credit code %(code)s is already registered for %(name)s", code=make_uscc(16),
                 name="寿光乙公司") in response.get_data(as_text=True)

    def found(query):
        return re.findall(r'<tr data-uscc="([^"]+)">', client.get(f"/admin/enterprises?{query}").get_data(as_text=True))
    assert found("text=更名") == [make_uscc(17)]
    assert found(f"text={make_uscc(16).lower()}") == [make_uscc(16)]
    assert sorted(found("county=shouguang")) == sorted([make_uscc(16), make_uscc(17)])
    assert found("county=kuiwen") == []
