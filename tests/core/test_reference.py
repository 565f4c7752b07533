"""Reference data kept between requests: read once, read afresh after a change in this process at once, and in
another worker process within REFERENCE_KEEP_SECONDS."""

import time
from datetime import date

import pytest

from config import TestingConfig
from tests.conftest import DATA, statements_run
from workflow_app import create_app
from workflow_app.auth.operations import add_org_unit, add_role, update_role
from workflow_app.auth.queries import county_choices, find_role, role_label
from workflow_app.auth.scopes import units_below
from workflow_app.cases.queries import process_options
from workflow_app.core.reference import kept
from workflow_app.engine.queries import latest_version, list_latest_versions
from workflow_app.extensions import db
from workflow_app.sla.calendar import shown_calendar
from workflow_app.sla.operations import enter_calendar_year


def test_a_kept_value_is_read_once_within_the_keeping_time(app):
    reads = []
    assert kept("answer", lambda: reads.append(1) or 42) == 42
    assert kept("answer", lambda: reads.append(1) or 43) == 42
    assert len(reads) == 1
    app.config["REFERENCE_KEEP_SECONDS"] = 0
    try:
        assert kept("answer", lambda: reads.append(1) or 44) == 44  # kept too long: read again
    finally:
        app.config["REFERENCE_KEEP_SECONDS"] = TestingConfig.REFERENCE_KEEP_SECONDS


def test_role_labels_are_read_once_and_a_change_shows_at_once(app):
    add_role("inspector", "劳动监察员")
    db.session.commit()
    assert role_label("inspector") == "劳动监察员"
    with statements_run() as seen:
        assert role_label("inspector") == "劳动监察员"
    assert seen == []
    update_role(find_role("inspector"), "监察员")
    db.session.commit()
    assert role_label("inspector") == "监察员"


def test_a_change_rolled_back_is_not_kept(app):
    add_role("inspector", "劳动监察员")
    db.session.commit()
    update_role(find_role("inspector"), "临时")
    assert role_label("inspector") == "临时"  # read inside the transaction that made the change
    db.session.rollback()
    assert role_label("inspector") == "劳动监察员"


def test_a_new_org_unit_is_at_once_in_the_tree_and_the_county_filter(app, city_unit):
    assert ("anqiu", "安丘市") not in county_choices()
    unit = add_org_unit("anqiu", "安丘市", "county", "weifang")
    db.session.commit()
    assert unit.id in units_below(city_unit.id)
    assert ("anqiu", "安丘市") in county_choices()


def test_a_deployment_shows_at_once_in_the_process_filter(app, deploy):
    assert process_options() == []
    deploy("straight_line.bpmn")
    assert [process_id for process_id, _label in process_options()] == ["straight_line"]


def test_the_newest_versions_are_kept_and_a_new_one_starts_the_next_case(app, deploy, create_case):
    deploy("straight_line.bpmn")
    assert [(v.process_id, v.version) for v in list_latest_versions()] == [("straight_line", 1)]
    with statements_run() as seen:
        assert latest_version("straight_line").version == 1
    assert seen == []
    changed = (DATA / "straight_line.bpmn").read_text().replace('name="', 'name="v2 ', 1)
    deploy(sources={"straight_line.bpmn": changed})
    assert latest_version("straight_line").version == 2
    assert create_case("straight_line").instance.process_version.version == 2


def test_an_entered_calendar_year_shows_at_once_in_the_remaining_times(app):
    with app.app_context(), app.test_request_context():  # a request of its own, with its own g
        assert shown_calendar().is_workday(date(2026, 10, 8)) is True  # the day after the built-in holiday
    enter_calendar_year(2026, [date(2026, 10, 8)], [], "official", None, "a correction")
    db.session.commit()
    with app.app_context(), app.test_request_context():  # a request of its own, with its own g
        assert shown_calendar().is_workday(date(2026, 10, 8)) is False


@pytest.fixture
def other_worker(app_for_database):
    """A second app on the same database, as another gunicorn worker process would be."""
    config = type(
        "OtherWorker",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": app_for_database.config["SQLALCHEMY_DATABASE_URI"], "REFERENCE_KEEP_SECONDS": 0.5},
    )
    other = create_app(config)
    yield other
    with other.app_context():
        db.engine.dispose()


def test_another_worker_sees_a_change_within_the_keeping_time(app, other_worker):
    add_role("inspector", "劳动监察员")
    db.session.commit()
    with other_worker.app_context():
        assert role_label("inspector") == "劳动监察员"
        db.session.remove()
    update_role(find_role("inspector"), "监察员")
    db.session.commit()
    with other_worker.app_context():
        assert role_label("inspector") == "劳动监察员"  # still kept there
        db.session.remove()
    time.sleep(0.6)
    with other_worker.app_context():
        assert role_label("inspector") == "监察员"
        db.session.remove()
