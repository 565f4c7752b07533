"""SLA clocks with a controllable clock: task, phase and case clocks; pauses; extensions; send-backs."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from tests.sla.conftest import sh
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.engine.operations import cancel_instance, complete_task, resume_instance, suspend_instance
from workflow_app.extensions import db
from workflow_app.sla.clocks import clock_state, elapsed
from workflow_app.sla.models import SlaClock

HOUR = timedelta(hours=1)


def clocks(case, kind, phase=None):
    db.session.expire_all()
    query = sa.select(SlaClock).where(SlaClock.instance_id == case.instance_id, SlaClock.kind == kind)
    if phase:
        query = query.where(SlaClock.phase == phase)
    return list(db.session.scalars(query.order_by(SlaClock.id)))


def task_clock(case, bpmn_id):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(SlaClock)
        .join(Task, Task.id == SlaClock.task_id)
        .where(SlaClock.instance_id == case.instance_id, Task.bpmn_id == bpmn_id)
        .order_by(SlaClock.id.desc())
    )


def complete(case, bpmn_id, user, data=None):
    task = open_task_of(case, bpmn_id)
    complete_task(task.id, data or {}, user.id)
    db.session.commit()


@pytest.fixture
def pause_case(deploy, create_case, create_user, set_clock):
    deploy("sla_pause.bpmn")
    clerk = create_user("clerk1", roles=("clerk",))
    clerk_ent = create_user("ent1", roles=("enterprise",))
    set_clock("2026-11-23 09:00")  # Monday
    return create_case("sla_pause"), clerk, clerk_ent


def test_the_phase_and_case_clocks_pause_while_the_enterprise_has_the_case(app, pause_case, set_clock, clock):
    case, clerk, enterprise = pause_case
    (phase,) = clocks(case, "phase", "handling")
    assert phase.due_at == sh("2026-11-26 17:30")  # 3 wd from Monday 09:00
    set_clock("2026-11-24 09:00")
    complete(case, "prepare", clerk)
    phase, (case_clock,) = clocks(case, "phase")[0], clocks(case, "case")
    assert phase.paused_since == sh("2026-11-24 09:00") and phase.pause_reason == "enterprise"
    assert case_clock.paused_since == sh("2026-11-24 09:00")
    supply = task_clock(case, "supply")
    assert supply.paused_since is None and supply.escalates is False  # the enterprise's own clock runs, quietly
    assert supply.due_at == sh("2026-12-01 17:30")

    set_clock("2026-11-26 09:00")  # two working days (Tue, Wed) later the enterprise supplies them
    complete(case, "supply", enterprise)
    phase, case_clock = clocks(case, "phase")[0], clocks(case, "case")[0]
    assert phase.paused_since is None and case_clock.paused_since is None
    (pause,) = phase.pauses
    assert (datetime.fromisoformat(pause["from"]), datetime.fromisoformat(pause["to"]), pause["reason"]) == (
        sh("2026-11-24 09:00"),
        sh("2026-11-26 09:00"),
        "enterprise",
    )
    assert phase.paused_seconds == int((14 * HOUR).total_seconds())
    # Thursday 17:30 moved on by the 14 working hours paused: Friday and Monday
    assert phase.due_at == sh("2026-11-30 17:30")
    finish = task_clock(case, "finish")
    assert finish.due_at == sh("2026-11-30 17:30")  # joins its phase: the phase's deadline governs
    assert open_task_of(case, "finish").due_at == sh("2026-11-30 17:30")  # and the inbox sees it

    set_clock("2026-11-26 12:00")
    assert elapsed(phase, clock.utcnow()) == 7 * HOUR + 3 * HOUR  # Monday and Thursday morning; not the pause
    set_clock("2026-11-27 10:00")
    complete(case, "finish", clerk)
    phase, case_clock = clocks(case, "phase")[0], clocks(case, "case")[0]
    assert phase.stopped_at == sh("2026-11-27 10:00") and clock_state(phase, clock.utcnow()) == "on_track"
    assert case_clock.stopped_at == sh("2026-11-27 10:00")
    assert len(case_clock.pauses) == 1


def test_a_pause_after_the_deadline_does_not_wipe_out_the_breach(app, pause_case, set_clock, clock):
    case, clerk, enterprise = pause_case
    set_clock("2026-11-27 10:00")  # past Thursday 17:30: the phase is overdue
    complete(case, "prepare", clerk)
    set_clock("2026-12-02 10:00")
    complete(case, "supply", enterprise)
    (phase,) = clocks(case, "phase")
    assert phase.due_at == sh("2026-11-26 17:30")
    assert clock_state(phase, clock.utcnow()) == "overdue"


def test_only_tasks_with_something_to_count_or_tell_get_a_clock(app, deploy, create_case, create_user, set_clock):
    """A deadline, a phase or the enterprise's lane gives a task a clock; plain steps neither read nor write any."""
    deploy("sla_plain_steps.bpmn")
    clerk = create_user("clerk1", roles=("clerk",))
    enterprise = create_user("ent1", roles=("enterprise",))
    set_clock("2026-11-23 09:00")
    case = create_case("sla_plain_steps")
    assert task_clock(case, "review").due_at == sh("2026-11-26 17:30")
    complete(case, "review", clerk)
    supply = task_clock(case, "supply")  # no deadline, but the case waits on the enterprise: its clock says so
    assert supply is not None and supply.due_at is None and supply.escalates is False
    assert clocks(case, "case")[0].paused_since == sh("2026-11-23 09:00")

    set_clock("2026-11-24 09:00")
    complete(case, "supply", enterprise)
    assert task_clock(case, "note") is None and open_task_of(case, "note").due_at is None
    (case_clock,) = clocks(case, "case")
    assert case_clock.paused_since is None and case_clock.paused_seconds > 0

    statements = []

    def note_statement(_connection, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note_statement)
    try:
        complete(case, "note", clerk)  # closes a task without a clock, opens another
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note_statement)
    assert statements and not [s for s in statements if "sla_clock" in s]
    set_clock("2026-11-24 10:00")
    complete(case, "confirm", clerk)
    assert [c.stopped_at for c in clocks(case, "task")] == [sh("2026-11-23 09:00"), sh("2026-11-24 09:00")]
    assert clocks(case, "case")[0].stopped_at == sh("2026-11-24 10:00")


def test_suspending_a_case_pauses_its_clocks_and_resuming_moves_the_deadline(app, deploy, create_case, user, set_clock):
    deploy("sla_deadline.bpmn")
    set_clock("2026-11-23 08:00")
    case = create_case("sla_deadline")
    assert task_clock(case, "handle").due_at == sh("2026-11-26 17:30")
    set_clock("2026-11-24 09:00")
    suspend_instance(case.instance_id, "waiting for the court", user.id)
    db.session.commit()
    assert task_clock(case, "handle").pause_reason == "suspended"
    assert task_clock(case, "handle").next_escalation_at is None
    set_clock("2026-11-25 09:00")  # one working day suspended
    resume_instance(case.instance_id, "the court decided", user.id)
    db.session.commit()
    clock_row = task_clock(case, "handle")
    assert clock_row.paused_since is None and clock_row.due_at == sh("2026-11-27 17:30")
    assert open_task_of(case, "handle").due_at == sh("2026-11-27 17:30")


def test_an_ending_case_stops_its_clocks_without_reading_them(app, deploy, create_case, user, set_clock):
    deploy("sla_deadline.bpmn")
    set_clock("2026-11-23 08:00")
    case = create_case("sla_deadline")
    complete(case, "handle", user)
    (case_clock,) = clocks(case, "case")  # held by the session through the last step
    assert case_clock.stopped_at is None
    set_clock("2026-11-24 10:00")
    task = open_task_of(case, "file_away")  # a task without a clock: its step reads none
    with statements_run() as seen:
        complete_task(task.id, {}, user.id)
    assert not [s for s, _ in seen if "FROM sla_clock" in s]
    assert case_clock.stopped_at == sh("2026-11-24 10:00")  # the session's object follows the UPDATE
    db.session.commit()
    assert [c.stopped_at for c in clocks(case, "case")] == [sh("2026-11-24 10:00")]
    assert [c.stopped_at for c in clocks(case, "task")] == [sh("2026-11-23 08:00")]  # stopped by its own step
    assert all(c.next_escalation_at is None for c in clocks(case, "case") + clocks(case, "task"))


def test_a_case_cancelled_while_suspended_ends_its_pause_before_its_clocks_stop(
    app, deploy, create_case, user, set_clock
):
    deploy("sla_deadline.bpmn")
    set_clock("2026-11-23 08:00")
    case = create_case("sla_deadline")
    set_clock("2026-11-24 09:00")
    suspend_instance(case.instance_id, "waiting for the court", user.id)
    db.session.commit()
    set_clock("2026-11-25 09:00")  # one working day suspended
    cancel_instance(case.instance_id, "withdrawn", user.id)
    db.session.commit()
    handle, (case_clock,) = task_clock(case, "handle"), clocks(case, "case")
    for stopped in (handle, case_clock):
        assert stopped.stopped_at == sh("2026-11-25 09:00") and stopped.paused_since is None
        assert stopped.pauses == [
            {"from": "2026-11-24T01:00:00+00:00", "to": "2026-11-25T01:00:00+00:00", "reason": "suspended"}
        ]
    assert handle.due_at == sh("2026-11-27 17:30")  # the day suspended moved the deadline it is judged by


# --------------------------------------------------------------------------- the referral's clocks


def test_referral_phases_extension_and_send_backs(app, bureau, create_referral, set_clock, clock):
    set_clock("2026-11-23 09:00")
    case = create_referral(LVYUAN)  # Shouguang's enterprise, no specialist → the county handler pool
    handler, reviewer = bureau["shouguang_handler"], bureau["reviewer"]
    (sign_phase,) = clocks(case, "phase", "sign_for")
    assert sign_phase.due_at == sh("2026-11-24 17:30")  # 1 wd
    set_clock("2026-11-23 15:00")
    complete(case, "sign_for", handler, {"sign_decision": "sign"})
    sign_phase, (handling,) = clocks(case, "phase", "sign_for")[0], clocks(case, "phase", "handling")
    assert sign_phase.stopped_at == sh("2026-11-23 15:00") and clock_state(sign_phase, clock.utcnow()) == "on_track"
    assert handling.due_at == sh("2026-11-30 17:30")  # 5 wd from Monday 15:00

    set_clock("2026-11-26 10:00")
    complete(
        case,
        "handle",
        handler,
        {"handle_outcome": "extension", "extension_days": 3, "extension_reason": "企业招聘会排在下周"},
    )
    (handling,) = clocks(case, "phase", "handling")
    assert handling.stopped_at is None  # the extension review holds the handling phase
    set_clock("2026-11-26 15:00")
    complete(case, "extension_review", reviewer, {"extension_decision": "approve"})
    (handling,) = clocks(case, "phase", "handling")
    assert handling.extension_days == 3 and handling.extensions[0]["reason"] == "企业招聘会排在下周"
    assert handling.due_at == sh("2026-12-03 17:30")  # Monday 30th + 3 working days
    handle = open_task_of(case, "handle")
    assert handle.due_at == sh("2026-12-03 17:30")  # the handler's new task carries the moved deadline
    extended = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "deadline_extended")
    )
    assert extended.data["days"] == 3 and extended.data["reason"] == "企业招聘会排在下周"

    set_clock("2026-11-27 10:00")
    complete(case, "handle", handler, HANDLED)
    (handling,) = clocks(case, "phase", "handling")
    assert handling.stopped_at == sh("2026-11-27 10:00")
    complete(case, "city_review", reviewer, {"review_decision": "send_back", "review_reason": "措施不具体"})
    handling_rounds = clocks(case, "phase", "handling")
    assert len(handling_rounds) == 2 and handling_rounds[1].stopped_at is None  # a send-back starts a new round
    assert handling_rounds[1].due_at == sh("2026-12-04 17:30")  # a fresh 5 wd, no extension carried over
    (case_clock,) = clocks(case, "case")
    assert case_clock.send_backs == 1
    complete(case, "handle", handler, HANDLED)
    complete(case, "city_review", reviewer, {"review_decision": "accept"})
    review_rounds = clocks(case, "phase", "review")
    assert len(review_rounds) == 2 and all(c.stopped_at is not None for c in review_rounds)
    assert clocks(case, "case")[0].send_backs == 1


def test_a_county_return_counts_as_a_send_back(app, bureau, create_referral, set_clock):
    set_clock("2026-11-23 09:00")
    case = create_referral(HUAYU)
    complete(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "return", "return_reason": "企业已迁至寿光"})
    assert clocks(case, "case")[0].send_backs == 1
    kinds = db.session.scalars(sa.select(AuditEvent.kind).where(AuditEvent.instance_id == case.instance_id)).all()
    assert "sent_back" in kinds


def test_the_case_clock_follows_the_case_to_another_county_and_keeps_its_section(app, bureau, create_referral):
    case = create_referral(HUAYU, category="社保")
    (case_clock,) = clocks(case, "case")
    assert case_clock.org_unit.code == "kuiwen" and case_clock.section == "社会保险服务"
    complete(case, "sign_for", bureau["kuiwen_handler"], {"sign_decision": "return", "return_reason": "企业已迁至寿光"})
    assert clocks(case, "case")[0].org_unit.code == "kuiwen"  # the city redispatches; the case stays meanwhile
    complete(case, "redispatch", bureau["dispatcher"], {"county": "shouguang", "redispatch_note": ""})
    (case_clock,) = clocks(case, "case")
    assert case.instance.org_unit.code == "shouguang" and case_clock.org_unit.code == "shouguang"
    assert case_clock.section == "社会保险服务"


HANDLED = {"handle_outcome": "resolved", "measures": "已协调社保补贴发放"}


def test_a_models_absurd_extension_is_refused_and_recorded_not_run_day_by_day(app, bureau, create_referral):
    """extensionDays of 10**12 (the model's expression, whatever a form allowed) moved the deadline one working day
    at a time: minutes of CPU under the case's lock, then an overflow. Now it extends nothing and says why."""
    import time as wall

    case = create_referral(LVYUAN)
    handler, reviewer = bureau["shouguang_handler"], bureau["reviewer"]
    complete(case, "sign_for", handler, {"sign_decision": "sign"})
    complete(
        case, "handle", handler, {"handle_outcome": "extension", "extension_days": 10**12, "extension_reason": "?"}
    )
    started = wall.monotonic()
    complete(case, "extension_review", reviewer, {"extension_decision": "approve"})
    assert wall.monotonic() - started < 5
    (handling,) = clocks(case, "phase", "handling")
    assert not handling.extension_days
    refused = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.instance_id == case.instance_id, AuditEvent.kind == "sla_property_failed"
        )
    )
    assert refused.data["property"] == "extensionDays" and "366" in refused.data["error"]
    assert open_task_of(case, "handle").state == "open"
