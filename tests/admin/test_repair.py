"""Case repair: cases in error and suspended, retry with a data fix, suspend/resume/cancel with a reason."""

import json
import re

import pytest
import sqlalchemy as sa

from tests.admin.conftest import field_errors, shown
from tests.engine.test_scripts import process
from workflow_app.engine.models import AuditEvent
from workflow_app.engine.operations import suspend_instance
from workflow_app.engine.queries import current_data, get_instance, open_tasks
from workflow_app.extensions import db


@pytest.fixture
def failed_case(deploy, create_case):
    """A case stopped by a division by zero in its script task."""
    deploy(sources=process("result = 100 / divisor"))
    case = create_case("scripted", {"divisor": 0}, title="除零案件")
    assert case.instance.status == "error"
    return case


def instance(case):
    db.session.expire_all()
    return get_instance(case.instance_id)


def audit(case, kind):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.instance_id == case.instance_id, AuditEvent.kind == kind)
    ).all()


def test_cases_in_error_and_suspended_cases_are_listed(client, failed_case, create_case, admin):
    other = create_case("scripted", {"divisor": 0}, title="另一个")
    suspend_instance(other.instance_id, "waiting for the court", admin.id)
    db.session.commit()
    html = client.get("/admin/repair").get_data(as_text=True)
    failed_section, suspended_section = html.split('id="suspended-cases"')
    assert failed_case.number in failed_section and "除零案件" in failed_section
    assert "division by zero" in failed_section and other.number not in failed_section
    assert other.number in suspended_section and failed_case.number not in suspended_section
    assert shown("in error before suspension") in suspended_section
    assert f"<td>{shown('suspended')} · " in suspended_section  # the status column says it (issue 30.2)
    assert f'href="/admin/repair/{failed_case.instance_id}"' in failed_section


def test_the_repair_page_shows_the_error_and_the_workflow_data(client, failed_case):
    html = client.get(f"/admin/repair/{failed_case.instance_id}").get_data(as_text=True)
    assert failed_case.number in html and "division by zero" in html
    data = re.search(r'<pre[^>]*id="workflow-data"[^>]*><code>(.*?)</code></pre>', html, re.S).group(1)
    assert json.loads(data.replace("&#34;", '"'))["divisor"] == 0
    assert 'id="retry-form"' in html and 'id="resume-form"' not in html
    assert client.get("/admin/repair/9999").status_code == 404


def test_retry_with_a_data_fix_runs_the_case_again(client, failed_case):
    response = client.post(
        f"/admin/repair/{failed_case.instance_id}/retry", data={"data_fix": '{"divisor": 4}'}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert shown("The case was retried and is %(status)s now", status=shown("running")) in html
    repaired = instance(failed_case)
    assert repaired.status == "running" and repaired.error_message is None
    assert current_data(repaired)["result"] == 25
    assert [t.bpmn_id for t in open_tasks(repaired.id)] == ["after"]
    [retried] = audit(failed_case, "instance_retried")
    assert retried.data == {"data_fix": {"divisor": 4}} and retried.actor.username == "root"
    assert failed_case.number not in client.get("/admin/repair").get_data(as_text=True)


def test_retry_without_a_fix_fails_again_and_says_so(client, failed_case):
    response = client.post(
        f"/admin/repair/{failed_case.instance_id}/retry", data={"data_fix": ""}, follow_redirects=True
    )
    assert "division by zero" in response.get_data(as_text=True)
    assert instance(failed_case).status == "error" and len(audit(failed_case, "instance_retried")) == 1


@pytest.mark.parametrize(
    "data_fix, message, values",
    [
        (
            '{"divisor": 4',
            "The data fix is not valid JSON (line %(line)d, column %(column)d)",
            {"line": 1, "column": 14},
        ),
        ("[4]", 'The data fix must be a JSON object in braces, like {"divisor": 4}', {}),
    ],
)
def test_a_data_fix_that_is_not_a_json_object_is_refused(client, failed_case, data_fix, message, values):
    response = client.post(f"/admin/repair/{failed_case.instance_id}/retry", data={"data_fix": data_fix})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "data_fix") == [shown(message, **values)]
    assert instance(failed_case).status == "error" and audit(failed_case, "instance_retried") == []


def test_suspend_and_resume_need_a_reason(client, failed_case):
    url = f"/admin/repair/{failed_case.instance_id}"
    response = client.post(f"{url}/suspend", data={"suspend-reason": "  "})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "suspend-reason") == [shown("Give a reason")]
    assert instance(failed_case).status == "error" and audit(failed_case, "instance_suspended") == []

    response = client.post(f"{url}/suspend", data={"suspend-reason": "核实企业信息"}, follow_redirects=True)
    assert shown("The case is %(status)s now", status=shown("suspended")) in response.get_data(as_text=True)
    assert instance(failed_case).status == "suspended"
    assert audit(failed_case, "instance_suspended")[0].data == {"reason": "核实企业信息"}

    response = client.post(f"{url}/resume", data={"resume-reason": ""})
    assert field_errors(response.get_data(as_text=True), "resume-reason") == [shown("Give a reason")]
    assert instance(failed_case).status == "suspended"
    client.post(f"{url}/resume", data={"resume-reason": "已核实"})
    assert instance(failed_case).status == "error"  # it remembers its error
    assert audit(failed_case, "instance_error")[-1].data["reason"] == "已核实"


def test_cancel_needs_a_reason_and_closes_the_case(client, deploy, create_case):
    deploy(sources=process("result = 1"))
    case = create_case("scripted")
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["after"]
    url = f"/admin/repair/{case.instance_id}"
    response = client.post(f"{url}/cancel", data={})
    assert field_errors(response.get_data(as_text=True), "cancel-reason") == [shown("Give a reason")]
    assert instance(case).status == "running"
    response = client.post(f"{url}/cancel", data={"cancel-reason": "重复登记"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert shown("The case is %(status)s now", status=shown("cancelled")) in html
    assert shown("The case is closed; nothing can be repaired.") in html
    assert instance(case).status == "cancelled" and open_tasks(case.instance_id) == []
    assert audit(case, "instance_cancelled")[0].data == {"reason": "重复登记"}


def test_a_conflicting_action_is_a_message_not_an_error_page(client, deploy, create_case):
    deploy(sources=process("result = 1"))
    case = create_case("scripted")
    url = f"/admin/repair/{case.instance_id}"
    response = client.post(f"{url}/resume", data={"resume-reason": "why not"}, follow_redirects=True)
    assert response.status_code == 200
    assert shown("Only a suspended case can be resumed") in response.get_data(as_text=True)
    response = client.post(f"{url}/retry", data={"data_fix": "{}"}, follow_redirects=True)
    assert shown("Only a case stopped by an error can be retried") in response.get_data(as_text=True)
    assert instance(case).status == "running" and audit(case, "instance_retried") == []
