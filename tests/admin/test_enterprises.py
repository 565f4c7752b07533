"""Enterprises: register, edit, search; bad or duplicate codes and wrong specialists refused."""

import re

import pytest
import sqlalchemy as sa

from tests.admin.conftest import field_errors, make_uscc, shown
from workflow_app.auth.models import Enterprise
from workflow_app.auth.operations import EnterpriseDetails, register_enterprise
from workflow_app.auth.queries import find_enterprise
from workflow_app.core.uscc import org_code_check_char, uscc_check_char
from workflow_app.extensions import db


def enterprise_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise))


def test_register_an_enterprise_with_its_specialist(client, create_user):
    specialist = create_user("kw_spec", roles=["specialist"], display_name="奎文专员")
    code = make_uscc(11)
    response = client.post(
        "/admin/enterprises/new",
        data={"uscc": code.lower(), "name": "潍坊华宇精密机械有限公司", "county": "kuiwen", "specialist": "kw_spec"},
    )
    assert response.status_code == 302
    enterprise = find_enterprise(code)
    assert (enterprise.name, enterprise.county.code, enterprise.specialist_id) == (
        "潍坊华宇精密机械有限公司",
        "kuiwen",
        specialist.id,
    )
    html = client.get("/admin/enterprises").get_data(as_text=True)
    assert f'<tr data-uscc="{code}">' in html and "奎文专员" in html


def test_a_bad_uscc_is_refused_next_to_the_field(client):
    bad = make_uscc(12)[:17] + ("0" if make_uscc(12)[17] != "0" else "1")
    response = client.post("/admin/enterprises/new", data={"uscc": bad, "name": "某公司", "county": "kuiwen"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "uscc") == [
        shown("The check character (the last one) does not match the first 17; check what was typed")
    ]
    assert enterprise_count() == 0


def test_a_duplicate_uscc_is_refused_clearly(client):
    code = make_uscc(13)
    client.post("/admin/enterprises/new", data={"uscc": code, "name": "第一家", "county": "kuiwen"})
    response = client.post("/admin/enterprises/new", data={"uscc": code, "name": "第二家", "county": "shouguang"})
    assert response.status_code == 422
    assert shown(
        "The unified social credit code %(code)s is already registered for %(name)s", code=code, name="第一家"
    ) in response.get_data(as_text=True)
    assert enterprise_count() == 1


def test_the_specialist_must_work_in_the_enterprises_county(client, create_user):
    create_user("sg_spec", roles=["specialist"], org="shouguang", display_name="寿光专员")
    create_user("kw_clerk", roles=["clerk"])
    response = client.post(
        "/admin/enterprises/new",
        data={"uscc": make_uscc(14), "name": "某公司", "county": "kuiwen", "specialist": "sg_spec"},
    )
    assert response.status_code == 422
    assert shown(
        "The specialist %(name)s works in %(unit)s, not in %(county)s", name="寿光专员", unit="寿光市", county="奎文区"
    ) in response.get_data(as_text=True)
    response = client.post(
        "/admin/enterprises/new",
        data={"uscc": make_uscc(14), "name": "某公司", "county": "kuiwen", "specialist": "kw_clerk"},
    )
    assert field_errors(response.get_data(as_text=True), "specialist")  # not offered: not a specialist
    assert enterprise_count() == 0


def test_edit_an_enterprise_and_search(client, create_user):
    create_user("sg_spec", roles=["specialist"], org="shouguang")
    client.post("/admin/enterprises/new", data={"uscc": make_uscc(15), "name": "潍坊甲公司", "county": "kuiwen"})
    client.post("/admin/enterprises/new", data={"uscc": make_uscc(16), "name": "寿光乙公司", "county": "shouguang"})
    enterprise = find_enterprise(make_uscc(15))
    response = client.post(
        f"/admin/enterprises/{enterprise.id}",
        data={"uscc": make_uscc(17), "name": "潍坊甲公司（更名）", "county": "shouguang", "specialist": "sg_spec"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    enterprise = find_enterprise(make_uscc(17))
    assert enterprise.name == "潍坊甲公司（更名）" and enterprise.county.code == "shouguang"
    assert find_enterprise(make_uscc(15)) is None
    response = client.post(
        f"/admin/enterprises/{enterprise.id}", data={"uscc": make_uscc(16), "name": "x", "county": "shouguang"}
    )
    assert shown(
        "The unified social credit code %(code)s is already registered for %(name)s",
        code=make_uscc(16),
        name="寿光乙公司",
    ) in response.get_data(as_text=True)

    def found(query):
        return re.findall(r'<tr data-uscc="([^"]+)">', client.get(f"/admin/enterprises?{query}").get_data(as_text=True))

    assert found("text=更名") == [make_uscc(17)]
    assert found(f"text={make_uscc(16).lower()}") == [make_uscc(16)]
    assert sorted(found("county=shouguang")) == sorted([make_uscc(16), make_uscc(17)])
    assert found("county=kuiwen") == []


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_the_register_keeps_the_legal_representative_contact_street_and_key_flag(client):
    code = make_uscc(21)
    response = client.post(
        "/admin/enterprises/new",
        data={
            "uscc": full_width(code[:8]) + " " + code[8:].lower(),
            "name": "潍坊华宇精密机械有限公司",
            "county": "kuiwen",
            "street": "广文街道",
            "legal_representative": "王建华",
            "contact_person": "张丽",
            "contact_phone": "（0536）8123456",
            "key_enterprise": "y",
        },
    )
    assert response.status_code == 302
    enterprise = find_enterprise(code)  # the code as typed with a Chinese input method, stored as written
    assert (
        enterprise.legal_representative,
        enterprise.contact_person,
        enterprise.contact_phone,
        enterprise.street,
        enterprise.key_enterprise,
        enterprise.awaiting_confirmation,
    ) == ("王建华", "张丽", "0536-8123456", "广文街道", True, False)
    html = client.get("/admin/enterprises").get_data(as_text=True)
    row = html[html.index(f'<tr data-uscc="{code}">') :]
    row = row[: row.index("</tr>")]
    assert "王建华" in row and "张丽" in row and "0536-8123456" in row and "广文街道" in row
    assert "data-key-enterprise" in row and "data-awaiting" not in row
    page = client.get(f"/admin/enterprises/{enterprise.id}").get_data(as_text=True)
    assert 'value="王建华"' in page and 'value="0536-8123456"' in page and "checked" in page
    response = client.post(
        f"/admin/enterprises/{enterprise.id}",
        data={
            "uscc": code,
            "name": enterprise.name,
            "county": "kuiwen",
            "street": "",
            "legal_representative": "王建国",
            "contact_person": "张丽",
            "contact_phone": "13605361234",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    enterprise = find_enterprise(code)
    assert (
        enterprise.legal_representative,
        enterprise.contact_phone,
        enterprise.street,
        enterprise.key_enterprise,
    ) == ("王建国", "13605361234", None, False)


def test_a_phone_that_is_no_number_is_refused_next_to_the_field(client):
    response = client.post(
        "/admin/enterprises/new",
        data={"uscc": make_uscc(22), "name": "某公司", "county": "kuiwen", "contact_phone": "8123456"},
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "contact_phone") == [
        shown("Give a mobile number (11 digits starting with 1) or a landline with its area code, such as 0536-8123456")
    ]
    assert enterprise_count() == 0


@pytest.mark.parametrize(
    "typed, message, values",
    [
        ("000000000000000000", "%(code)s is not a unified social credit code", {"code": "000000000000000000"}),
        (
            "91000000MA3C0A019" + uscc_check_char("91000000MA3C0A019"),
            "Characters 3 to 8, the administrative division code %(part)s, name no province (%(province)s is none)",
            {"part": "000000", "province": "00"},
        ),
    ],
)
def test_a_code_of_no_structure_is_refused_naming_its_part(client, typed, message, values):
    response = client.post("/admin/enterprises/new", data={"uscc": typed, "name": "某公司", "county": "kuiwen"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "uscc") == [shown(message, **values)]
    assert enterprise_count() == 0


def test_a_code_issued_outside_the_city_is_registered_with_a_warning_that_stays_on_the_record(client):
    first17 = "91370102MA3C0A01" + org_code_check_char("MA3C0A01")  # issued in Jinan (370102)
    code = first17 + uscc_check_char(first17)
    response = client.post(
        "/admin/enterprises/new", data={"uscc": code, "name": "济南迁入公司", "county": "kuiwen"}, follow_redirects=True
    )
    warning = shown(
        "The code was issued in division %(division)s, outside the city's (%(prefix)sxx), though the "
        "enterprise is in %(county)s: check it against the business licence",
        division="370102",
        prefix="3707",
        county="奎文区",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and find_enterprise(code) is not None  # not refused: enterprises move
    assert html.count(warning) == 2  # flashed, and beside its code in the list (its badge's title)
    assert f'title="{warning}" data-division-warning>{shown("Issued outside the city")}<' in html
    page = client.get(f"/admin/enterprises/{find_enterprise(code).id}").get_data(as_text=True)
    assert f'id="division-warning">{warning}<' in page
    weifang = make_uscc(23)
    client.post("/admin/enterprises/new", data={"uscc": weifang, "name": "奎文本地公司", "county": "kuiwen"})
    assert 'id="division-warning"' not in client.get(f"/admin/enterprises/{find_enterprise(weifang).id}").get_data(
        as_text=True
    )


def awaiting(client) -> list[str]:
    return re.findall(r'<tr data-uscc="([^"]+)">', client.get("/admin/enterprises/awaiting").get_data(as_text=True))


def test_an_entry_a_dispatcher_registered_waits_for_an_admin_who_confirms_it(client):
    first = register_enterprise(make_uscc(24), "潍坊新动能智能装备有限公司", "kuiwen", awaiting_confirmation=True)
    second = register_enterprise(make_uscc(25), "寿光新落地项目公司", "shouguang", awaiting_confirmation=True)
    register_enterprise(make_uscc(26), "已确认公司", "kuiwen")
    db.session.commit()
    assert awaiting(client) == [make_uscc(24), make_uscc(25)]
    assert "data-awaiting" in client.get("/admin/enterprises").get_data(as_text=True)
    response = client.post(f"/admin/enterprises/{first.id}/confirm", data={}, follow_redirects=True)
    assert shown("%(name)s confirmed on the register", name="潍坊新动能智能装备有限公司") in response.get_data(
        as_text=True
    )
    assert awaiting(client) == [make_uscc(25)]
    # the other is checked against its licence: its name and legal representative corrected, then confirmed
    page = client.get(f"/admin/enterprises/{second.id}").get_data(as_text=True)
    assert shown("Save and confirm") in page
    response = client.post(
        f"/admin/enterprises/{second.id}",
        data={
            "uscc": make_uscc(25),
            "name": "寿光市新落地项目有限公司",
            "county": "shouguang",
            "legal_representative": "刘强",
            "confirm": "1",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/enterprises/awaiting")
    db.session.expire_all()
    second = find_enterprise(make_uscc(25))
    assert (second.name, second.legal_representative, second.awaiting_confirmation) == (
        "寿光市新落地项目有限公司",
        "刘强",
        False,
    )
    assert awaiting(client) == []
    assert shown("No enterprise awaits confirmation.") in client.get("/admin/enterprises/awaiting").get_data(
        as_text=True
    )


def test_saving_without_confirming_keeps_the_entry_waiting_and_confirming_twice_is_refused(client):
    entry = register_enterprise(make_uscc(27), "待确认公司", "kuiwen", awaiting_confirmation=True)
    db.session.commit()
    response = client.post(
        f"/admin/enterprises/{entry.id}", data={"uscc": make_uscc(27), "name": "待确认公司（更正）", "county": "kuiwen"}
    )
    assert response.status_code == 302
    assert awaiting(client) == [make_uscc(27)]
    client.post(f"/admin/enterprises/{entry.id}/confirm", data={})
    response = client.post(f"/admin/enterprises/{entry.id}/confirm", data={}, follow_redirects=True)
    assert shown("%(name)s is not awaiting confirmation", name="待确认公司（更正）") in response.get_data(as_text=True)


def test_the_register_refuses_details_that_do_not_fit_whoever_calls_it(app):
    from workflow_app.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="0536"):
        register_enterprise(make_uscc(28), "某公司", "kuiwen", details=EnterpriseDetails(contact_phone="123"))
    with pytest.raises(InvalidInput):
        register_enterprise(
            make_uscc(28), "某公司", "kuiwen", details=EnterpriseDetails(legal_representative="王" * 51)
        )
    db.session.rollback()
    assert enterprise_count() == 0


def test_an_entry_whose_stored_code_fails_the_check_is_flagged_for_correction(client):
    from workflow_app.auth.queries import find_org_unit

    old = "91370705MA3C0A011" + uscc_check_char("91370705MA3C0A011")  # the demo's code before the structure check
    db.session.add(Enterprise(uscc=old, name="旧码公司", county=find_org_unit("kuiwen")))
    db.session.commit()
    html = client.get("/admin/enterprises").get_data(as_text=True)
    assert html.count("data-code-problem") == 1
    row = html[html.index(f'<tr data-uscc="{old}">') :]
    assert "data-code-problem" in row[: row.index("</tr>")]
