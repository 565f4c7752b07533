"""Case numbers: one yearly sequence per prefix, no number given twice, even to the year's first cases at once."""
import pytest

from workflow_app.cases.operations import next_case_number, reserve_numbers
from workflow_app.core.time import SHANGHAI, utcnow
from tests.engine.test_concurrency import run_together


def test_numbers_follow_each_other_per_prefix(app):
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
