"""The staff's home page is the day's overview: my tasks and my group's, due today and overdue, notices, what is
coming up, and the processes I may start; every count links to its list (issue 30.9)."""

import re
from datetime import timedelta

import pytest

from tests.conftest import HUAYU, open_task_of
from tests.sla.conftest import sh
from tests.test_page_languages import visible_text
from workflow_app.core.time import to_local
from workflow_app.extensions import db
from workflow_app.inbox.operations import claim_task
from workflow_app.sla.escalation import run_sla_sweep


def counts_of(html):
    """{(section, kind): (count, link)} of the home page's counts."""
    found = {}
    for section, body in re.findall(
        r'<section class="card h-100" (?:data-queue|id)="([^"]+)">(.*?)</section>', html, re.S
    ):
        for link, kind, n in re.findall(r'href="([^"]+)" data-count-of="(\w+)">(\d+)<', body):
            found[section, kind] = (int(n), link.replace("&amp;", "&"))
    return found


def inbox_rows(client, link):
    return re.findall(r'<tr data-task-id="\d+" data-case="([^"]+)">', client.get(link).get_data(as_text=True))


@pytest.fixture
def busy_day(bureau, create_referral, clock):
    """奎文: one sign-for long overdue (claimed by 刘经办), one due later today (in the group's queue), one not due yet."""
    clock.freeze_clock(sh("2026-11-02 09:00"))
    overdue = create_referral(HUAYU)
    claim_task(open_task_of(overdue), bureau["kuiwen_handler"])
    db.session.commit()
    clock.freeze_clock(sh("2026-11-16 09:00"))
    today = create_referral(HUAYU, category="用工", description="企业招工难")
    due = to_local(open_task_of(today).due_at)
    moment = due - timedelta(hours=1)
    assert moment.date() == due.date()
    clock.freeze_clock(moment)
    later = create_referral(HUAYU, category="融资", description="企业咨询贷款贴息")
    run_sla_sweep()
    db.session.commit()
    return overdue, today, later


def test_every_count_says_what_the_list_behind_it_holds(app, busy_day, client_as):
    overdue, today, later = busy_day
    handler = client_as("kuiwen_handler")
    counts = counts_of(handler.get("/").get_data(as_text=True))
    assert {key: n for key, (n, _link) in counts.items()} == {
        ("mine", "open"): 1,
        ("mine", "due_today"): 0,
        ("mine", "overdue"): 1,
        ("group", "open"): 2,
        ("group", "due_today"): 1,
        ("group", "overdue"): 0,
        ("home-notices", "unread"): counts["home-notices", "unread"][0],
    }
    for (section, _kind), (n, link) in counts.items():
        if section in ("mine", "group"):
            assert len(inbox_rows(handler, link)) == n, link
    assert inbox_rows(handler, counts["group", "due_today"][1]) == [today.number]
    assert inbox_rows(handler, counts["mine", "overdue"][1]) == [overdue.number]
    unread = counts["home-notices", "unread"]
    assert unread[0] >= 1 and unread[1] == "/notifications?unread=1"  # the overdue sign-for's notifications
    assert (
        len(
            re.findall(
                r'class="list-group-item[^"]*list-group-item-warning', handler.get(unread[1]).get_data(as_text=True)
            )
        )
        == unread[0]
    )


def test_a_supervisor_sees_the_open_supervision_notices(app, busy_day, client_as):
    supervisor = client_as("kuiwen_supervisor")
    counts = counts_of(supervisor.get("/").get_data(as_text=True))
    n, link = next(value for (section, kind), value in counts.items() if section == "home-notices" and kind != "unread")
    assert n == 1 and link == "/supervision/notices"
    assert supervisor.get(link).status_code == 200
    assert ("home-notices", "notices") not in counts_of(client_as("kuiwen_handler").get("/").get_data(as_text=True))


def test_the_processes_i_may_start_by_their_labels(app, bureau, client_as):
    html = client_as("dispatcher").get("/").get_data(as_text=True)
    start = html[html.index('id="home-start"') :]
    assert re.search(r'href="/cases/new/referral" data-start="referral">问题需求转办<', start)
    assert "referral" not in visible_text(html)
    assert client_as("dispatcher").get("/cases/new/referral").status_code == 200
    # a reviewer starts nothing: no such card
    assert 'id="home-start"' not in client_as("reviewer").get("/").get_data(as_text=True)


def test_the_home_page_reads_its_counts_in_one_statement(app, busy_day, client_as):
    from tests.conftest import statements_run

    handler = client_as("kuiwen_handler")
    with statements_run() as seen:
        assert handler.get("/").status_code == 200
    counting = [s for s, _p in seen if "count(" in s.lower() and "FROM task" in s]
    assert len(counting) == 1  # the top bar's and the day's counts together
