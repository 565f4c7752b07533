"""The history of automatic steps (issue 28.7): each script, decision, gateway choice, timer and message the engine
ran, recorded with its step, with the variables it changed; SpiffWorkflow's bookkeeping and the gateways that chose
nothing are not recorded."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from workflow_app.engine.models import AuditEvent
from workflow_app.engine.operations import complete_task, deliver_message, fire_timers
from workflow_app.extensions import db

AUTOMATIC = ("script_run", "decision_made", "branch_taken", "timer_fired", "message_received")


def history(instance_id):
    """(kind, step, actor, data) of every audit event of an instance, in order."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(AuditEvent.kind, AuditEvent.task_bpmn_id, AuditEvent.actor_id, AuditEvent.data)
            .where(AuditEvent.instance_id == instance_id)
            .order_by(AuditEvent.id)
        )
    ]


@pytest.fixture
def automatic_case(deploy, create_case):
    deploy("automatic_steps.bpmn", "category_section.dmn")
    return create_case("automatic_steps", {"category": "社保", "scratch": "temporary", "applicant": "华宇"})


def _enter(case, open_task, user, amount):
    complete_task(open_task(case.instance_id, "enter").id, {"amount": amount}, user.id)
    db.session.commit()


def test_a_script_a_decision_and_a_gateway_are_recorded_with_what_they_changed(
    automatic_case, open_task, user, check_round_trip
):
    _enter(automatic_case, open_task, user, 60)
    check_round_trip(automatic_case.instance_id)
    events = history(automatic_case.instance_id)
    kinds = [kind for kind, *_rest in events]
    assert kinds == ["instance_started", "task_opened", "task_completed", "script_run", "decision_made", "branch_taken"]
    script, decision, branch = events[3:]
    assert script == ("script_run", "compute", None, {"changed": {"total": 120}, "removed": ["scratch"]})
    assert decision == (
        "decision_made",
        "route",
        None,
        {"outputs": {"section": "社会保险服务"}, "changed": {"section": "社会保险服务"}},
    )
    assert branch == (
        "branch_taken",
        "gw",
        None,
        {"to": [{"step": "await_docs", "name": "Await the documents", "condition": "total > 100"}]},
    )


def test_a_message_from_outside_is_recorded_once_with_who_sent_it_and_what_it_set(
    automatic_case, open_task, user, check_round_trip
):
    _enter(automatic_case, open_task, user, 60)
    deliver_message(automatic_case.instance_id, "docs_received", {"pages": 12}, user.id)
    db.session.commit()
    check_round_trip(automatic_case.instance_id)
    received = [event for event in history(automatic_case.instance_id) if event[0] == "message_received"]
    assert received == [
        (
            "message_received",
            "await_docs",
            user.id,
            {"name": "docs_received", "payload": {"pages": 12}, "changed": {"documents": {"pages": 12}}},
        )
    ]
    after = [kind for kind, *_rest in history(automatic_case.instance_id)][-3:]
    assert after == ["message_received", "task_opened", "task_opened"]  # the merge and the fork chose nothing


def test_the_default_way_and_a_timer_fired_later_are_recorded(automatic_case, open_task, user, clock, check_round_trip):
    _enter(automatic_case, open_task, user, 10)
    branch = history(automatic_case.instance_id)[-1]
    assert branch == ("branch_taken", "gw", None, {"to": [{"step": "wait", "name": "Wait a day", "condition": None}]})
    clock.shift_clock(timedelta(days=2))
    assert fire_timers(automatic_case.instance_id) == ["wait"]
    db.session.commit()
    check_round_trip(automatic_case.instance_id)
    fired = [event for event in history(automatic_case.instance_id) if event[0] == "timer_fired"]
    assert fired == [("timer_fired", "wait", None, None)]  # recorded once, by the step that ran it; nothing changed
    kinds = [kind for kind, *_rest in history(automatic_case.instance_id)]
    assert not set(kinds) - {"instance_started", "task_opened", "task_completed", *AUTOMATIC}


def test_a_long_value_is_kept_short_in_the_history(deploy, create_case, open_task, user):
    deploy("automatic_steps.bpmn", "category_section.dmn")
    case = create_case("automatic_steps", {"category": "用工", "scratch": 1})
    _enter(case, open_task, user, "长" * 2000)  # the script doubles the text
    [script] = [event for event in history(case.instance_id) if event[0] == "script_run"]
    total = script[3]["changed"]["total"]
    assert len(total) == 501 and total.endswith("…")
