"""Issue 29's acceptance: adding a field to a bureau form is an edit of a JSON file plus a redeploy. The installment
agreement's package is copied, its agency check form (check-schema.json) gains a field, the copy is deployed; a new
case's check shows the field on the task page and in the API's form description, takes it, and keeps it."""

import json
import shutil
from pathlib import Path

import pytest

from tests.api.conftest import api_as, create_token  # noqa: F401 (fixtures)
from tests.conftest import open_task_of
from workflow_app.cases.queries import described_audit_events
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db

PACKAGE = "installment_agreement"
NEW_FIELD = {"type": "string", "title": "实地核查记录", "maxLength": 500}


@pytest.fixture
def edited_package(app, tmp_path):
    """The package copied from bpmn/ with one more field in its agency check form and its layout, as an analyst
    edits them (its policy table left out: the deploy keeps the one in force, which the demo extended)."""
    package = tmp_path / PACKAGE
    shutil.copytree(Path(app.config["BPMN_DIR"]) / PACKAGE, package)
    (package / "installment_policy.dmn").unlink()
    schema_file = package / "check-schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    schema["properties"]["site_visit_note"] = NEW_FIELD
    schema_file.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    ui_file = package / "check-uischema.json"  # its layout lists the fields in order: the new one goes last
    ui_schema = json.loads(ui_file.read_text(encoding="utf-8"))
    ui_schema["ui:order"] = [*ui_schema.get("ui:order", []), "site_visit_note"]
    ui_schema["site_visit_note"] = {"ui:widget": "textarea"}
    ui_file.write_text(json.dumps(ui_schema, ensure_ascii=False, indent=2), encoding="utf-8")
    return package


def test_a_field_added_to_a_bureau_forms_json_shows_on_the_page_and_in_the_api_after_a_redeploy(
    create_agreement_case, edited_package, client_as, api_as
):
    before = create_agreement_case("applied")
    old_task = open_task_of(before, "agency_check")
    agency = client_as("agency")
    assert 'name="data.site_visit_note"' not in agency.get(f"/tasks/{old_task.id}").get_data(as_text=True)

    result = deploy_sources(read_sources([edited_package]))
    db.session.commit()
    assert [version.process_id for version in result.created] == [PACKAGE]

    case = create_agreement_case("applied")
    task = open_task_of(case, "agency_check")
    page = agency.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="data.site_visit_note"' in page and "实地核查记录" in page
    api = api_as("agency")
    described = api.get(f"/tasks/{task.id}").get_json()["form"]["schema"]["properties"]
    assert described["site_visit_note"] == NEW_FIELD
    done = api.post(
        f"/tasks/{task.id}/complete",
        {"data": {"check_decision": "approve", "deferral_confirmed": True, "site_visit_note": "已到企业核实缓缴台账"}},
    )
    assert done.status_code == 200, done.get_json()
    assert current_data(case.instance)["site_visit_note"] == "已到企业核实缓缴台账"
    history = [pair for entry in described_audit_events(case.instance_id) for pair in entry.described]
    assert ("实地核查记录", "已到企业核实缓缴台账") in history
    # the case that started before keeps its version's form
    assert 'name="data.site_visit_note"' not in agency.get(f"/tasks/{old_task.id}").get_data(as_text=True)
