"""A user task whose form is its package's JSON Schema: the page renders it, checks it and keeps what was typed
on a refusal; nothing is stored until it passes."""
import re

import pytest

from tests.conftest import DATA, open_task_of
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

PACKAGE = DATA / "packages" / "permit-review"


@pytest.fixture
def create_permit_case(bureau, create_case):
    deploy_sources(read_sources([PACKAGE]))
    db.session.commit()

    def factory(kind="new"):
        return create_case("permit_review", {"company": "潍坊华宇精密机械有限公司", "kind": kind, "employees": 12})
    return factory


@pytest.fixture
def permit_case(create_permit_case):
    return create_permit_case()


def _finished_at(case):
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, case.instance_id)
    return instance.status, current_data(instance)


def test_the_task_page_shows_the_schema_form_and_refuses_beside_the_field(permit_case, client_as):
    task = open_task_of(permit_case, "Activity_review")
    client = client_as("kuiwen_handler")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.decision"' in page and "Approve" in page and 'name="data.reason"' in page
    refused = client.post(f"/tasks/{task.id}", data={"data.decision": "maybe", "data.reason": "看一看"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'is-invalid[^>]*name="data.decision"|name="data.decision"[^>]*is-invalid', html), html[:3000]
    assert "看一看" in html  # what was typed is kept
    assert open_task_of(permit_case, "Activity_review").state == "open"
    done = client.post(f"/tasks/{task.id}", data={"data.decision": "approve", "data.reason": "材料齐全"})
    assert done.status_code == 302
    status, data = _finished_at(permit_case)
    assert status == "completed" and data["decision"] == "approve" and data["reason"] == "材料齐全"
