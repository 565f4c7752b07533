"""The API's case history shows the automatic steps, each with the variables it changed (issue 28.7)."""

from tests.conftest import open_task_of
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db


def test_the_case_history_has_each_automatic_step_with_what_it_changed(bureau, deploy, create_case, api_as):
    deploy("automatic_steps.bpmn", "category_section.dmn")
    case = create_case("automatic_steps", {"category": "用工", "scratch": 1, "applicant": "华宇"})
    complete_task(open_task_of(case, "enter").id, {"amount": 60}, bureau["kuiwen_handler"].id)
    db.session.commit()
    api = api_as("kuiwen_handler")
    history = api.get(f"/cases/{case.id}").get_json()["history"]
    automatic = [
        (h["kind"], h["step"], h["step_name"], h["actor"], h["data"])
        for h in history
        if h["kind"] in ("script_run", "decision_made", "branch_taken", "timer_fired", "message_received")
    ]
    assert automatic == [
        ("script_run", "compute", "Compute the total", None, {"changed": {"total": 120}, "removed": ["scratch"]}),
        (
            "decision_made",
            "route",
            "Pick the section",
            None,
            {"outputs": {"section": "就业促进与失业保险"}, "changed": {"section": "就业促进与失业保险"}},
        ),
        (
            "branch_taken",
            "gw",
            "Large total?",
            None,
            {"to": [{"step": "await_docs", "name": "Await the documents", "condition": "total > 100"}]},
        ),
    ]
    response = api.post(f"/cases/{case.id}/messages", {"name": "docs_received", "payload": {"pages": 3}})
    assert response.status_code == 200, response.get_json()
    [received] = [h for h in response.get_json()["history"] if h["kind"] == "message_received"]
    assert (received["step"], received["actor"], received["data"]) == (
        "await_docs",
        "kuiwen_handler",
        {"name": "docs_received", "payload": {"pages": 3}, "changed": {"documents": {"pages": 3}}},
    )
