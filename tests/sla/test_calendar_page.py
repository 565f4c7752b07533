"""/admin/calendar: admins only; lists the years; enters a year, or shows every problem and stores nothing."""

from datetime import date

import sqlalchemy as sa

from tests.conftest import PASSWORD
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db
from workflow_app.sla import calendar as cal
from workflow_app.sla.models import CalendarDay, CalendarYear


def signed_in(app, username):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD})
    return client


def test_only_admins_may_open_the_calendar(app, create_user):
    # (one signed-in user per test: the tests share an app context, where Flask-Login keeps the user)
    assert app.test_client().get("/admin/calendar").status_code == 302  # to the login page
    create_user("clerk", roles=["county_handler"])
    client = signed_in(app, "clerk")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"year": "2027", "status": "official"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarYear)) == 0


def test_an_admin_sees_the_known_years(app, create_user):
    create_user("boss", roles=["admin"], org="weifang")
    page = signed_in(app, "boss").get("/admin/calendar")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<td>2026</td>" in html and "chinese-calendar" in html and 'name="holidays"' in html


def test_an_admin_enters_a_year_as_date_lines(app, create_user, builtin_until_2026):
    admin = create_user("boss", roles=["admin"], org="weifang")
    client = signed_in(app, "boss")
    response = client.post(
        "/admin/calendar",
        data={
            "year": "2027",
            "status": "official",
            "source": "国办发明电〔2026〕x号",
            "holidays": "2027-01-01 元旦\n\n2027-10-01..2027-10-07 国庆节\n",
            "workdays": "2027-10-09\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    year = db.session.get(CalendarYear, 2027)
    assert (year.status, year.updated_by_id) == ("official", admin.id)
    assert not cal.is_workday(date(2027, 10, 4)) and cal.is_workday(date(2027, 10, 9))
    assert db.session.get(CalendarDay, date(2027, 1, 1)).note == "元旦"
    # the form shows a stored year again, for correction
    html = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-10-04 国庆节" in html and "2027-10-09" in html


def test_problems_are_shown_and_nothing_is_stored(app, create_user):
    create_user("boss", roles=["admin"], org="weifang")
    client = signed_in(app, "boss")
    response = client.post(
        "/admin/calendar",
        data={
            "year": "2027",
            "status": "official",
            "source": "",
            "holidays": "2027-01-01\n2027-02-30\n2028-01-03\n2027-10-09",
            "workdays": "2027-10-09\n",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2027-02-30" in html  # the unparseable line
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarYear)) == 0
    # the lines parse now; the date outside the year and the day listed twice are both reported
    response = client.post(
        "/admin/calendar",
        data={
            "year": "2027",
            "status": "official",
            "holidays": "2027-01-01\n2028-01-03\n2027-10-09",
            "workdays": "2027-10-09\n",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2028-01-03" in html and html.count("<li>2027-10-09") + html.count("2027-10-09 ") >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarYear)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
