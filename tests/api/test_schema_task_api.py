"""The API's task detail describes a package's JSON Schema form, and completing the task checks it with the same
schema as the page: every refused field named, nothing stored, and a gateway that branches on the person's choice."""

import pytest
import sqlalchemy as sa

from tests.cases.test_schema_tasks import _finished_at, create_permit_case  # noqa: F401 (a fixture)
from tests.conftest import open_task_of
from workflow_app.extensions import db


@pytest.mark.parametrize("decision, end", [("approve", "EndEvent_granted"), ("refuse", "EndEvent_refused")])
def test_the_api_describes_and_checks_the_schema_and_the_gateway_follows_the_choice(
    create_permit_case, api_as, decision, end
):
    from workflow_app.engine.models import AuditEvent

    case = create_permit_case()
    task = open_task_of(case, "Activity_review")
    api = api_as("kuiwen_handler")
    detail = api.get(f"/tasks/{task.id}").get_json()
    assert detail["form"]["schema"]["properties"]["decision"]["oneOf"][0]["const"] == "approve"
    assert detail["form"]["ui_schema"] is not None
    refused = api.post(f"/tasks/{task.id}/complete", {"data": {"decision": "maybe", "colour": "red"}})
    assert refused.status_code == 422
    fields = {d["field"] for d in refused.get_json()["details"]}
    assert {"decision", "colour"} <= fields
    assert open_task_of(case, "Activity_review").state == "open"
    done = api.post(f"/tasks/{task.id}/complete", {"data": {"decision": decision}})
    assert done.status_code == 200, done.get_json()
    assert _finished_at(case)[0] == "completed"
    branch = db.session.scalar(
        sa.select(AuditEvent.data).where(AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "branch_taken")
    )
    assert end in str(branch), branch
    assert _finished_at(case)[1]["decision"] == decision


def test_a_changed_form_leaves_the_waiting_case_its_versions_form(create_permit_case, api_as, tmp_path):
    import json
    import shutil

    from tests.cases.test_schema_tasks import PACKAGE
    from workflow_app.engine.operations import deploy_sources, read_sources

    waiting = create_permit_case()
    changed = tmp_path / "permit-review"
    shutil.copytree(PACKAGE, changed)
    schema = json.loads((changed / "review-schema.json").read_text())
    schema["required"] = ["decision", "reason"]
    (changed / "review-schema.json").write_text(json.dumps(schema, ensure_ascii=False))
    assert [v.version for v in deploy_sources(read_sources([changed])).created] == [2]
    db.session.commit()
    new = create_permit_case()
    api = api_as("kuiwen_handler")
    old_task, new_task = open_task_of(waiting, "Activity_review"), open_task_of(new, "Activity_review")
    assert api.get(f"/tasks/{old_task.id}").get_json()["form"]["schema"]["required"] == ["decision"]
    assert api.get(f"/tasks/{new_task.id}").get_json()["form"]["schema"]["required"] == ["decision", "reason"]
    refused = api.post(f"/tasks/{new_task.id}/complete", {"data": {"decision": "approve"}})
    assert refused.status_code == 422 and refused.get_json()["details"][0]["field"] == "reason"
    assert api.post(f"/tasks/{old_task.id}/complete", {"data": {"decision": "approve"}}).status_code == 200
