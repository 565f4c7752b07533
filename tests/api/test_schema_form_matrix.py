"""Every JSON Schema keyword and format the forms support, refused through the API and the page of a deployed
package's task (the matrix of tests/forms/test_schema_forms.py, now end to end, on both databases): each refusal a
422 naming its field with its message, nothing stored, and the valid data completes the task."""

import json

import pytest

from tests.conftest import open_task_of
from tests.engine.test_deploy import one_task
from tests.forms.test_schema_forms import INVALID_CASES, SCHEMA, UI_SCHEMA, VALID, changed
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.operations import deploy_sources
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

# a one-task process whose task names the matrix's form
BPMN = one_task(
    pid="form_matrix",
    lane="county_handler",
    name="填写申请",
    props=(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="matrix-schema.json" />'
        '<spiffworkflow:property name="formUiSchemaFilename" value="matrix-uischema.json" />'
    ),
)


def _json_safe(value) -> bool:
    """Whether a value can travel in a JSON body (NaN and infinities cannot)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


@pytest.fixture
def matrix_case(bureau, create_case):
    deploy_sources(
        {
            "form_matrix.bpmn": BPMN.encode(),
            "matrix-schema.json": json.dumps(SCHEMA).encode(),
            "matrix-uischema.json": json.dumps(UI_SCHEMA).encode(),
        }
    )
    db.session.commit()
    return create_case("form_matrix")


def test_each_keyword_and_format_is_refused_by_the_api_naming_the_field(matrix_case, api_as):
    task = open_task_of(matrix_case, "ask")
    api = api_as("kuiwen_handler")
    wrong = []
    for name, changes, path, message in INVALID_CASES:
        data = changed(changes)
        if not _json_safe(data):
            continue  # NaN cannot be sent as JSON (the page's test covers typing "NaN")
        answer = api.post(f"/tasks/{task.id}/complete", {"data": data})
        details = answer.get_json().get("details", [])
        if answer.status_code != 422 or {"field": path, "message": message} not in details:
            wrong.append((name, answer.status_code, details))
    assert wrong == []
    assert open_task_of(matrix_case, "ask").state == "open"  # no refusal stored anything
    done = api.post(f"/tasks/{task.id}/complete", {"data": VALID})
    assert done.status_code == 200, done.get_json()
    instance = db.session.get(ProcessInstance, matrix_case.instance_id)
    db.session.refresh(instance)
    assert instance.status == "completed" and current_data(instance)["trainees"][0]["name"] == "张三"


# flat fields as a browser posts them: (field, typed value, the message beside it)
PAGE_CASES = [
    ("unit_name", "潍", "‘用人单位名称’不能少于 2 个字"),
    ("uscc", "91370700MA3C4XY0X3", None),
    ("mobile", "12812345678", None),
    ("postcode", "26100", None),
    ("amount", "12.345", None),
    ("start_date", "0001-01-01", None),
    ("trainee_count", "NaN", "‘见习人数’应填写整数"),
]


@pytest.mark.parametrize("field, typed, message", PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
def test_a_refusal_on_the_page_is_beside_its_field(matrix_case, client_as, field, typed, message):
    task = open_task_of(matrix_case, "ask")
    posted = {
        "data.unit_name": "潍坊华宇",
        "data.uscc": VALID["uscc"],
        "data.trainee_count": "2",
        "data.trainees.0.name": "张三",
        "data.trainees.0.id_number": VALID["trainees"][0]["id_number"],
        "data.promise": "y",
        f"data.{field}": typed,
    }
    page = client_as("kuiwen_handler").post(f"/tasks/{task.id}", data=posted)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    start = html.index(f'name="data.{field}"')
    beside = html[start : start + 1500]
    assert "invalid-feedback" in beside
    if message:
        assert message in beside
    assert open_task_of(matrix_case, "ask").state == "open"
