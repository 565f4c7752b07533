"""The agency records an installment's payment: an amount or a date no one means is refused on its field, on the
task page and in the API, and nothing is recorded (issue 27: a payment dated 0001-01-01 was accepted)."""

import pytest
import sqlalchemy as sa

from tests.api.conftest import ApiClient
from tests.conftest import open_task_of
from tests.portal.test_typed_values import SCHEMA_BAD_AMOUNTS as BAD_AMOUNTS
from tests.portal.test_typed_values import SCHEMA_DATE_MESSAGE as DATE_MESSAGE
from workflow_app.agreements.models import Installment
from workflow_app.auth.operations import create_api_token
from workflow_app.core.money import format_yuan
from workflow_app.core.time import local_today
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.extensions import db


@pytest.fixture
def payment_task(create_agreement_case):
    """The agency's open step recording the first installment of an agreement in force, and its amount."""
    case = create_agreement_case("active")
    task = open_task_of(case)
    assert task.bpmn_id == "record_payment"
    first = db.session.scalar(sa.select(Installment).order_by(Installment.id))
    return task, format_yuan(first.amount_fen).replace(",", "")


def _nothing_recorded(task, completions_before):
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Installment).where(Installment.paid_on.is_not(None)))
        == 0
    )
    assert db.session.get(Task, task.id).state == "open"
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_completed"))
        == completions_before
    )


def _completions():
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_completed")
    )


def _field_message(page, field):
    after_field = page[page.index(f'name="{field}"') :]
    under_field = after_field[: after_field.index("<label")]
    assert under_field.count('class="invalid-feedback') == 1, under_field
    return under_field


@pytest.mark.parametrize(
    "paid_amount, paid_on, field, message",
    [
        *[(typed, None, "paid_amount", message) for typed, message in BAD_AMOUNTS.items()],
        (None, "0001-01-01", "paid_on", DATE_MESSAGE),
        (None, "1899-12-31", "paid_on", DATE_MESSAGE),
    ],
)
def test_a_payment_no_one_means_is_refused_on_the_task_page(
    payment_task, client_as, paid_amount, paid_on, field, message
):
    task, amount = payment_task
    client = client_as("agency")
    client.post("/language/en")
    completions = _completions()
    response = client.post(
        f"/tasks/{task.id}",
        data={
            "data.paid_amount": paid_amount or amount,
            "data.receipt_no": "R1",
            "data.paid_on": paid_on or local_today().isoformat(),
        },
    )
    assert response.status_code == 422
    assert message in _field_message(response.get_data(as_text=True), f"data.{field}")
    _nothing_recorded(task, completions)


@pytest.mark.parametrize(
    "paid_amount, paid_on, field, message",
    [
        ("NaN", None, "paid_amount", BAD_AMOUNTS["NaN"]),
        ("99999999999999999999999.99", None, "paid_amount", BAD_AMOUNTS["99999999999999999999999.99"]),
        ("1.234", None, "paid_amount", BAD_AMOUNTS["1.234"]),
        (None, "0001-01-01", "paid_on", DATE_MESSAGE),
    ],
)
def test_a_payment_no_one_means_is_refused_in_the_api(app, payment_task, bureau, paid_amount, paid_on, field, message):
    task, amount = payment_task
    _row, token = create_api_token(bureau["agency"], "payments")
    db.session.commit()
    api = ApiClient(app.test_client(), token, "en")
    completions = _completions()
    response = api.post(
        f"/tasks/{task.id}/complete",
        {
            "data": {
                "paid_amount": paid_amount or amount,
                "paid_on": paid_on or local_today().isoformat(),
                "receipt_no": "R1",
            }
        },
    )
    assert response.status_code == 422, response.get_json()
    [detail] = response.get_json()["details"]
    assert detail["field"] == field and message in detail["message"]
    _nothing_recorded(task, completions)


def test_the_right_payment_is_still_recorded(payment_task, client_as):
    task, amount = payment_task
    response = client_as("agency").post(
        f"/tasks/{task.id}",
        data={"data.paid_amount": amount, "data.paid_on": local_today().isoformat(), "data.receipt_no": "R1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    paid = db.session.scalar(sa.select(Installment).where(Installment.paid_on.is_not(None)))
    assert paid.paid_on == local_today() and format_yuan(paid.paid_fen).replace(",", "") == amount


def test_a_payment_dated_before_the_agreement_was_signed_is_refused(payment_task, client_as, app, bureau):
    """Issue 30.14: no installment is owed before the signature, so a payment dated earlier is a typing mistake."""
    from datetime import timedelta

    from workflow_app.agreements.models import Agreement
    from workflow_app.core.time import to_local

    task, amount = payment_task
    signed_on = to_local(db.session.scalar(sa.select(Agreement.signed_at))).date()
    the_day_before = (signed_on - timedelta(days=1)).isoformat()
    client = client_as("agency")
    client.post("/language/en")
    completions = _completions()
    response = client.post(
        f"/tasks/{task.id}",
        data={"data.paid_amount": amount, "data.receipt_no": "R1", "data.paid_on": the_day_before},
    )
    assert response.status_code == 422
    message = f"The payment date cannot be before the agreement was signed ({signed_on.isoformat()})"
    assert message in _field_message(response.get_data(as_text=True), "data.paid_on")
    _row, token = create_api_token(bureau["agency"], "payments")
    db.session.commit()
    api = ApiClient(app.test_client(), token, "en")
    answer = api.post(
        f"/tasks/{task.id}/complete",
        {"data": {"paid_amount": amount, "paid_on": the_day_before, "receipt_no": "R1"}},
    )
    assert answer.status_code == 422
    [detail] = answer.get_json()["details"]
    assert detail["field"] == "paid_on" and message in detail["message"]
    _nothing_recorded(task, completions)
