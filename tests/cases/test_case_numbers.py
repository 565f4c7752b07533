"""Case numbers: one yearly sequence per prefix, no number given twice, even to the year's first cases at once;
on PostgreSQL no start waits on another's numbering."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.engine.test_concurrency import run_together
from workflow_app import create_app
from workflow_app.cases.models import CaseNumberSequence
from workflow_app.cases.operations import next_case_number, next_number, reserve_numbers, start_case
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import SHANGHAI, utcnow
from workflow_app.extensions import db

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


@pytest.fixture
def referral_deployed(app):
    """The referral, whose model gives its number prefix (ZB)."""
    from workflow_app.engine.operations import deploy_sources, read_sources

    deploy_sources(read_sources([str(BPMN / "referral")]))
    db.session.commit()


def test_numbers_follow_each_other_per_prefix(app, referral_deployed):
    year = utcnow().astimezone(SHANGHAI).year
    assert next_case_number("referral") == f"ZB-{year}-000001"
    assert next_case_number("referral") == f"ZB-{year}-000002"
    assert next_case_number("some_deployed_process") == f"AJ-{year}-000001"
    assert reserve_numbers("ZB", 2) == [f"ZB-{year}-000003", f"ZB-{year}-000004"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_years_first_cases_started_at_once_get_different_numbers(app):
    results = run_together(app, [lambda: next_case_number("one_step") for _ in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    year = utcnow().astimezone(SHANGHAI).year
    assert sorted(results) == [f"AJ-{year}-{n:06d}" for n in range(1, 7)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_case_being_numbered_does_not_hold_up_the_next(app, referral_deployed):
    """A start's number is taken from a sequence: a second start is numbered while the first is still open."""
    year = utcnow().astimezone(SHANGHAI).year
    assert next_case_number("referral") == f"ZB-{year}-000001"  # this transaction stays open, as a start's does
    with app.app_context():  # another request: its own session and connection
        db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))  # a counter row locked above would fail this
        assert next_case_number("referral") == f"ZB-{year}-000002"
        db.session.commit()
        db.session.remove()
    db.session.rollback()
    # the first start rolled back: its number is not given again, so a gap is left
    assert next_case_number("referral") == f"ZB-{year}-000003"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_prefixs_first_number_is_given_in_a_transaction_that_numbered_before(app):
    """The year's first number of a prefix, after others in the same transaction (its statement prepared by then)."""
    year = utcnow().astimezone(SHANGHAI).year
    assert [next_number("QA") for _ in range(6)][-1] == f"QA-{year}-000006"
    assert next_number("QB") == f"QB-{year}-000001"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_sequence_goes_on_from_the_counter_rows_of_a_database_numbered_with_them(app):
    year = utcnow().astimezone(SHANGHAI).year  # QC: a prefix no other test numbers with, so no sequence yet
    db.session.add(CaseNumberSequence(prefix="QC", year=year, last_value=41))
    db.session.add(CaseNumberSequence(prefix="QC", year=year - 1, last_value=900))
    db.session.commit()
    assert next_number("QC") == f"QC-{year}-000042"
    assert reserve_numbers("QC", 3) == [f"QC-{year}-{n:06d}" for n in (43, 44, 45)]
    # emptied as the tests empty the tables (TRUNCATE ... RESTART IDENTITY), numbering starts again at 1
    db.session.execute(sa.text("TRUNCATE case_number_sequence RESTART IDENTITY"))
    assert next_number("QC") == f"QC-{year}-000001"


def test_a_start_refused_for_its_enterprise_takes_no_number(app, deploy, org_unit):
    deploy("straight_line.bpmn")
    year = utcnow().astimezone(SHANGHAI).year
    with pytest.raises(InvalidInput):
        start_case("straight_line", {}, org_unit.id, None, "A case", enterprise_id=404)
    db.session.rollback()
    assert start_case("straight_line", {}, org_unit.id, None, "A case").number == f"AJ-{year}-000001"


def test_no_numbers_asked_none_given(app):
    year = utcnow().astimezone(SHANGHAI).year
    assert reserve_numbers("DB", 0) == []
    assert next_number("DB") == f"DB-{year}-000001"


@pytest.fixture
def app_of_a_user_who_may_not_create(app):
    """The app connected as a database user who may read and write the tables but create nothing in the schema."""
    role = f"clerk_without_create_{uuid.uuid4().hex[:6]}"
    db.session.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    db.session.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    db.session.execute(sa.text(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}"))
    db.session.commit()
    url = db.engine.url.set(username=role, password=None)
    settings = type("Restricted", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url.render_as_string(False)})
    restricted = create_app(settings)
    yield restricted, role
    with restricted.app_context():
        db.engine.dispose()
    db.session.execute(sa.text(f"DROP OWNED BY {role}"))
    db.session.execute(sa.text(f"DROP ROLE {role}"))
    db.session.commit()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_user_who_may_not_create_the_sequence_numbers_with_the_counter_row(app_of_a_user_who_may_not_create, caplog):
    restricted, role = app_of_a_user_who_may_not_create
    year = utcnow().astimezone(SHANGHAI).year
    with restricted.app_context():
        assert [next_number("QD") for _ in range(2)] == [f"QD-{year}-000001", f"QD-{year}-000002"]
        db.session.commit()
        assert "may not create the sequence case_number_qd" in caplog.text
        assert caplog.text.count("may not create the sequence") == 1  # the refusal kept: not tried at every start
        assert db.session.scalar(sa.select(CaseNumberSequence.last_value).where(CaseNumberSequence.prefix == "QD")) == 2
    # created later by a user who may (as the warning says, with the use of it granted): it goes on from the row
    assert next_number("QD") == f"QD-{year}-000003"
    db.session.execute(sa.text(f"GRANT USAGE ON SEQUENCE case_number_qd_{year} TO {role}"))
    db.session.commit()
    with restricted.app_context():
        assert next_number("QD") == f"QD-{year}-000004"
        db.session.commit()
