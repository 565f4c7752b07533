"""The escalation ladder with a controllable clock: each level once, however often and by how many it runs."""

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.engine.test_concurrency import run_together
from workflow_app.engine.operations import complete_task
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.notifications.queries import TASK_KINDS
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.models import SlaClock, SupervisionNotice


@pytest.fixture
def people(create_user):
    return {
        "clerk": create_user("clerk1", roles=("clerk",)),
        "other_clerk": create_user("clerk2", roles=("clerk",)),
        "supervisor": create_user("sup_kuiwen", roles=("supervisor",)),
        "city_supervisor": create_user("sup_city", roles=("supervisor",), org="weifang"),
    }


@pytest.fixture
def start_late_case(deploy, create_case, set_clock):
    """An sla_deadline case started Monday 2026-11-23 08:00: warned Wed 17:30, due Thu 17:30."""
    deploy("sla_deadline.bpmn")

    def factory():
        set_clock("2026-11-23 08:00")
        return create_case("sla_deadline")

    return factory


def kinds_by_user(people):
    names = {u.id: name for name, u in people.items()}
    db.session.expire_all()
    sla_notices = sa.select(Notification).where(Notification.kind.not_in(TASK_KINDS))  # not "a task waits for you"
    return sorted((n.kind, names[n.user_id]) for n in db.session.scalars(sla_notices))


def notices():
    db.session.expire_all()
    return [
        (n.level, n.org_unit.code)
        for n in db.session.scalars(sa.select(SupervisionNotice).order_by(SupervisionNotice.id))
    ]


def test_each_level_fires_once_at_its_time(app, people, start_late_case, set_clock):
    case = start_late_case()
    set_clock("2026-11-25 17:00")
    assert run_sla_sweep()["clocks"] == 0
    assert kinds_by_user(people) == []

    set_clock("2026-11-25 17:31")  # at risk: nobody has claimed it, so the clerks of Kuiwen hear
    assert run_sla_sweep()["warned"] == 1
    assert run_sla_sweep()["clocks"] == 0
    assert kinds_by_user(people) == [("task_at_risk", "clerk"), ("task_at_risk", "other_clerk")]

    set_clock("2026-11-26 17:31")  # overdue: a supervision notice to Kuiwen's supervisor
    assert run_sla_sweep()["notices"] == 1
    run_sla_sweep()
    assert notices() == [("county", "kuiwen")]
    assert ("supervision_notice", "supervisor") in kinds_by_user(people)
    assert kinds_by_user(people).count(("task_overdue", "clerk")) == 1

    set_clock("2026-11-30 17:00")  # not yet 2 working days past the deadline (Mon 17:30)
    assert run_sla_sweep()["clocks"] == 0
    set_clock("2026-11-30 17:31")
    assert run_sla_sweep()["escalated"] == 1
    assert run_sla_sweep()["clocks"] == 0
    assert notices() == [("county", "kuiwen"), ("city", "weifang")]
    assert kinds_by_user(people).count(("supervision_escalated", "city_supervisor")) == 1
    clock = db.session.scalar(sa.select(SlaClock).where(SlaClock.task_id == open_task_of(case, "handle").id))
    assert clock.level == 3 and clock.next_escalation_at is None
    db.session.commit()


def test_a_late_sweep_takes_every_step_in_order_each_once(app, people, start_late_case, set_clock):
    start_late_case()
    set_clock("2026-12-07 10:00")  # the worker was down for a week
    counts = run_sla_sweep()
    assert (counts["warned"], counts["notices"], counts["escalated"]) == (1, 1, 1)
    assert notices() == [("county", "kuiwen"), ("city", "weifang")]
    assert run_sla_sweep()["clocks"] == 0


def test_the_assignee_alone_hears_of_a_claimed_task_and_nothing_comes_after_completion(
    app, people, start_late_case, set_clock
):
    case = start_late_case()
    task = open_task_of(case, "handle")
    task.assignee_id = people["clerk"].id
    db.session.commit()
    set_clock("2026-11-25 17:31")
    run_sla_sweep()
    assert kinds_by_user(people) == [("task_at_risk", "clerk")]
    complete_task(task.id, {}, people["clerk"].id)
    db.session.commit()
    set_clock("2026-12-07 10:00")
    assert run_sla_sweep()["clocks"] == 0
    assert notices() == []


def test_the_worker_pass_runs_the_sweep(app, people, start_late_case, set_clock):
    start_late_case()
    set_clock("2026-11-26 17:31")
    run_worker_pass()
    assert notices() == [("county", "kuiwen")]


def test_two_workers_sweeping_at_once_send_no_duplicate(app, people, deploy, create_case, set_clock, db_name):
    deploy("sla_deadline.bpmn")
    set_clock("2026-11-23 08:00")
    for _ in range(40):
        create_case("sla_deadline")
    set_clock("2026-11-26 17:31")  # each clock is due two steps: the warning and the notice
    results = run_together(app, [run_sla_sweep, run_sla_sweep])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["notices"] for r in results) == 40
    assert sum(r["warned"] for r in results) == 40
    assert len(notices()) == 40
    per_clock = db.session.execute(
        sa.select(SupervisionNotice.clock_id, sa.func.count()).group_by(SupervisionNotice.clock_id)
    ).all()
    assert {count for _, count in per_clock} == {1}
    at_risk = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "task_at_risk")
    )
    assert at_risk == 40 * 2  # two clerks each, once
    assert run_sla_sweep()["clocks"] == 0
