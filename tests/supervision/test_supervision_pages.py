"""Supervision pages: work by county/section/person, drill-down, exports, ranking, notices, notifications."""

import csv
import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from tests.sla.conftest import sh
from workflow_app.engine.models import AuditEvent
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.models import SlaClock, SupervisionNotice
from workflow_app.supervision.queries import county_ranking, trend


@pytest.fixture
def late_referrals(bureau, create_referral, clock):
    """A Kuiwen referral overdue at sign-for (registered 2026-11-02) and a Shouguang one on time, swept on 11-20."""
    clock.freeze_clock(sh("2026-11-02 09:00"))
    kuiwen = create_referral(HUAYU)
    clock.freeze_clock(sh("2026-11-20 10:00"))
    shouguang = create_referral(LVYUAN, category="融资", description="企业咨询贷款贴息")
    run_sla_sweep()
    return kuiwen, shouguang


def test_the_dashboard_counts_overdue_work_by_county_and_drills_down(app, late_referrals, client_as):
    kuiwen, shouguang = late_referrals
    page = client_as("city_supervisor").get("/supervision").get_data(as_text=True)
    assert 'data-key="kuiwen"' in page and 'id="total-overdue">1<' in page
    work = client_as("city_supervisor").get("/supervision/work?state=overdue&county=kuiwen").get_data(as_text=True)
    assert kuiwen.number in work and shouguang.number not in work
    # a county supervisor sees only the county's work
    assert kuiwen.number in client_as("kuiwen_supervisor").get("/supervision/work").get_data(as_text=True)
    assert client_as("shouguang_handler").get("/supervision").status_code == 403


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_dashboard_asks_for_per_value_plans_once(app, late_referrals, client_as):
    """Its three aggregates over a time window each want per-value plans; one set_config serves the request."""
    client = client_as("city_supervisor")
    with statements_run() as seen:
        assert client.get("/supervision").status_code == 200
    assert sum("set_config" in statement for statement, _params in seen) == 1


def test_the_exports_hold_the_rows_of_the_list(app, late_referrals, client_as):
    kuiwen, _ = late_referrals
    client = client_as("city_supervisor")
    response = client.get("/supervision/work.xlsx?state=late")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("超期及临期事项")  # the title row, then the header
    assert rows[1][0] == "案件编号" and [r[0] for r in rows[2:]] == [kuiwen.number]
    assert rows[2][4] == "奎文区" and rows[2][9] == "超期"
    text = client.get("/supervision/work.csv?state=late").get_data(as_text=True).lstrip("\ufeff")
    assert [r[0] for r in csv.reader(io.StringIO(text))][1:] == [kuiwen.number]


def test_the_ranking_rates_on_time_sign_for_and_send_backs(app, late_referrals, bureau, client_as, clock):
    kuiwen, shouguang = late_referrals
    complete_task(open_task_of(kuiwen, "sign_for").id, {"sign_decision": "sign"}, bureau["kuiwen_handler"].id)
    complete_task(open_task_of(shouguang, "sign_for").id, {"sign_decision": "sign"}, bureau["shouguang_handler"].id)
    complete_task(
        open_task_of(shouguang, "handle").id,
        {"handle_outcome": "resolved", "measures": "已对接银行"},
        bureau["shouguang_handler"].id,
    )
    complete_task(
        open_task_of(shouguang, "city_review").id,
        {"review_decision": "send_back", "review_reason": "不具体"},
        bureau["reviewer"].id,
    )
    db.session.commit()
    ranking = {row.county_code: row for row in county_ranking(bureau["city_supervisor"], date(2026, 11, 1))}
    assert (ranking["kuiwen"].sign_for_on_time.hits, ranking["kuiwen"].sign_for_on_time.total) == (0, 1)
    assert (ranking["shouguang"].sign_for_on_time.hits, ranking["shouguang"].sign_for_on_time.total) == (1, 1)
    assert (ranking["shouguang"].send_back.hits, ranking["shouguang"].send_back.total) == (1, 1)
    assert ranking["shouguang"].completion_on_time.value == 1.0
    assert list(ranking)[0] == "shouguang"  # the better county first
    sheet = openpyxl.load_workbook(
        io.BytesIO(client_as("city_supervisor").get("/supervision/ranking.xlsx?month=2026-11").data)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:5] == (1, "寿光市", 1.0, 1, 1) and rows[2][5:8] == (1.0, 1, 1)  # rates as numbers, counts beside


def test_the_trend_counts_each_month_on_its_own(app, late_referrals, bureau):
    kuiwen, shouguang = late_referrals
    complete_task(open_task_of(kuiwen, "sign_for").id, {"sign_decision": "sign"}, bureau["kuiwen_handler"].id)
    complete_task(open_task_of(shouguang, "sign_for").id, {"sign_decision": "sign"}, bureau["shouguang_handler"].id)
    complete_task(
        open_task_of(shouguang, "handle").id,
        {"handle_outcome": "resolved", "measures": "已对接银行"},
        bureau["shouguang_handler"].id,
    )
    db.session.commit()
    points = {p.month: p for p in trend(bureau["city_supervisor"], date(2026, 11, 1))}
    assert list(points)[0] == "2025-12" and list(points)[-1] == "2026-11"
    assert points["2026-11"].sign_for_on_time == 0.5 and points["2026-11"].completion_on_time == 1.0
    assert points["2026-11"].notices >= 1
    assert points["2026-10"].sign_for_on_time is None and points["2026-10"].notices == 0
    # Kuiwen's sign-for moved to 2026-09-30 23:00 Shanghai time (15:00 UTC): September's, not October's, and
    # now before its deadline
    late = db.session.scalar(
        sa.select(SlaClock).where(
            SlaClock.instance_id == kuiwen.instance_id, SlaClock.kind == "phase", SlaClock.phase == "sign_for"
        )
    )
    late.stopped_at = sh("2026-09-30 23:00")
    db.session.commit()
    points = {p.month: p for p in trend(bureau["city_supervisor"], date(2026, 11, 1))}
    assert points["2026-09"].sign_for_on_time == 1.0 and points["2026-10"].sign_for_on_time is None
    assert points["2026-11"].sign_for_on_time == 1.0


def test_a_notice_reaches_the_county_supervisor_who_acknowledges_it(app, late_referrals, client_as):
    kuiwen, _ = late_referrals
    notice = db.session.scalar(sa.select(SupervisionNotice).where(SupervisionNotice.level == "county"))
    supervisor = client_as("kuiwen_supervisor")
    inbox = supervisor.get("/inbox").get_data(as_text=True)
    assert 'id="inbox-notices"' in inbox and notice.number in inbox and kuiwen.number in inbox
    refused = supervisor.post(
        f"/supervision/notices/{notice.id}/acknowledge", data={"response": "  "}, follow_redirects=True
    )
    assert "请填写对超期事项的督办落实情况" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SupervisionNotice, notice.id).acknowledged_at is None
    supervisor.post(f"/supervision/notices/{notice.id}/acknowledge", data={"response": "已电话督促经办人今日签收"})
    db.session.expire_all()
    assert db.session.get(SupervisionNotice, notice.id).response == "已电话督促经办人今日签收"
    assert db.session.scalar(sa.select(AuditEvent.kind).where(AuditEvent.kind == "notice_acknowledged"))
    case_page = supervisor.get(f"/cases/{kuiwen.id}").get_data(as_text=True)
    assert notice.number in case_page and "已电话督促经办人今日签收" in case_page


def test_notifications_count_unread_and_open_the_case(app, late_referrals, bureau, client_as):
    kuiwen, _ = late_referrals
    client = client_as("kuiwen_supervisor")
    unread = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == bureau["kuiwen_supervisor"].id, Notification.read_at.is_(None))
    )
    assert unread >= 1
    assert 'id="unread-count" ' in client.get("/inbox").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "督办单" in page and kuiwen.number in page
    first = db.session.scalar(sa.select(Notification).where(Notification.user_id == bureau["kuiwen_supervisor"].id))
    response = client.post(f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{kuiwen.id}")
    assert client_as("kuiwen_handler").post(f"/notifications/{first.id}/open").status_code == 404
    client.post("/notifications/read-all")
    assert 'id="unread-count"' not in client.get("/inbox").get_data(as_text=True)


def test_the_case_page_shows_its_clocks(app, late_referrals, client_as):
    kuiwen, _ = late_referrals
    page = client_as("kuiwen_supervisor").get(f"/cases/{kuiwen.id}").get_data(as_text=True)
    assert 'id="clocks"' in page and 'data-phase="sign_for"' in page and 'data-sla="overdue"' in page
    assert 'data-send-backs="0"' in page


def test_an_admin_oversees_the_notices_of_every_unit(app, late_referrals, create_user, client_as):
    create_user("shouguang_admin", ["admin"], "shouguang")  # an admin placed in a county sees the whole city
    kuiwen_notices = db.session.scalars(sa.select(SupervisionNotice.number)).all()
    assert kuiwen_notices
    client = client_as("shouguang_admin")
    with statements_run() as seen:
        html = client.get("/supervision/notices").get_data(as_text=True)
    assert all(number in html for number in kuiwen_notices)
    assert f'data-count="supervision">{len(kuiwen_notices)}<' in html
    assert not [s for s, _ in seen if "WHERE org_unit.level" in s]  # all units from the kept unit table


@pytest.mark.parametrize("path", ["/supervision", "/supervision/ranking.xlsx", "/supervision/ranking.csv"])
@pytest.mark.parametrize(
    "month",
    ["1-1", "0001-01", "1899-12", "2101-01", "9999-12", "2026-13", "2026-00", "2026", "abc", "2026-11-01", "-2026-11"],
)
def test_a_month_no_one_means_is_refused_naming_it(bureau, client_as, path, month):
    client = client_as("city_supervisor")
    client.post("/language/en")
    response = client.get(f"{path}?month={month}")
    assert response.status_code == 400
    assert "&#39;month&#39; must be a month from 1900-01 to 2100-12, as YYYY-MM" in response.get_data(as_text=True)


def test_the_first_and_last_months_people_may_mean_are_taken(bureau, client_as):
    client = client_as("city_supervisor")
    for month in ("1900-01", "2100-12", "2026-1", "２０２６-１１"):  # digits typed full-width too
        assert client.get(f"/supervision/ranking.csv?month={month}").status_code == 200, month
    assert "月份（month）须为 1900-01 至 2100-12 之间的月份" in client.get("/supervision?month=1-1").get_data(
        as_text=True
    )


@pytest.mark.parametrize("person", [str(10**20), str(2**31), "0", "-1", "abc", "9" * 5000])
def test_a_person_that_is_no_id_is_refused_naming_it(bureau, client_as, person):
    client = client_as("city_supervisor")
    client.post("/language/en")
    for path in ("/supervision/work", "/supervision/work.csv", "/supervision/work.xlsx"):
        response = client.get(f"{path}?person={person}")
        assert response.status_code == 400, path
        assert "&#39;person&#39; must be an id, a whole number from 1 to 2147483647" in response.get_data(as_text=True)


def test_the_work_of_one_person_is_listed(late_referrals, bureau, client_as):
    kuiwen, _shouguang = late_referrals
    handler = bureau["kuiwen_handler"]
    client = client_as("city_supervisor")
    assert kuiwen.number not in client.get(f"/supervision/work?person={handler.id}").get_data(as_text=True)
    assert client.get("/supervision/work?person=2147483647").status_code == 200
