"""BPMN patterns through the engine, with a save/load round trip after every step."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import let_time_pass
from workflow_app.core.errors import ConflictError
from workflow_app.engine.models import AuditEvent, Task, Timer
from workflow_app.engine.operations import complete_task, deliver_message
from workflow_app.engine.queries import current_data, instance_timers
from workflow_app.engine.signals import timers_fired
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


def complete(task, data=None, actor_id=None):
    complete_task(task.id, data or {}, actor_id)
    db.session.commit()


def test_straight_line_with_lanes_scripts_and_org_units(case, user, city_unit, org_unit, open_task, check_round_trip):
    instance_id = case.instance_id
    check_round_trip(instance_id)
    enter = open_task(instance_id, "enter")
    assert (enter.role, enter.org_unit_id, enter.sla, enter.name) == ("clerk", org_unit.id, "1wd", "Enter the request")

    complete(enter, {"amount": "12.30"}, user.id)
    check_round_trip(instance_id)
    review = open_task(instance_id, "review")
    assert review.role == "reviewer" and review.org_unit_id == city_unit.id  # orgUnit=city on the task
    assert current_data(case.instance)["total"] == Decimal("24.60")
    assert db.session.get(Task, enter.id).completed_by_id == user.id

    complete(review)
    workflow = check_round_trip(instance_id)
    assert workflow.is_completed()
    assert case.instance.status == "completed" and case.instance.finished_at is not None
    kinds = db.session.scalars(
        sa.select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ).all()
    assert kinds == [
        "instance_started",
        "task_opened",
        "task_completed",
        "script_run",
        "task_opened",
        "task_completed",
        "instance_completed",
    ]


@pytest.mark.parametrize("amount, branch", [(500, "big"), (5, "small")])
def test_exclusive_gateway_takes_the_matching_flow(
    deploy, create_case, open_task, open_bpmn_ids, check_round_trip, amount, branch
):
    deploy("exclusive_gateway.bpmn")
    case = create_case("exclusive_gateway")
    complete(open_task(case.instance_id, "decide"), {"amount": amount})
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == [branch]


def test_parallel_gateway_waits_for_both_branches(deploy, create_case, open_task, open_bpmn_ids, check_round_trip):
    deploy("parallel_gateway.bpmn")
    case = create_case("parallel_gateway")
    assert open_bpmn_ids(case.instance_id) == ["a", "b"]
    complete(open_task(case.instance_id, "a"))
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["b"]
    complete(open_task(case.instance_id, "b"))
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["c"]


def test_call_activity_runs_the_child_process(deploy, create_case, open_task, open_bpmn_ids, check_round_trip):
    deploy("call_activity.bpmn", "child_process.bpmn")
    case = create_case("call_activity")
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["inside"]
    complete(open_task(case.instance_id, "inside"), {"note": "from child"})
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["after"]
    data = current_data(case.instance)
    assert data["child_done"] is True and data["note"] == "from child"


@pytest.mark.parametrize(
    "category, section", [("社保", "社会保险服务"), ("用工", "就业促进与失业保险"), ("其他", "劳动关系")]
)
def test_dmn_task_sets_its_output(deploy, create_case, check_round_trip, category, section):
    deploy("dmn_task.bpmn", "category_section.dmn")
    case = create_case("dmn_task", {"category": category})
    check_round_trip(case.instance_id)
    assert current_data(case.instance)["section"] == section


def _fire_when_due(instance_id, seconds=0.25):
    timers = instance_timers(instance_id)
    assert timers, "the instance should wait on a timer"
    let_time_pass(seconds)
    counts = run_worker_pass()
    db.session.expire_all()
    return counts


def test_interrupting_boundary_timer_cancels_the_task(deploy, create_case, open_bpmn_ids, check_round_trip):
    deploy("timer_interrupting.bpmn")
    case = create_case("timer_interrupting", {"timeout": "PT0.2S"})
    check_round_trip(case.instance_id)
    [timer] = instance_timers(case.instance_id)
    assert timer.bpmn_id == "deadline"
    assert _fire_when_due(case.instance_id)["fired"] == 1
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["escalated"]
    work = db.session.scalar(sa.select(Task).where(Task.instance_id == case.instance_id, Task.bpmn_id == "work"))
    assert work.state == "cancelled"
    assert instance_timers(case.instance_id) == []


def test_non_interrupting_boundary_timer_keeps_the_task(
    deploy, create_case, open_bpmn_ids, open_task, check_round_trip
):
    deploy("timer_noninterrupting.bpmn")
    case = create_case("timer_noninterrupting", {"timeout": "PT0.2S"})
    assert _fire_when_due(case.instance_id)["fired"] == 1
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["reminder_sent", "work"]
    complete(open_task(case.instance_id, "work"))
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["reminder_sent"]


def test_a_fired_timer_tells_the_domains_with_the_data_it_waited_with(deploy, create_case, check_round_trip):
    deploy("timer_noninterrupting.bpmn")
    case = create_case("timer_noninterrupting", {"timeout": "PT0.2S", "customer": "华宇"})
    heard = []

    def listen(instance, fired=None, now=None, **_):
        heard.append((instance.id, {bpmn_id: data.get("customer") for bpmn_id, data in fired.items()}, now))

    timers_fired.connect(listen)
    try:
        assert _fire_when_due(case.instance_id)["fired"] == 1
    finally:
        timers_fired.disconnect(listen)
    check_round_trip(case.instance_id)
    [(instance_id, fired, now)] = heard
    assert instance_id == case.instance_id and fired == {"remind": "华宇"} and now is not None


def test_intermediate_timer_waits_then_continues(deploy, create_case, open_bpmn_ids, check_round_trip):
    deploy("intermediate_timer.bpmn")
    case = create_case("intermediate_timer", {"wait_for": "PT0.2S"})
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == []
    assert case.instance.current_step is None
    assert run_worker_pass()["fired"] == 0  # not yet due
    assert _fire_when_due(case.instance_id)["fired"] == 1
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["visit"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Timer)) == 0


def test_message_from_outside_is_caught(deploy, create_case, open_bpmn_ids, check_round_trip):
    deploy("message_catch.bpmn")
    case = create_case("message_catch")
    assert open_bpmn_ids(case.instance_id) == []
    with pytest.raises(ConflictError, match="没有在等待消息“wrong_name”"):
        deliver_message(case.instance_id, "wrong_name", {})
    db.session.rollback()
    deliver_message(case.instance_id, "docs_received", {"doc_ids": [1, 2]})
    db.session.commit()
    check_round_trip(case.instance_id)
    assert open_bpmn_ids(case.instance_id) == ["check"]
    assert current_data(case.instance)["documents"] == {"doc_ids": [1, 2]}
    with pytest.raises(ConflictError):
        deliver_message(case.instance_id, "docs_received", {})


def test_loop_of_300_iterations_completes(deploy, create_case, open_task, check_round_trip):
    deploy("loop.bpmn")
    case = create_case("loop", {"n": 300})
    check_round_trip(case.instance_id)
    assert current_data(case.instance)["i"] == 300
    complete(open_task(case.instance_id, "confirm"))
    assert check_round_trip(case.instance_id).is_completed()
    assert case.instance.status == "completed"
