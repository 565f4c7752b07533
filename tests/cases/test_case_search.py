"""The case search: a case whose number, title or enterprise's name contains the text."""
import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Case
from workflow_app.cases import queries
from workflow_app.cases.queries import case_text_condition
from workflow_app.extensions import db


def matching(text):
    return sorted(db.session.scalars(sa.select(Case.number).where(case_text_condition(text))))


@pytest.mark.parametrize("listed", [200, 0])  # the enterprises found listed by id, or (too many) as a subquery
def test_the_search_finds_a_case_by_its_number_title_or_enterprise(create_referral, deploy, create_case, monkeypatch,
                                                                   listed):
    monkeypatch.setattr(queries, "_LISTED_ENTERPRISES", listed)
    huayu = create_referral(HUAYU)
    lvyuan = create_referral(LVYUAN, category="用工")
    deploy("straight_line.bpmn")
    lvyuan_id = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == LVYUAN))
    # its title does not name the enterprise: only the enterprise's name finds it
    plain = create_case("straight_line", title="Plain title", enterprise_id=lvyuan_id)

    assert matching(huayu.number) == [huayu.number]
    assert matching(huayu.number.lower()) == [huayu.number]          # letters in either case
    assert matching("用工") == [lvyuan.number]                         # the title
    assert matching("绿源食品") == sorted([lvyuan.number, plain.number])  # the title, and the enterprise's name
    assert matching("plain TITLE") == [plain.number]
    assert matching(huayu.number[:4]) == sorted([huayu.number, lvyuan.number])
    assert matching("%") == [] and matching("_") == []               # wildcards are plain characters
    assert matching("不存在的企业") == []
