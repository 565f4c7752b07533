"""The stored workflow (kilobytes of JSON per case) is read only where it is used.

Lists of tasks and cases never read it (the API's task list: tests/api/test_api.py); a case page reads it
with its case, and an engine step with the instance's lock, each in the one statement that loads the row.
"""

import pytest

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db


def reading_the_state(seen):
    return [statement for statement, _parameters in seen if "state_json" in statement]


@pytest.mark.parametrize(
    "username, path",
    [
        ("kuiwen_handler", "/inbox?queue=group"),
        ("kuiwen_supervisor", "/inbox?queue=unit"),
        ("city_supervisor", "/cases/"),
        ("city_supervisor", "/cases/?q=华宇"),
    ],
)
def test_lists_do_not_read_the_stored_workflow(bureau, create_referral, client_as, username, path):
    create_referral(HUAYU)
    create_referral(LVYUAN, category="融资", description="企业咨询贷款贴息")
    db.session.commit()
    client = client_as(username)
    with statements_run() as seen:
        page = client.get(path)
    assert page.status_code == 200 and "ZB-" in page.get_data(as_text=True)  # the cases are listed
    assert seen and reading_the_state(seen) == []


def test_a_case_page_and_a_step_read_it_once_with_their_row(bureau, create_referral, client_as):
    case = create_referral(HUAYU)
    db.session.commit()
    with statements_run() as seen:
        page = client_as("kuiwen_handler").get(f"/cases/{case.id}")
    assert page.status_code == 200 and "企业反映社保补贴问题" in page.get_data(as_text=True)  # from the workflow's data
    [read] = reading_the_state(seen)
    assert "case_record" in read  # the case's own query, not a lazy load afterwards

    task = open_task_of(case, "sign_for")
    db.session.expire_all()
    with statements_run() as seen:
        complete_task(task.id, {"sign_decision": "sign", "return_reason": ""}, bureau["kuiwen_handler"].id)
    db.session.commit()
    [read] = reading_the_state(seen)
    assert "FOR UPDATE" in read or db.engine.dialect.name == "sqlite"  # the lock's statement
    assert open_task_of(case).bpmn_id == "handle_specialist"
