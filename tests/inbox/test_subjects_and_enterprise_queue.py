"""The inbox says what each case is about (its title), and the enterprise's open tasks wait on the enterprise: not
the county's unclaimed work in "all in my unit" nor the dashboard's by-person panel, but a list and a count of their
own (issue 30.8)."""

import re

from tests.conftest import HUAYU, LVYUAN, open_task_of
from tests.sla.conftest import sh
from workflow_app.inbox.queries import TaskFilter, queue_counts, queue_page


def rows_of(html):
    """{case number: the row's HTML} of an inbox page."""
    return dict(re.findall(r'<tr data-task-id="\d+" data-case="([^"]+)">(.*?)</tr>', html, re.S))


def test_each_row_says_what_its_case_is_about(app, bureau, create_referral, client_as):
    first = create_referral(LVYUAN, category="社保", description="企业反映社保补贴问题")
    second = create_referral(LVYUAN, category="融资", description="企业咨询贷款贴息")
    rows = rows_of(client_as("shouguang_handler").get("/inbox?queue=group").get_data(as_text=True))
    for case in (first, second):
        assert re.search(rf"<div data-title>{re.escape(case.title)}</div>", rows[case.number])
        assert "问题需求转办" in rows[case.number]  # the process under it
    assert first.title != second.title


def test_the_enterprises_tasks_wait_on_the_enterprise(app, bureau, create_agreement_case, create_referral, client_as):
    agreement = create_agreement_case(stage="drafted")  # 华宇 (奎文) is to sign: a task of the enterprise's lane
    sign = open_task_of(agreement, "sign")
    assert sign.role == "enterprise"
    referral = create_referral(HUAYU)  # 奎文's sign-for, nobody's yet
    supervisor = bureau["kuiwen_supervisor"]
    unit = [case.number for _t, case, *_r in queue_page(supervisor, "unit", TaskFilter()).items]
    assert referral.number in unit and agreement.number not in unit
    waiting = [case.number for _t, case, *_r in queue_page(supervisor, "enterprise", TaskFilter()).items]
    assert waiting == [agreement.number]
    counts = queue_counts(supervisor)
    assert counts["enterprise"] == 1 and counts["unit"] == len(unit)
    assert "enterprise" not in queue_counts(bureau["kuiwen_handler"])  # a handler has no such queue

    page = client_as("kuiwen_supervisor").get("/inbox?queue=enterprise").get_data(as_text=True)
    assert 'data-queue="enterprise"' in page and "等待企业办理" in page
    rows = rows_of(page)
    assert list(rows) == [agreement.number] and "企业签署协议" in rows[agreement.number]
    assert "认领" not in rows[agreement.number] and "未认领" not in rows[agreement.number]
    unit_page = client_as("kuiwen_supervisor").get("/inbox?queue=unit").get_data(as_text=True)
    assert agreement.number not in rows_of(unit_page) and referral.number in rows_of(unit_page)
    assert client_as("kuiwen_handler").get("/inbox?queue=enterprise").status_code == 200  # shown as its own queue
    assert 'data-queue="enterprise"' not in client_as("kuiwen_handler").get("/inbox").get_data(as_text=True)


def test_the_dashboard_counts_the_enterprises_late_tasks_apart(
    app, bureau, create_agreement_case, create_referral, client_as, clock
):
    clock.freeze_clock(sh("2026-11-02 09:00"))
    agreement = create_agreement_case(stage="drafted")
    referral = create_referral(HUAYU)
    clock.freeze_clock(sh("2026-12-10 09:00"))  # both overdue: the enterprise's signature (10wd) and the sign-for
    supervisor = client_as("city_supervisor")
    page = supervisor.get("/supervision").get_data(as_text=True)
    by_person = page[page.index('id="by-person"') : page.index("</table>", page.index('id="by-person"'))]
    rows = dict(re.findall(r'<tr data-key="([^"]+)">\s*<td>([^<]*)</td>', by_person))
    assert rows == {"unclaimed": "未认领", "enterprise": "等待企业办理"}
    unclaimed = supervisor.get("/supervision/work?state=overdue&person=unclaimed").get_data(as_text=True)
    assert referral.number in unclaimed and agreement.number not in unclaimed
    waiting = supervisor.get("/supervision/work?state=overdue&person=enterprise").get_data(as_text=True)
    assert agreement.number in waiting and referral.number not in waiting
    # each count of the panel links to its list
    assert 'href="/supervision/work?state=overdue&amp;person=enterprise"' in by_person
