"""The worker survives failing timers: the case stops in error with the message, admins see it and retry it,
and the other cases' timers fire in the same pass."""

import sqlalchemy as sa

from tests.conftest import let_time_pass
from workflow_app.engine.models import AuditEvent, ProcessInstance
from workflow_app.engine.operations import retry_instance
from workflow_app.engine.queries import open_tasks
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


def _reload(instance_id):
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


def test_a_script_failing_after_a_timer_stops_its_case_only(deploy, create_case, check_round_trip):
    deploy("timer_then_script.bpmn")
    bad = create_case("timer_then_script", {"total": 100, "parts": 0})
    good = create_case("timer_then_script", {"total": 100, "parts": 4})
    let_time_pass(0.2)
    counts = run_worker_pass()
    assert counts["fired"] == 2
    failed = _reload(bad.instance_id)
    assert failed.status == "error" and failed.error_message.startswith("Work out the share:")
    assert "division" in failed.error_message
    assert [t.bpmn_id for t in open_tasks(good.instance_id)] == ["check"]
    assert run_worker_pass()["fired"] == 0  # the failed one is not fired again and again
    check_round_trip(bad.instance_id)
    retry_instance(bad.instance_id, {"parts": 5}, None)
    db.session.commit()
    fixed = _reload(bad.instance_id)
    assert fixed.status == "running" and [t.bpmn_id for t in open_tasks(fixed.id)] == ["check"]
    check_round_trip(fixed.id)


def test_an_instance_that_cannot_even_be_loaded_is_stopped_and_shown_to_admins(
    deploy, create_case, client_as, create_user
):
    deploy("timer_then_script.bpmn")
    broken = create_case("timer_then_script", {"total": 1, "parts": 1})
    good = create_case("timer_then_script", {"total": 1, "parts": 1})
    db.session.execute(
        sa.update(ProcessInstance).where(ProcessInstance.id == broken.instance_id).values(state_json='{"broken": ')
    )
    db.session.commit()
    let_time_pass(0.2)
    counts = run_worker_pass()
    assert counts == {"instances": 2, "fired": 1, "failed": 1}
    stopped = _reload(broken.instance_id)
    assert stopped.status == "error" and stopped.error_message.startswith("timer: ")
    assert (
        db.session.scalar(
            sa.select(AuditEvent.kind).where(AuditEvent.instance_id == stopped.id).order_by(AuditEvent.id.desc())
        )
        == "instance_error"
    )
    assert [t.bpmn_id for t in open_tasks(good.instance_id)] == ["check"]
    assert run_worker_pass()["instances"] == 0  # not picked again: it waits for an admin
    create_user("root", roles=("admin",), org="weifang")
    admin = client_as("root")
    listed = admin.get("/admin/repair").get_data(as_text=True)
    assert f"/admin/repair/{stopped.id}" in listed
    page = admin.get(f"/admin/repair/{stopped.id}")
    assert page.status_code == 200 and "timer: " in page.get_data(as_text=True)
    retried = admin.post(f"/admin/repair/{stopped.id}/retry", data={"data_fix": ""}, follow_redirects=True)
    assert retried.status_code == 200 and "JSONDecodeError" in retried.get_data(as_text=True)
    assert _reload(stopped.id).status == "error"
