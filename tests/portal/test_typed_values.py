"""What an enterprise types as money and dates in the portal: refused on the field with a reason, nothing stored.

(Issue 27: Infinity, NaN and 29-digit amounts answered 500; an amount beyond the BIGINT columns was accepted and
then failed the schedule step forever. The API's side: tests/api/test_typed_values.py; the agency's payment:
tests/agreements/test_payment_input.py.)
"""

import pytest

from tests.portal.test_portal import count, english
from tests.processes.test_installment_agreement import posted as installment_application
from tests.processes.test_loan_extension import application as loan_application
from tests.processes.test_loan_extension import apply_in_portal, weigangdai
from workflow_app.cases.models import Case
from workflow_app.engine.models import ProcessInstance

# typed amount -> what the field says (English)
BAD_AMOUNTS = {
    "Infinity": "Type the amount in digits, e.g. 1234.56",
    "sNaN": "Type the amount in digits, e.g. 1234.56",
    "NaN": "Type the amount in digits, e.g. 1234.56",
    "1E+400": "The amount can be at most 9,999,999,999,999.99 yuan",
    "1e30": "The amount can be at most 9,999,999,999,999.99 yuan",
    "1" * 29: "The amount can be at most 9,999,999,999,999.99 yuan",
    "99999999999999999999999.99": "The amount can be at most 9,999,999,999,999.99 yuan",
    "1.234": "Give the amount in yuan with at most two decimals (fen)",
}
DATE_MESSAGE = "Give a date from 1900-01-01 to 2100-12-31"
# what a JSON Schema form's money-yuan field says (it reads no exponent: 1e30 is no amount in digits)
SCHEMA_BAD_AMOUNTS = {
    **BAD_AMOUNTS,
    "1E+400": "Type the amount in digits, e.g. 1234.56",
    "1e30": "Type the amount in digits, e.g. 1234.56",
}
SCHEMA_DATE_MESSAGE = "give a date from 1900-01-01 to 2100-12-31"


def _refused_on(response, field, message):
    """A 422 page whose `field` shows `message` (and only it), with no case started."""
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    after_field = page[page.index(f'name="{field}"') :]
    under_field = after_field[: after_field.index("<label")]
    assert under_field.count('class="invalid-feedback') == 1 and message in under_field, under_field
    assert count(Case) == 0 and count(ProcessInstance) == 0


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_a_deferred_amount_that_is_no_amount_is_refused_on_its_field(bureau, client_as, typed):
    client = english(client_as("ent_huayu"))
    response = client.post("/portal/apply/installment_agreement", data=installment_application(pension_yuan=typed))
    _refused_on(response, "data.pension_yuan", SCHEMA_BAD_AMOUNTS[typed])


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_a_loan_principal_that_is_no_amount_is_refused_on_its_field(bureau, client_as, typed):
    client = english(client_as("ent_huayu"))
    response = apply_in_portal(client, loan_application(principal=typed))
    _refused_on(response, "data.principal", SCHEMA_BAD_AMOUNTS[typed])


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_date_outside_the_plausible_years_is_refused_on_its_field(bureau, client_as, day):
    client = english(client_as("ent_huayu"))
    response = client.post("/portal/apply/installment_agreement", data=installment_application(deferral_end_date=day))
    _refused_on(response, "data.deferral_end_date", SCHEMA_DATE_MESSAGE)


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_loan_maturity_outside_the_plausible_years_is_refused_on_its_field(bureau, client_as, day):
    client = english(client_as("ent_huayu"))
    _refused_on(apply_in_portal(client, loan_application(maturity_date=day)), "data.maturity_date", SCHEMA_DATE_MESSAGE)


@pytest.mark.parametrize("field", ["employees", "headcount_last_year_end", "headcount_year_before"])
@pytest.mark.parametrize("typed", [str(10**30), str(2**63), "10000001"])
def test_a_head_count_no_employer_has_is_refused_on_its_field(bureau, client_as, field, typed):
    client = english(client_as("ent_huayu"))
    response = apply_in_portal(client, weigangdai(**{field: typed}))
    _refused_on(response, f"data.{field}", "10000000")


def test_the_messages_are_chinese_by_default(bureau, client_as):
    client = client_as("ent_huayu")
    page = client.post(
        "/portal/apply/installment_agreement",
        data=installment_application(pension_yuan="1" * 29, unemployment_yuan="NaN", deferral_end_date="0001-01-01"),
    ).get_data(as_text=True)
    assert "金额最多为 9,999,999,999,999.99 元" in page
    assert "请用数字填写金额，例如 1234.56" in page
    assert "日期应在 1900-01-01 至 2100-12-31 之间" in page
    assert count(Case) == 0


def test_the_largest_amount_is_taken_and_its_schedule_is_drafted(bureau, client_as, create_agreement_case):
    from workflow_app.agreements.queries import current_agreement

    case = create_agreement_case("drafted", pension="1000000000.00")  # the most the package's form takes (10 亿元)
    agreement = current_agreement(case.id)  # the pension and the fixture's 200 yuan of unemployment insurance
    assert agreement.total_fen == 100_000_020_000 and "1,000,000,200.00 元" in agreement.text
