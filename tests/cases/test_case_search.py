"""The case search: a case whose number, title or enterprise's name contains the text."""

import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN
from workflow_app.auth.models import Enterprise
from workflow_app.cases import queries
from workflow_app.cases.models import Case
from workflow_app.cases.queries import case_text_condition
from workflow_app.extensions import db


def matching(text):
    return sorted(db.session.scalars(sa.select(Case.number).where(case_text_condition(text))))


@pytest.mark.parametrize("listed", [200, 0])  # the enterprises found listed by id, or (too many) as a subquery
def test_the_search_finds_a_case_by_its_number_title_or_enterprise(
    create_referral, deploy, create_case, monkeypatch, listed
):
    monkeypatch.setattr(queries, "_LISTED_ENTERPRISES", listed)
    huayu = create_referral(HUAYU)
    lvyuan = create_referral(LVYUAN, category="用工")
    deploy("straight_line.bpmn")
    lvyuan_id = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == LVYUAN))
    # its title does not name the enterprise: only the enterprise's name finds it
    plain = create_case("straight_line", title="Plain title", enterprise_id=lvyuan_id)

    assert matching(huayu.number) == [huayu.number]
    assert matching(huayu.number.lower()) == [huayu.number]  # letters in either case
    assert matching("用工") == [lvyuan.number]  # the title
    assert matching("绿源食品") == sorted([lvyuan.number, plain.number])  # the title, and the enterprise's name
    assert matching("plain TITLE") == [plain.number]
    assert matching(huayu.number[:4]) == sorted([huayu.number, lvyuan.number])
    assert matching("%") == [] and matching("_") == []  # wildcards are plain characters
    assert matching("不存在的企业") == []


def test_the_top_of_the_org_tree_sees_every_case_and_a_second_top_unit_stays_apart(bureau, create_referral, client_as):
    from workflow_app.auth.operations import create_org_unit
    from workflow_app.cases.operations import start_case
    from workflow_app.cases.queries import CaseFilter, list_cases

    kuiwen, shouguang = create_referral(HUAYU), create_referral(LVYUAN)
    city, county = bureau["city_supervisor"], bureau["kuiwen_supervisor"]

    def listed(user, **filters):
        page = list_cases(user, CaseFilter(**filters), per_page=1, count_up_to=1000)  # a full page: the pager counts
        return page.total, {case.number for case, *_ in list_cases(user, CaseFilter(**filters)).items}

    assert listed(city) == (2, {kuiwen.number, shouguang.number})
    assert listed(city, county="kuiwen") == (1, {kuiwen.number})
    assert listed(city, county="no-such-unit") == (0, set())
    assert listed(city, status="completed") == (0, set())
    assert listed(county) == (1, {kuiwen.number})
    # a second unit at the top of the tree: the city no longer oversees all, and does not see its cases
    other = create_org_unit("other_city", "另一市", "city", None)
    db.session.commit()
    elsewhere = start_case("referral", {"category": "社保", "description": "x"}, other.id, None, "另一市的案件")
    db.session.commit()
    assert listed(city) == (2, {kuiwen.number, shouguang.number})
    assert client_as("city_supervisor").get(f"/cases/{elsewhere.id}").status_code == 404
    assert client_as("city_supervisor").get(f"/cases/{kuiwen.id}").status_code == 200
