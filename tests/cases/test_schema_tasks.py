"""A user task whose form is its package's JSON Schema: the page renders it, checks it and keeps what was typed
on a refusal; nothing is stored until it passes."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import DATA, open_task_of
from tests.engine.test_deploy import one_task
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


def test_the_start_page_renders_and_checks_the_start_events_schema(bureau, client_as):
    from workflow_app.cases.models import Case

    deploy_sources(read_sources([PACKAGE]))
    db.session.commit()
    client = client_as("kuiwen_handler")  # the start event's lane
    page = client.get("/cases/new/permit_review").get_data(as_text=True)
    assert 'name="data.company"' in page and "New permit" in page
    refused = client.post("/cases/new/permit_review", data={"data.company": "潍", "data.kind": "old"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert html.count("invalid-feedback") >= 2 and 'value="潍"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    started = client.post(
        "/cases/new/permit_review",
        data={"data.company": "潍坊华宇精密机械有限公司", "data.kind": "renewal", "data.employees": "12"},
    )
    assert started.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    data = current_data(case.instance)
    assert data["kind"] == "renewal" and data["employees"] == 12 and "fee" in data  # the DMN ran on the start data


FILE_TASK = one_task(
    pid="with_proof",
    lane="county_handler",
    name="上传证明材料",
    props=(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="proof-schema.json" />'
        '<spiffworkflow:property name="formUiSchemaFilename" value="proof-uischema.json" />'
    ),
)
PROOF_SCHEMA = (
    '{"type": "object", "required": ["proof"], "properties": {"proof": {"type": "array", "title": "证明材料",'
    ' "minItems": 1, "items": {"type": "string"}}, "licence": {"type": "string", "title": "营业执照"}}}'
)
PROOF_UI = '{"proof": {"ui:widget": "file"}, "licence": {"ui:widget": "file"}}'


def test_a_file_widget_stores_its_files_as_the_cases_attachments(bureau, deploy, create_case, client_as):
    import io

    from workflow_app.cases.models import Attachment

    deploy(sources={"with_proof.bpmn": FILE_TASK, "proof-schema.json": PROOF_SCHEMA, "proof-uischema.json": PROOF_UI})
    case = create_case("with_proof")
    task = open_task_of(case, "ask")
    client = client_as("kuiwen_handler")
    assert 'type="file"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    refused = client.post(
        f"/tasks/{task.id}",
        content_type="multipart/form-data",
        data={"data.proof": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    done = client.post(
        f"/tasks/{task.id}",
        content_type="multipart/form-data",
        data={
            "data.proof": [(io.BytesIO(b"plan"), "plan.txt"), (io.BytesIO(b"list"), "list.txt")],
            "data.licence": (io.BytesIO(b"licence"), "licence.txt"),
        },
    )
    assert done.status_code == 302
    stored = sorted(db.session.scalars(sa.select(Attachment.file_name).where(Attachment.case_id == case.id)))
    assert stored == ["licence.txt", "list.txt", "plan.txt"]
    status, data = _finished_at(case)
    assert status == "completed" and data["proof"] == ["plan.txt", "list.txt"] and data["licence"] == "licence.txt"
