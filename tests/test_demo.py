"""The demo's late referrals show supervision an overdue and an at-risk case on any day of the week."""

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.sla.conftest import sh
from workflow_app.core.time import utcnow
from workflow_app.demo import seed_late_referrals
from workflow_app.extensions import db
from workflow_app.sla.clocks import clock_state
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.models import SlaClock, SupervisionNotice


def handling_clock(case):
    task = open_task_of(case)
    return db.session.scalar(sa.select(SlaClock).where(SlaClock.task_id == task.id))


@pytest.mark.parametrize(
    "moment",
    [
        "2026-11-30 08:00",  # Monday before work
        "2026-12-02 11:44",  # Wednesday morning (the weekday CI once failed on)
        "2026-12-04 20:00",  # Friday night
        "2026-12-06 12:00",  # Sunday
        "2026-10-08 09:30",  # the first working morning after the National Day week
    ],
)
def test_one_referral_is_overdue_and_escalated_and_one_at_risk(app, bureau, clock, moment):
    clock.freeze_clock(sh(moment))
    overdue, at_risk = seed_late_referrals()
    assert utcnow() == sh(moment)  # the clock is back where it was
    run_sla_sweep()
    now = utcnow()
    assert open_task_of(overdue).bpmn_id == "handle_specialist" and open_task_of(at_risk).bpmn_id == "handle"
    assert clock_state(handling_clock(overdue), now) == "overdue"
    assert clock_state(handling_clock(at_risk), now) == "at_risk"
    levels = db.session.scalars(
        sa.select(SupervisionNotice.level)
        .where(SupervisionNotice.instance_id == overdue.instance_id)
        .order_by(SupervisionNotice.id)
    ).all()
    assert levels == ["county", "city"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SupervisionNotice)
            .where(SupervisionNotice.instance_id == at_risk.instance_id)
        )
        == 0
    )
