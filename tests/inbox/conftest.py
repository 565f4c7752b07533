"""Referrals registered by the demo dispatcher, for the inbox and case-page tests."""
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from forms.referral import ReferralRegistrationForm
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import register_referral
from workflow_app.engine.models import Task
from workflow_app.extensions import db

HUAYU = "潍坊华宇精密机械有限公司"      # kuiwen
LVYUAN = "寿光市绿源食品加工有限公司"   # shouguang


@pytest.fixture
def create_referral(bureau):
    def factory(enterprise=HUAYU, category="社保", labour_shortage=False, description="企业反映社保补贴问题"):
        uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == enterprise))
        data = {"enterprise_uscc": uscc, "category": category, "description": description, "source": "市工业运行指挥部"}
        if labour_shortage:
            data["labour_shortage"] = "y"
        form = ReferralRegistrationForm(formdata=MultiDict(data))
        assert form.validate(), form.errors
        case = register_referral(form.task_data(), bureau["dispatcher"])
        db.session.commit()
        return case
    return factory


@pytest.fixture
def referral(create_referral):
    return create_referral()


def open_task_of(case, bpmn_id=None):
    db.session.expire_all()
    statement = sa.select(Task).where(Task.instance_id == case.instance_id, Task.state == "open")
    if bpmn_id:
        statement = statement.where(Task.bpmn_id == bpmn_id)
    return db.session.scalars(statement).one()
