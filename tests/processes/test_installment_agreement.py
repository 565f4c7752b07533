"""The installment agreement (缓缴社保费分期补缴协议): check, schedule, sign, countersign, each installment's fate."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from forms.installment_agreement import InstallmentApplicationForm
from tests.processes.conftest import (assert_task_for, audit_kinds, completed_steps, fire_timers_when_due,
                                      form_errors, open_steps, submit)
from workflow_app.agreements.models import Agreement
from workflow_app.agreements.operations import apply_for_installment_agreement
from workflow_app.agreements.text import text_hash
from workflow_app.core.money import format_yuan
from workflow_app.core.time import local_today
from workflow_app.engine.queries import current_data
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification


def application(**changes):
    data = {"pension_yuan": "60000.00", "unemployment_yuan": "3000.00", "injury_yuan": "1500.01",
            "deferral_end_date": (local_today() - timedelta(days=10)).isoformat(),
            "hardship_reason": "订单减少，一次性补缴困难", "proposed_installments": "3"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def apply(app, bureau):
    def factory(settings=None, **changes):
        with app.test_request_context():
            form = InstallmentApplicationForm(formdata=MultiDict(application(**changes)))
            assert form.validate(), form.errors
            case = apply_for_installment_agreement(form.task_data(), bureau["ent_huayu"],
                                                   {"policy_deadline": "2099-12-31"} if settings is None else settings)
        db.session.commit()
        return case
    return factory


def first_due(days=20):
    return (local_today() + timedelta(days=days)).isoformat()


def agreed(case, bureau, count="3"):
    """Check, draft and sign; return the agreement."""
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": "y"})
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": count, "first_due_date": first_due()})
    assert_task_for(case, "sign", "enterprise", "kuiwen")
    submit(case, "sign", bureau["ent_huayu"], {"sign_decision": "sign", "read_confirmed": "y", "legal_rep_name": "王建华"})
    submit(case, "countersign", bureau["agency"], {"countersign_confirmed": "y"})
    return db.session.scalar(sa.select(Agreement).where(Agreement.case_id == case.id, Agreement.status == "active"))


def pay_current(case, bureau, step="record_payment"):
    current = current_data(case.instance)["current"]
    submit(case, step, bureau["agency"], {"paid_amount": format_yuan(current["amount_fen"]).replace(",", ""),
                                          "paid_on": local_today().isoformat(), "receipt_no": f"R{current['seq']}"})


def told(user):
    """The (kind, installment, due day) of the installment notifications a user got, oldest first."""
    rows = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.kind.in_(INSTALLMENT_NEWS)).order_by(Notification.id))
    return [(n.kind, n.data["seq"], n.data["day"]) for n in rows]


INSTALLMENT_NEWS = ("installment_due_soon", "installment_missed", "agreement_defaulted")


def move_to(clock, moment):
    clock.shift_clock(moment - datetime.now(timezone.utc) - (clock.utcnow() - datetime.now(timezone.utc)))


def test_all_installments_paid_with_reminders_completes_the_agreement(apply, bureau, clock):
    case = apply()
    assert_task_for(case, "agency_check", "agency_officer", "weifang")
    agreement = agreed(case, bureau)
    assert agreement.total_fen == 6_450_001 and [i.amount_fen for i in agreement.installments] == [2_150_001, 2_150_000, 2_150_000]
    assert agreement.signer_name == "王建华" and agreement.signed_at is not None and agreement.countersigned_at is not None
    assert agreement.text_sha256 == text_hash(agreement.text) and "免收滞纳金" in agreement.text
    assert "64,500.01" in agreement.text and "第3期" in agreement.text
    for installment in agreement.installments:
        assert open_steps(case) == ["record_payment"]
        move_to(clock, datetime.combine(installment.due_date, datetime.min.time(), timezone.utc) - timedelta(days=4))
        assert fire_timers_when_due(0) == 1                              # the reminder, the task stays
        assert current_data(case.instance)["reminders_sent"][-1] == installment.seq
        assert told(bureau["ent_huayu"])[-1] == ("installment_due_soon", installment.seq,
                                                 installment.due_date.isoformat())
        assert open_steps(case) == ["record_payment"]
        pay_current(case, bureau)
    assert [seq for _kind, seq, _day in told(bureau["ent_huayu"])] == [1, 2, 3]
    assert told(bureau["agency"]) == []  # the agency works the payment task; the reminders are the enterprise's
    assert case.instance.status == "completed"
    data = current_data(case.instance)
    assert (data["outcome"], data["late_fees_waived"], data["paid_count"]) == ("completed", True, 3)
    db.session.refresh(agreement)
    assert agreement.status == "completed"
    assert all(i.state_on(local_today()) == "paid" for i in agreement.installments)
    steps = completed_steps(case)
    assert [s for s, _ in steps] == ["agency_check", "draft_schedule", "sign", "countersign"] + ["record_payment"] * 3
    assert [a for _, a in steps][2] == bureau["ent_huayu"].id
    assert audit_kinds(case).count("timer_fired") == 3 and audit_kinds(case)[-1] == "instance_completed"


def test_missed_installment_gets_a_notice_and_is_paid_within_grace(apply, bureau, clock, client_as):
    case = apply()
    agreement = agreed(case, bureau, count="2")
    first = agreement.installments[0]
    move_to(clock, datetime.combine(first.due_date + timedelta(days=1), datetime.min.time(), timezone.utc))
    assert fire_timers_when_due(0) == 2                                  # reminder and due date
    assert open_steps(case) == ["record_late_payment"]
    assert current_data(case.instance)["missed_notices"] == [1]
    # the worker found both timers due at once: the enterprise hears that it missed the day, not that it comes
    assert told(bureau["ent_huayu"]) == [("installment_missed", 1, first.due_date.isoformat())]
    missed = db.session.scalar(sa.select(Notification).where(Notification.user_id == bureau["ent_huayu"].id,
                                                             Notification.kind == "installment_missed"))
    assert missed.data["grace"] == (first.due_date + timedelta(days=15)).isoformat()
    enterprise = client_as("ent_huayu")
    page = enterprise.get("/notifications").get_data(as_text=True)
    assert f"第 1 期 {format_yuan(first.amount_fen)} 元已于 {first.due_date.isoformat()} 到期" in page
    opened = enterprise.post(f"/notifications/{missed.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/portal/cases/{case.id}")
    pay_current(case, bureau, "record_late_payment")
    db.session.refresh(first)
    assert first.state_on(local_today()) == "paid_late"                 # paid within the grace period
    assert first.paid_on > first.due_date and open_steps(case) == ["record_payment"]


def test_installment_unpaid_after_grace_defaults_the_agreement(apply, bureau, clock):
    case = apply()
    agreement = agreed(case, bureau, count="2")
    first = agreement.installments[0]
    move_to(clock, datetime.combine(first.due_date + timedelta(days=1), datetime.min.time(), timezone.utc))
    fire_timers_when_due(0)
    assert_task_for(case, "record_late_payment", "agency_officer", "weifang")
    move_to(clock, datetime.combine(first.due_date + timedelta(days=16), datetime.min.time(), timezone.utc))
    assert fire_timers_when_due(0) == 1
    assert case.instance.status == "completed" and open_steps(case) == []
    data = current_data(case.instance)
    assert (data["outcome"], data["late_fees_waived"]) == ("defaulted", False)
    db.session.refresh(agreement)
    assert agreement.status == "defaulted"
    assert first.state_on(local_today()) == "overdue"
    assert [kind for kind, _seq, _day in told(bureau["ent_huayu"])] == ["installment_missed", "agreement_defaulted"]


def test_not_eligible_ends_the_case(apply, bureau):
    case = apply()
    assert form_errors(case, "agency_check", {"check_decision": "approve"}) == {
        "deferral_confirmed": ["批准前请确认缓缴情况和金额"]}
    submit(case, "agency_check", bureau["agency"], {"check_decision": "reject", "check_opinion": "缓缴期尚未届满"})
    assert case.instance.status == "completed" and current_data(case.instance)["outcome"] == "rejected"


def test_declining_to_sign_makes_a_new_agreement(apply, bureau):
    case = apply()
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": "y"})
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": "3", "first_due_date": first_due()})
    first_id = current_data(case.instance)["agreement_id"]
    assert "legal_rep_name" in form_errors(case, "sign", {"sign_decision": "sign", "read_confirmed": "y"})
    submit(case, "sign", bureau["ent_huayu"], {"sign_decision": "decline", "decline_reason": "希望分6期"})
    assert_task_for(case, "draft_schedule", "agency_officer", "weifang")
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": "6", "first_due_date": first_due()})
    second_id = current_data(case.instance)["agreement_id"]
    assert second_id != first_id
    assert db.session.get(Agreement, first_id).status == "declined"
    assert len(db.session.get(Agreement, second_id).installments) == 6


def test_signed_agreement_cannot_change(apply, bureau):
    case = apply()
    agreement = agreed(case, bureau)
    agreement.text = agreement.text.replace("免收滞纳金", "收取滞纳金")
    with pytest.raises(RuntimeError, match="signed agreement cannot be changed"):
        db.session.flush()
    db.session.rollback()
    agreement = db.session.get(Agreement, agreement.id)
    agreement.installments[0].amount_fen += 1
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()


def test_altered_text_cannot_be_signed(apply, bureau):
    case = apply()
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": "y"})
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": "3", "first_due_date": first_due()})
    agreement_id = current_data(case.instance)["agreement_id"]
    db.session.execute(sa.text("UPDATE agreement SET text = text || '附加条款' WHERE id = :id"), {"id": agreement_id})
    db.session.commit()
    from workflow_app.core.errors import ConflictError
    with pytest.raises(ConflictError):
        submit(case, "sign", bureau["ent_huayu"], {"sign_decision": "sign", "read_confirmed": "y", "legal_rep_name": "王建华"})
    db.session.rollback()
    assert db.session.get(Agreement, agreement_id).signed_at is None


def test_schedule_and_payment_refusals(apply, bureau):
    case = apply(settings={"policy_deadline": (local_today() + timedelta(days=75)).isoformat()})
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": "y"})
    errors = form_errors(case, "draft_schedule", {"installment_count": "6", "first_due_date": first_due(10)})
    assert "政策截止日" in errors["first_due_date"][0]
    errors = form_errors(case, "draft_schedule", {"installment_count": "2", "first_due_date": first_due(-1)})
    assert errors == {"first_due_date": ["首期缴费日不能早于今天"]}
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": "2", "first_due_date": first_due(10)})
    submit(case, "sign", bureau["ent_huayu"], {"sign_decision": "sign", "read_confirmed": "y", "legal_rep_name": "王建华"})
    submit(case, "countersign", bureau["agency"], {"countersign_confirmed": "y"})
    errors = form_errors(case, "record_payment", {"paid_amount": "100.00", "paid_on": local_today().isoformat()})
    assert "请登记全额" in errors["paid_amount"][0]


def test_the_notices_own_deadline_2023_12_31(apply, bureau, clock):
    clock.shift_clock(datetime(2023, 9, 1, 2, tzinfo=timezone.utc) - clock.utcnow())
    case = apply(settings={}, deferral_end_date="2023-08-31")
    assert current_data(case.instance)["policy_deadline"] == "2023-12-31"
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": "y"})
    errors = form_errors(case, "draft_schedule", {"installment_count": "5", "first_due_date": "2023-09-30"})
    assert "最多可分 4 期" in errors["first_due_date"][0]
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": "4", "first_due_date": "2023-09-30"})
    dues = [i["due"] for i in current_data(case.instance)["installments"]]
    assert dues == ["2023-09-30", "2023-10-30", "2023-11-30", "2023-12-30"]


@pytest.mark.parametrize("changes, field", [
    ({"pension_yuan": "-1"}, "pension_yuan"),
    ({"pension_yuan": "10.001"}, "pension_yuan"),
    ({"pension_yuan": "0", "unemployment_yuan": "0", "injury_yuan": "0"}, "pension_yuan"),
    ({"deferral_end_date": (local_today() + timedelta(days=3)).isoformat()}, "deferral_end_date"),
    ({"proposed_installments": "13"}, "proposed_installments"),
])
def test_application_refusals(app, bureau, changes, field):
    with app.test_request_context():
        form = InstallmentApplicationForm(formdata=MultiDict(application(**changes)))
        assert not form.validate()
        assert field in form.errors
