"""`flask calendar import|list|load-builtin`: the happy paths, and one clear line for each bad file."""

import json
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import DATA
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db
from workflow_app.sla import calendar as cal
from workflow_app.sla.models import CalendarDay, CalendarYear


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def stored_days(year):
    return {
        row.date: (row.is_workday, row.kind, row.note)
        for row in db.session.scalars(sa.select(CalendarDay).where(CalendarDay.year == year))
    }


def test_import_the_example_json_then_list(app, builtin_until_2026):
    result = run(app, "calendar", "import", str(DATA / "calendar_2027_example.json"))
    assert result.exit_code == 0, result.output
    assert "2027" in result.output
    year = db.session.get(CalendarYear, 2027)
    assert year.status == "provisional" and year.source.startswith("example only")
    days = stored_days(2027)
    assert days[date(2027, 1, 1)] == (False, "holiday", "元旦")
    assert days[date(2027, 10, 9)] == (True, "adjusted_workday", "国庆节调休")
    assert date(2027, 2, 6) not in days  # a Saturday in the Spring Festival period: already a day off
    assert {d for d, (w, _k, _n) in days.items() if not w} >= {date(2027, 2, 5), date(2027, 2, 8), date(2027, 10, 7)}
    assert not cal.is_workday(date(2027, 10, 1)) and cal.is_workday(date(2027, 10, 9))
    assert db.session.scalar(sa.select(AuditEvent.kind)) == "calendar_changed"

    listing = run(app, "calendar", "list")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0].startswith("2027\t")
    assert any(line.startswith("2026\t") and "chinese-calendar" in line for line in lines)


def test_import_a_csv_with_status_and_source_options_replaces_the_year(app, builtin_until_2026):
    first = run(app, "calendar", "import", str(DATA / "calendar_2027_example.json"))
    assert first.exit_code == 0, first.output
    result = run(
        app,
        "calendar",
        "import",
        str(DATA / "calendar_2027_example.csv"),
        "--status",
        "official",
        "--source",
        "国办发明电〔2026〕x号",
    )
    assert result.exit_code == 0, result.output
    year = db.session.get(CalendarYear, 2027)
    assert (year.status, year.source) == ("official", "国办发明电〔2026〕x号")
    days = stored_days(2027)
    assert date(2027, 5, 3) not in days  # the JSON's Labour Day is gone: the CSV replaced the year
    assert days[date(2027, 2, 10)] == (False, "holiday", "春节")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad_date.json", {"year": 2027, "holidays": ["2027-02-30"]}, "'2027-02-30' is not a date"),
        ("other_year.json", {"year": 2027, "holidays": ["2028-01-03"]}, "2028-01-03 is not in 2027"),
        (
            "both.json",
            {"year": 2027, "holidays": ["2027-10-09"], "workdays": ["2027-10-09"]},
            "2027-10-09 is listed both as a holiday and as a working day",
        ),
        ("status.json", {"year": 2027, "status": "final", "holidays": ["2027-01-01"]}, "Unknown status 'final'"),
        ("no_year.json", {"holidays": ["2027-01-01"]}, '"year" must be a number'),
        ("broken.json", "{not json", "not valid JSON"),
        ("weekday_workday.json", {"year": 2027, "workdays": ["2027-10-08"]}, "2027-10-08 is a weekday"),
        (
            "bad_date.csv",
            "date,kind,note\n2027-01-01,holiday,元旦\n2027-13-01,holiday,\n",
            "line 3: '2027-13-01' is not a date",
        ),
        ("bad_kind.csv", "date,kind,note\n2027-01-01,party,\n", "kind must be holiday or workday"),
        ("no_header.csv", "2027-01-01,holiday,元旦\n", "header date,kind,note"),
    ],
)
def test_a_bad_file_is_refused_with_one_line_and_stores_nothing(app, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    with force_locale("en"):  # the CLI speaks Chinese by default; the messages are checked in English
        result = run(app, "calendar", "import", str(path))
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert message in lines[0] and name in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarYear)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_a_missing_file_is_one_line(app, tmp_path):
    result = run(app, "calendar", "import", str(tmp_path / "nope.json"))
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "nope.json" in lines[0]


def test_load_builtin_stores_the_package_years_once_and_keeps_entered_ones(app):
    from workflow_app.sla.operations import enter_calendar_year

    enter_calendar_year(2026, [date(2026, 10, 8)], [], "official", None, "an admin's correction")
    db.session.commit()
    result = run(app, "calendar", "load-builtin")
    assert result.exit_code == 0, result.output
    builtin = cal.builtin_years()
    stored = set(db.session.scalars(sa.select(CalendarYear.year)))
    assert stored == set(builtin) | {2026}
    assert db.session.get(CalendarYear, 2026).source == "an admin's correction"
    assert not cal.is_workday(date(2026, 10, 8))
    assert not cal.is_workday(date(2025, 10, 8))  # 2025's National Day week, now read from the table
    assert cal.is_workday(date(2025, 9, 28))  # a Sunday, 调休
    again = run(app, "calendar", "load-builtin")
    assert (
        again.exit_code == 0
        and db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "calendar_builtin_loaded")
        )
        == 1
    )
