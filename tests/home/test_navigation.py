"""The top bar: the inbox's and supervision's badges and the unread notifications, read in one statement."""

import re

import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from tests.sla.conftest import sh
from workflow_app.extensions import db
from workflow_app.inbox.operations import claim_task
from workflow_app.notifications.models import Notification
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.models import SupervisionNotice


def badges(html):
    found = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    unread = re.search(r'id="unread-count"[^>]*>(\d+)<', html)
    return {**{key: int(n) for key, n in found.items()}, "unread": int(unread[1]) if unread else 0}


def counting(seen, table):
    return [s for s, _parameters in seen if "count(" in s.lower() and f"FROM {table}" in s]


def test_the_top_bar_counts_come_in_one_statement(app, bureau, create_referral, client_as, clock):
    clock.freeze_clock(sh("2026-11-02 09:00"))
    overdue = create_referral(HUAYU)  # Kuiwen's, overdue at sign-for by 11-20: a notice and notifications
    clock.freeze_clock(sh("2026-11-20 10:00"))
    create_referral(LVYUAN, category="融资", description="企业咨询贷款贴息")
    create_referral(HUAYU, category="用工", description="企业招工难")
    run_sla_sweep()
    claim_task(open_task_of(overdue), bureau["kuiwen_handler"])
    db.session.commit()

    handler = client_as("kuiwen_handler")
    with statements_run() as seen:
        page = handler.get("/cases/").get_data(as_text=True)
    unread = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == bureau["kuiwen_handler"].id, Notification.read_at.is_(None))
    )
    assert unread >= 1 and badges(page) == {"inbox": 2, "unread": unread}  # one claimed, one in the group's queue
    [top_bar] = counting(seen, "notification")
    assert counting(seen, "task") == [top_bar]  # the queues' counts are in the same statement

    supervisor = client_as("city_supervisor")
    with statements_run() as seen:
        page = supervisor.get("/cases/").get_data(as_text=True)
    notices = db.session.scalar(sa.select(sa.func.count()).select_from(SupervisionNotice))
    assert notices >= 1 and badges(page)["supervision"] == notices
    [top_bar] = counting(seen, "notification")
    assert counting(seen, "supervision_notice") == [top_bar]

    with statements_run() as seen:  # the inbox counts its queues once, for its tabs and the badge alike
        page = handler.get("/inbox").get_data(as_text=True)
    assert badges(page)["inbox"] == 2 and len(counting(seen, "task")) == 1
