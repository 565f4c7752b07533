"""The installment agreement (缓缴社保费分期补缴协议, bpmn/installment_agreement/): apply, check, schedule, sign,
countersign, each installment's fate, the late fee after a default; the agreement's text and who may sign it."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.processes.conftest import (
    assert_task_for,
    audit_kinds,
    completed_steps,
    fire_timers_when_due,
    form_errors,
    open_steps,
    open_task,
    submit,
)
from workflow_app.agreements.models import Agreement
from workflow_app.agreements.queries import agreement_late_fees
from workflow_app.agreements.text import text_hash
from workflow_app.auth.models import Enterprise
from workflow_app.cases.operations import start_generic_case
from workflow_app.cases.schema_tasks import checked_data, start_form_context, start_schema_form
from workflow_app.core.errors import InvalidInput
from workflow_app.core.money import format_yuan
from workflow_app.core.time import SHANGHAI, local_today
from workflow_app.demo import deploy_installment_policy
from workflow_app.engine.queries import current_data, latest_version
from workflow_app.extensions import db
from workflow_app.notifications.models import Notification

HUAYU = "潍坊华宇精密机械有限公司"  # kuiwen
LVYUAN = "寿光市绿源食品加工有限公司"  # shouguang


def application(**changes):
    """The enterprise's application as its portal form (apply-schema.json) sends it."""
    data = {
        "pension_yuan": "60000.00",
        "unemployment_yuan": "3000.00",
        "injury_yuan": "1500.01",
        "deferral_end_date": (local_today() - timedelta(days=10)).isoformat(),
        "hardship_reason": "订单减少，一次性补缴困难",
        "proposed_installments": 3,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def posted(**changes):
    """The application as the portal's page posts it."""
    return {f"data.{name}": str(value) for name, value in application(**changes).items()}


def apply_as(user, **changes):
    """Apply as the portal does: the start form (and its rules) check the data, then the case starts."""
    form = start_schema_form(latest_version("installment_agreement"))
    values = application(**changes)
    context = start_form_context(user, "installment_agreement", values)
    case = start_generic_case("installment_agreement", checked_data(form, values, context), user)
    db.session.commit()
    return case


@pytest.fixture
def registered(bureau):
    """The demo enterprises' legal representatives on the register (who may sign their agreements)."""
    for name, person in ((HUAYU, "王建华"), (LVYUAN, "李春生")):
        db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name)).legal_representative = person
    db.session.commit()


@pytest.fixture
def policy(bureau, registered):
    """Deploy the package with its policy running until a given day (the notice's 2023-12-31 has passed)."""

    def factory(until):
        deploy_installment_policy(until)
        db.session.commit()

    factory(date(local_today().year + 1, 12, 31))
    return factory


@pytest.fixture
def apply(policy, bureau):
    def factory(user="ent_huayu", **changes):
        return apply_as(bureau[user], **changes)

    return factory


def first_due(days=20):
    return (local_today() + timedelta(days=days)).isoformat()


def drafted(case, bureau, count=3, first=None):
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": True})
    submit(
        case, "draft_schedule", bureau["agency"], {"installment_count": count, "first_due_date": first or first_due()}
    )
    return db.session.scalar(
        sa.select(Agreement).where(Agreement.case_id == case.id, Agreement.status == "awaiting_signature")
    )


def agreed(case, bureau, count=3, first=None, user="ent_huayu", signer="王建华"):
    """Check, draft, sign and countersign; return the agreement in force."""
    drafted(case, bureau, count, first)
    assert_task_for(case, "sign", "enterprise", "kuiwen" if user == "ent_huayu" else "shouguang")
    submit(case, "sign", bureau[user], {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": signer})
    submit(case, "countersign", bureau["agency"], {"countersign_confirmed": True})
    return db.session.scalar(sa.select(Agreement).where(Agreement.case_id == case.id, Agreement.status == "active"))


def pay_current(case, bureau, step="record_payment"):
    current = current_data(case.instance)["current"]
    submit(
        case,
        step,
        bureau["agency"],
        {
            "paid_amount": format_yuan(current["amount_fen"]).replace(",", ""),
            "paid_on": local_today().isoformat(),
            "receipt_no": f"R{current['seq']}",
        },
    )


INSTALLMENT_NEWS = ("installment_due_soon", "installment_missed", "agreement_defaulted")


def told(user):
    """The (kind, installment, due day) of the installment notifications a user got, oldest first."""
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == user.id, Notification.kind.in_(INSTALLMENT_NEWS))
        .order_by(Notification.id)
    )
    return [(n.kind, n.data["seq"], n.data["day"]) for n in rows]


def move_to(clock, moment):
    clock.shift_clock(moment - datetime.now(UTC) - (clock.utcnow() - datetime.now(UTC)))


def midnight(day):
    return datetime.combine(day, datetime.min.time(), UTC)


def test_all_installments_paid_with_reminders_completes_the_agreement(apply, bureau, clock):
    case = apply()
    assert case.title == f"{HUAYU}：缓缴社保费分期补缴"
    data = current_data(case.instance)
    assert (data["pension_fen"], data["injury_fen"], data["deferred_total_fen"]) == (6_000_000, 150_001, 6_450_001)
    assert_task_for(case, "agency_check", "agency_officer", "weifang")
    agreement = agreed(case, bureau)
    assert agreement.total_fen == 6_450_001
    assert [i.amount_fen for i in agreement.installments] == [2_150_001, 2_150_000, 2_150_000]
    assert (
        agreement.signer_name == "王建华" and agreement.signed_at is not None and agreement.countersigned_at is not None
    )
    assert agreement.text_sha256 == text_hash(agreement.text) and "免收滞纳金" in agreement.text
    assert "64,500.01 元（大写：人民币陆万肆仟伍佰元零壹分）" in agreement.text and "第3期" in agreement.text
    for installment in agreement.installments:
        assert open_steps(case) == ["record_payment"]
        move_to(clock, midnight(installment.due_date) - timedelta(days=4))
        assert fire_timers_when_due(0) == 1  # the reminder, the task stays
        assert current_data(case.instance)["reminders_sent"][-1] == installment.seq
        assert told(bureau["ent_huayu"])[-1] == (
            "installment_due_soon",
            installment.seq,
            installment.due_date.isoformat(),
        )
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
    agreement = agreed(case, bureau, count=2)
    first = agreement.installments[0]
    move_to(clock, midnight(first.due_date + timedelta(days=1)))
    assert fire_timers_when_due(0) == 2  # reminder and due date
    assert open_steps(case) == ["record_late_payment"]
    assert current_data(case.instance)["missed_notices"] == [1]
    # the worker found both timers due at once: the enterprise hears that it missed the day, not that it comes
    assert told(bureau["ent_huayu"]) == [("installment_missed", 1, first.due_date.isoformat())]
    missed = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == bureau["ent_huayu"].id, Notification.kind == "installment_missed"
        )
    )
    assert missed.data["grace"] == (first.due_date + timedelta(days=15)).isoformat()
    enterprise = client_as("ent_huayu")
    page = enterprise.get("/notifications").get_data(as_text=True)
    assert f"第 1 期 {format_yuan(first.amount_fen)} 元已于 {first.due_date.isoformat()} 到期" in page
    opened = enterprise.post(f"/notifications/{missed.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/portal/cases/{case.id}")
    pay_current(case, bureau, "record_late_payment")
    db.session.refresh(first)
    assert first.state_on(local_today()) == "paid_late"  # paid within the grace period
    assert first.paid_on > first.due_date and open_steps(case) == ["record_payment"]
    assert agreement_late_fees(agreement, local_today()) is None  # kept to: no late fee


def test_installment_unpaid_after_grace_defaults_the_agreement_and_the_late_fee_runs(apply, bureau, clock, client_as):
    case = apply()
    agreement = agreed(case, bureau, count=2)
    first, second = agreement.installments
    move_to(clock, midnight(first.due_date + timedelta(days=1)))
    fire_timers_when_due(0)
    assert_task_for(case, "record_late_payment", "agency_officer", "weifang")
    move_to(clock, midnight(first.due_date + timedelta(days=16)))
    assert fire_timers_when_due(0) == 1
    assert case.instance.status == "completed" and open_steps(case) == []
    data = current_data(case.instance)
    assert (data["outcome"], data["late_fees_waived"]) == ("defaulted", False)
    db.session.refresh(agreement)
    assert agreement.status == "defaulted"
    assert first.state_on(local_today()) == "overdue"
    assert [kind for kind, _seq, _day in told(bureau["ent_huayu"])] == ["installment_missed", "agreement_defaulted"]

    # 社会保险法 第八十六条: 0.05% a day of each unpaid installment from the day after its due date (the model's
    # late_fee_daily_rate and late_fee_basis), rounded half up to the fen per installment
    as_of = first.due_date + timedelta(days=16)
    statement = agreement_late_fees(agreement, as_of)
    assert [(line.installment.seq, line.since, line.days) for line in statement.lines] == [
        (1, first.due_date + timedelta(days=1), 16),
        (2, second.due_date + timedelta(days=1), 0),
    ]
    assert first.amount_fen == 3_225_001
    assert statement.lines[0].fee_fen == 25_800  # 3,225,001 × 0.0005 × 16 = 25,800.008
    later = agreement_late_fees(agreement, second.due_date + timedelta(days=10))
    days = (second.due_date + timedelta(days=10) - first.due_date).days
    assert [line.fee_fen for line in later.lines] == [
        int((Decimal(3_225_001) * Decimal("0.0005") * days).quantize(Decimal(1), rounding="ROUND_HALF_UP")),
        int((Decimal(3_225_000) * Decimal("0.0005") * 10).quantize(Decimal(1), rounding="ROUND_HALF_UP")),
    ]
    assert later.total_fen == sum(line.fee_fen for line in later.lines) and later.unpaid_fen == 6_450_001

    # shown on the case page, the agreement page and the portal, with the total in figures and in capitals
    today_fee = format_yuan(agreement_late_fees(agreement, local_today()).total_fen)
    pages = {
        "case": client_as("agency").get(f"/cases/{case.id}"),
        "agreement": client_as("agency").get(f"/agreements/{agreement.id}"),
        "portal": client_as("ent_huayu").get(f"/portal/cases/{case.id}"),
    }
    for where, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="late-fee-table"' in page, where
        assert f'id="late-fee-total">{today_fee}</th>' in page and "0.05%" in page, where


def test_not_eligible_ends_the_case(apply, bureau):
    case = apply()
    assert form_errors(case, "agency_check", {"check_decision": "approve", "deferral_confirmed": False}) == {
        "deferral_confirmed": ["请勾选‘已核实企业曾办理缓缴、缓缴期已满，缓缴金额无误’"]
    }
    assert "check_opinion" in form_errors(case, "agency_check", {"check_decision": "reject"})
    submit(case, "agency_check", bureau["agency"], {"check_decision": "reject", "check_opinion": "缓缴期尚未届满"})
    assert case.instance.status == "completed" and current_data(case.instance)["outcome"] == "rejected"


def test_declining_to_sign_makes_a_new_agreement(apply, bureau):
    case = apply()
    first = drafted(case, bureau)
    assert "legal_rep_name" in form_errors(case, "sign", {"sign_decision": "sign", "read_confirmed": True})
    submit(case, "sign", bureau["ent_huayu"], {"sign_decision": "decline", "decline_reason": "希望分6期"})
    # the redraft goes to the officer who checked the application (samePersonAs), not back to the queue
    assert_task_for(case, "draft_schedule", "agency_officer", "weifang", assignee=bureau["agency"])
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": 6, "first_due_date": first_due()})
    second_id = current_data(case.instance)["agreement_id"]
    assert second_id != first.id
    assert db.session.get(Agreement, first.id).status == "declined"
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
    agreement_id = drafted(case, bureau).id
    db.session.execute(sa.text("UPDATE agreement SET text = text || '附加条款' WHERE id = :id"), {"id": agreement_id})
    db.session.commit()
    from workflow_app.core.errors import ConflictError

    with pytest.raises(ConflictError):
        submit(
            case,
            "sign",
            bureau["ent_huayu"],
            {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "王建华"},
        )
    db.session.rollback()
    assert db.session.get(Agreement, agreement_id).signed_at is None


def test_schedule_and_payment_refusals(apply, policy, bureau):
    policy(local_today() + timedelta(days=75))
    case = apply()
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": True})
    errors = form_errors(case, "draft_schedule", {"installment_count": 6, "first_due_date": first_due(10)})
    assert "政策截止日" in errors["first_due_date"][0]
    errors = form_errors(case, "draft_schedule", {"installment_count": 2, "first_due_date": first_due(-1)})
    assert errors == {"first_due_date": ["首期缴费日不能早于今天"]}
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": 2, "first_due_date": first_due(10)})
    submit(
        case, "sign", bureau["ent_huayu"], {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "王建华"}
    )
    submit(case, "countersign", bureau["agency"], {"countersign_confirmed": True})
    errors = form_errors(case, "record_payment", {"paid_amount": "100.00", "paid_on": local_today().isoformat()})
    assert "请登记全额" in errors["paid_amount"][0]
    errors = form_errors(case, "record_payment", {"paid_amount": "100.00", "paid_on": first_due(1)})
    assert errors["paid_on"] == ["缴费日期不能晚于今天"]


def test_the_notices_own_deadline_and_due_dates_moved_off_holidays(bureau, registered, clock):
    """The package as shipped says the notice's 2023-12-31; a due date on a holiday or a weekend moves to the next
    working day (2023's National Day week and 调休), and one moved past the deadline is refused."""
    clock.shift_clock(datetime(2023, 9, 1, 2, tzinfo=UTC) - clock.utcnow())
    case = apply_as(bureau["ent_huayu"], deferral_end_date="2023-08-31")
    assert current_data(case.instance)["policy_deadline"] == "2023-12-31"
    submit(case, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": True})
    errors = form_errors(case, "draft_schedule", {"installment_count": 5, "first_due_date": "2023-09-28"})
    assert "最多可分 4 期" in errors["first_due_date"][0]
    # 2023-12-30 is a Saturday and 2024-01-01 a holiday: the fourth installment from 09-30 would be due 2024-01-02
    errors = form_errors(case, "draft_schedule", {"installment_count": 4, "first_due_date": "2023-09-30"})
    assert "2024-01-02" in errors["first_due_date"][0] and "最多可分 3 期" in errors["first_due_date"][0]
    submit(case, "draft_schedule", bureau["agency"], {"installment_count": 4, "first_due_date": "2023-09-28"})
    dues = [i["due"] for i in current_data(case.instance)["installments"]]
    assert dues == ["2023-09-28", "2023-10-30", "2023-11-28", "2023-12-28"]  # 10-28 is a Saturday
    case2 = apply_as(bureau["ent_huayu"], deferral_end_date="2023-07-31")  # another deferral: the first is open
    submit(case2, "agency_check", bureau["agency"], {"check_decision": "approve", "deferral_confirmed": True})
    submit(case2, "draft_schedule", bureau["agency"], {"installment_count": 3, "first_due_date": "2023-09-30"})
    dues = [i["due"] for i in current_data(case2.instance)["installments"]]
    assert dues == ["2023-10-07", "2023-10-30", "2023-11-30"]  # 09-30 falls in the holiday; 10-07 is a 调休 Saturday


def test_the_policy_deadline_is_the_models_not_the_environments(bureau, registered, client_as, app):
    """An application after the model's policy deadline (the package as shipped: 2023-12-31) is not accepted, with
    the reason, whatever a setting of the installation says."""
    app.config["INSTALLMENT_POLICY_DEADLINE"] = "2099-12-31"  # what d720d35's portal gave the case instead
    try:
        response = client_as("ent_huayu").post("/portal/apply/installment_agreement", data=posted())
    finally:
        del app.config["INSTALLMENT_POLICY_DEADLINE"]
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client_as("ent_huayu").get(f"/portal/cases/{case_id}").get_data(as_text=True)
    assert "分期补缴政策已于 2023-12-31 到期，不予受理" in page
    from workflow_app.cases.models import Case

    case = db.session.get(Case, case_id)
    data = current_data(case.instance)
    assert (case.instance.status, data["policy_deadline"], data["outcome"]) == (
        "completed",
        "2023-12-31",
        "policy_ended",
    )


def test_the_payment_task_is_due_on_its_installments_due_date(apply, bureau, clock):
    """Not 30 days after it opens: an installment due in seven weeks raises no supervision notice after a month."""
    from workflow_app.sla.escalation import run_sla_sweep
    from workflow_app.sla.models import SupervisionNotice

    case = apply()
    agreement = agreed(case, bureau, count=2, first=first_due(49))
    task = open_task(case, "record_payment")
    due_day = agreement.installments[0].due_date
    assert task.due_at is not None and task.due_at.astimezone(SHANGHAI).date() == due_day
    move_to(clock, clock.utcnow() + timedelta(days=35))
    run_sla_sweep()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SupervisionNotice)
            .where(SupervisionNotice.instance_id == case.instance_id)
        )
        == 0
    )


def test_the_agreement_names_the_notices_the_countys_agency_and_amounts_in_capitals(apply, bureau):
    huayu = drafted(apply(), bureau)
    lvyuan = drafted(
        apply("ent_lvyuan", pension_yuan="12345.67", unemployment_yuan=None, injury_yuan=None), bureau, count=1
    )
    text = huayu.text
    assert (
        "潍坊市人力资源和社会保障局《关于开展十“+”行动助力工业经济高质量发展的通知》（潍人社字〔2023〕17号）" in text
        and "鲁人社字〔2022〕113号" in text
    )
    assert "十个+" not in text and "助力工业企业发展" not in text
    assert "甲方（社会保险经办机构）：潍坊市奎文区社会保险经办机构" in text and "法定代表人：王建华" in text
    assert "甲方（社会保险经办机构）：寿光市社会保险经办机构" in lvyuan.text and "潍坊市社会保险经办机构" not in text
    assert "合计：12,345.67 元（大写：人民币壹万贰仟叁佰肆拾伍元陆角柒分）" in lvyuan.text
    assert "工伤保险费：0.00 元（大写：人民币零元整）" in lvyuan.text
    assert "按日加收万分之五的滞纳金" in text and "社会保险法》第八十六条" in text


@pytest.mark.parametrize("typed", ["王建华", " 王 建华 ", "王建华　"])  # spaces, a full-width one among them
def test_the_registered_legal_representative_signs(apply, bureau, typed):
    case = apply()
    drafted(case, bureau)
    submit(
        case, "sign", bureau["ent_huayu"], {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": typed}
    )
    assert open_steps(case) == ["countersign"]


def test_signing_refuses_a_name_other_than_the_registered_legal_representative(apply, bureau, client_as):
    case = apply()
    agreement = drafted(case, bureau)
    signing = {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": "李四"}
    [message] = form_errors(case, "sign", signing, bureau["ent_huayu"])["legal_rep_name"]
    assert "王建华" in message and "李四" in message and "法定代表人" in message
    task = open_task(case, "sign")
    page = client_as("ent_huayu").post(
        f"/portal/tasks/{task.id}",
        data={"data.sign_decision": "sign", "data.read_confirmed": "y", "data.legal_rep_name": "李四"},
    )
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    from workflow_app.cases.task_handlers import submit_task

    with pytest.raises(InvalidInput) as refused:  # the operation itself refuses too (what reaches it from the API)
        submit_task(task.id, {**signing, "decline_reason": None}, bureau["ent_huayu"])
    assert refused.value.details == [{"field": "legal_rep_name", "message": message}]
    db.session.rollback()
    assert db.session.get(Agreement, agreement.id).signed_at is None and open_steps(case) == ["sign"]
    # no legal representative on the register: nobody can sign until the agency records one
    db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU)).legal_representative = None
    db.session.commit()
    [message] = form_errors(case, "sign", {**signing, "legal_rep_name": "王建华"}, bureau["ent_huayu"])[
        "legal_rep_name"
    ]
    assert "没有" in message and "法定代表人" in message


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"pension_yuan": "-1"}, "pension_yuan"),
        ({"pension_yuan": "10.001"}, "pension_yuan"),
        ({"pension_yuan": "0", "unemployment_yuan": "0", "injury_yuan": "0"}, "pension_yuan"),
        ({"deferral_end_date": (local_today() + timedelta(days=3)).isoformat()}, "deferral_end_date"),
        ({"proposed_installments": 13}, "proposed_installments"),
        ({"hardship_reason": ""}, "hardship_reason"),
    ],
)
def test_application_refusals(apply, bureau, changes, field):
    with pytest.raises(InvalidInput) as refused:
        apply(**changes)
    assert [detail["field"] for detail in refused.value.details] == [field]
    db.session.rollback()
