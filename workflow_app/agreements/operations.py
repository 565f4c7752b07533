"""Writes of the installment agreement: draft, sign, countersign, record payments, proofs.

The four task steps are named operations (cases.task_handlers) that the model's user tasks name in their
`operation` property: each writes the agreement records and completes the engine task in the same transaction.
The model's end events say what the agreement becomes when the case ends there (`agreementStatus`), and its timer
events what they tell the enterprise when they fire (`enterpriseNotice`).
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.agreements.models import AGREEMENT_STATUSES, Agreement, Installment
from workflow_app.agreements.queries import late_fee_terms, signer_problem
from workflow_app.agreements.schedule import build_schedule, calendar_working_day
from workflow_app.agreements.text import render_agreement_text, text_hash
from workflow_app.auth.models import User
from workflow_app.cases.models import Case
from workflow_app.cases.operations import add_attachment
from workflow_app.cases.queries import case_for_instance
from workflow_app.core.errors import ConflictError, InvalidInput
from workflow_app.core.money import format_yuan, yuan_to_fen
from workflow_app.core.time import to_local, utcnow
from workflow_app.engine.operations import complete_task
from workflow_app.engine.projections import record_audit
from workflow_app.engine.queries import current_data, ended_through, model_property
from workflow_app.engine.signals import instance_status_changed, timers_fired
from workflow_app.extensions import db
from workflow_app.notifications.operations import send_notifications

# an end event's property: the status the case's agreement in force takes when the case ends there
AGREEMENT_STATUS = "agreementStatus"
# a timer event's property: the notification its firing sends the enterprise's users (notifications.queries words it)
ENTERPRISE_NOTICE = "enterpriseNotice"
# when the worker finds several of an installment's timers due at once (it was stopped), only the latest news is sent:
# a reminder for a day already past says nothing; the most final of the notices is the one sent
INSTALLMENT_NOTICES = ("agreement_defaulted", "installment_missed", "installment_due_soon")


def _day(value) -> date:
    """A date a form gave (ISO text from a JSON Schema form, a date from the forms of older versions)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def case_of(task) -> Case:
    return db.session.scalar(sa.select(Case).where(Case.instance_id == task.instance_id))


def agreement_in(task, status: str, message) -> Agreement:
    """The case's agreement in `status` (at most one is: drafting declines the earlier one)."""
    agreement = db.session.scalar(
        sa.select(Agreement)
        .join(Case, Case.id == Agreement.case_id)
        .where(Case.instance_id == task.instance_id, Agreement.status == status)
    )
    if agreement is None:
        raise ConflictError(message)
    return agreement


def draft_agreement(task, form_data, actor, client_ip=None):
    """Build the schedule (due dates moved to working days), render and hash the agreement text, then complete the
    drafting step."""
    case = case_of(task)
    data = current_data(case.instance)
    deadline = _day(data["policy_deadline"])
    schedule = build_schedule(
        data["deferred_total_fen"],
        int(form_data["installment_count"]),
        _day(form_data["first_due_date"]),
        deadline,
        calendar_working_day(),
    )
    for earlier in db.session.scalars(
        sa.select(Agreement).where(Agreement.case_id == case.id, Agreement.status == "awaiting_signature")
    ):
        earlier.status = "declined"
    amounts = {key: data[key] for key in ("pension_fen", "unemployment_fen", "injury_fen")}
    amounts["total_fen"] = data["deferred_total_fen"]
    agreement = Agreement(
        case_id=case.id,
        enterprise_id=case.enterprise_id,
        policy_deadline=deadline,
        drafted_by_id=actor.id,
        text="",
        text_sha256="",
        status="awaiting_signature",
        **amounts,
    )
    db.session.add(agreement)
    db.session.flush()
    number = f"{case.number}-{agreement.id}"
    agreement.text = render_agreement_text(
        number, case.enterprise, amounts, schedule, deadline, data["grace_days"], late_fee_terms(data)
    )
    agreement.text_sha256 = text_hash(agreement.text)
    for item in schedule:
        db.session.add(
            Installment(agreement_id=agreement.id, seq=item.seq, due_date=item.due_date, amount_fen=item.amount_fen)
        )
    installments = [{"seq": i.seq, "due": i.due_date.isoformat(), "amount_fen": i.amount_fen} for i in schedule]
    return complete_task(
        task.id,
        {
            **form_data,
            "agreement_id": agreement.id,
            "agreement_number": number,
            "installments": installments,
            "installment_count": len(installments),
            "text_sha256": agreement.text_sha256,
        },
        actor.id,
    )


def sign_agreement(task, form_data, actor, client_ip=None):
    """The enterprise's registered legal representative signs (signer, time, IP, hash of the exact text), or the
    enterprise declines with a reason."""
    agreement = agreement_in(task, "awaiting_signature", _l("This agreement is not waiting for a signature"))
    if form_data["sign_decision"] == "decline":
        agreement.status = "declined"
        return complete_task(task.id, form_data, actor.id)
    problem = signer_problem(agreement.enterprise, form_data.get("legal_rep_name") or "")
    if problem:
        raise InvalidInput(problem, [{"field": "legal_rep_name", "message": problem}])
    if text_hash(agreement.text) != agreement.text_sha256:
        raise ConflictError(
            _l(
                "The agreement text does not match its fingerprint; it cannot be signed. "
                "Ask the agency to draft it again"
            )
        )
    agreement.signer_id, agreement.signer_name = actor.id, form_data["legal_rep_name"]
    agreement.signed_at, agreement.signed_ip, agreement.status = utcnow(), client_ip, "signed"
    return complete_task(
        task.id,
        {**form_data, "signed_at": agreement.signed_at.isoformat(), "signed_text_sha256": agreement.text_sha256},
        actor.id,
    )


def countersign_agreement(task, form_data, actor, client_ip=None):
    agreement = agreement_in(task, "signed", _l("Only a signed agreement can be countersigned"))
    agreement.countersigned_by_id, agreement.countersigned_at, agreement.status = actor.id, utcnow(), "active"
    return complete_task(task.id, form_data, actor.id)


def record_payment(task, form_data, actor, client_ip=None):
    """Record the payment of the current installment (the first unpaid; it must be paid in full)."""
    agreement = agreement_in(task, "active", _l("This case has no agreement in force"))
    installment = next((i for i in agreement.installments if i.paid_on is None), None)
    if installment is None:
        raise ConflictError(_l("Every installment of this agreement is already paid"))
    paid_fen = yuan_to_fen(form_data["paid_amount"])
    if paid_fen != installment.amount_fen:
        raise InvalidInput(
            _l(
                "Installment %(seq)d is %(amount)s yuan; record the full amount",
                seq=installment.seq,
                amount=format_yuan(installment.amount_fen),
            )
        )
    paid_on = _day(form_data["paid_on"])
    signed_on = to_local(agreement.signed_at).date() if agreement.signed_at is not None else None
    if signed_on is not None and paid_on < signed_on:  # the form's rule says so too; an old form's step may not
        message = _l("The payment date cannot be before the agreement was signed (%(day)s)", day=signed_on.isoformat())
        raise InvalidInput(message, [{"field": "paid_on", "message": str(message)}])
    installment.paid_fen, installment.paid_on = paid_fen, paid_on
    installment.receipt_no, installment.recorded_by_id, installment.recorded_at = (
        form_data.get("receipt_no") or None,
        actor.id,
        utcnow(),
    )
    return complete_task(task.id, {**form_data, "paid_fen": paid_fen, "paid_seq": installment.seq}, actor.id)


def _close_agreement(instance, old, new, workflow_data=None, **_):
    """When a case ends, its agreement in force takes the status its model's end event says (agreementStatus)."""
    if new != "completed":
        return
    end_event = ended_through(instance)
    status = model_property(instance, end_event, AGREEMENT_STATUS) if end_event else None
    if status not in AGREEMENT_STATUSES:
        return
    case_id = db.session.scalar(sa.select(Case.id).where(Case.instance_id == instance.id))
    agreement = db.session.scalar(
        sa.select(Agreement).where(Agreement.case_id == case_id, Agreement.status == "active")
    )
    if agreement is not None:
        agreement.status = status


def _tell_the_enterprise(instance, fired=None, now=None, **_):
    """Notify the enterprise's users of what the fired timers' model says (enterpriseNotice): an installment falls due
    soon, is missed, or its grace period has ended."""
    notices = {model_property(instance, bpmn_id, ENTERPRISE_NOTICE): bpmn_id for bpmn_id in fired or {}}
    kind = next((kind for kind in INSTALLMENT_NOTICES if kind in notices), None)
    if kind is None:
        return
    data = fired[notices[kind]]
    seq = (data.get("current") or {}).get("seq")
    case = case_for_instance(instance.id)
    installment = (
        db.session.scalar(
            sa.select(Installment).join(Agreement).where(Agreement.case_id == case.id, Installment.seq == seq)
        )
        if case is not None and seq
        else None
    )
    if installment is None or case.enterprise_id is None:
        return
    users = db.session.scalars(
        sa.select(User.id).where(User.enterprise_id == case.enterprise_id, User.active.is_(True))
    ).all()
    grace_end = str(data.get("grace_end") or "")[:10]
    send_notifications(
        [
            {
                "user_ids": users,
                "kind": kind,
                "instance_id": instance.id,
                "data": {
                    "case": case.number,
                    "case_id": case.id,
                    "seq": installment.seq,
                    "amount": format_yuan(installment.amount_fen),
                    "day": installment.due_date.isoformat(),
                    "grace": grace_end,
                },
            }
        ],
        now,
    )


def upload_payment_proof(installment: Installment, file_name: str, content: bytes, actor, max_bytes: int):
    """Attach the enterprise's proof of paying an installment to the case and link it to the installment."""
    agreement = installment.agreement
    if agreement.status != "active":
        raise ConflictError(_l("Proofs can be uploaded only while the agreement is in force"))
    if installment.paid_on is not None:
        raise ConflictError(_l("Installment %(seq)d is already recorded as paid", seq=installment.seq))
    case = db.session.get(Case, agreement.case_id)
    attachment = add_attachment(case, file_name, content, actor, max_bytes)
    installment.proof_attachment_id, installment.proof_uploaded_at = attachment.id, utcnow()
    record_audit(
        case.instance,
        "payment_proof_uploaded",
        actor.id,
        installment.proof_uploaded_at,
        data={"seq": installment.seq, "file": attachment.file_name},
    )
    db.session.flush()
    return attachment


def follow_the_engine() -> None:
    """Close a case's agreement as its case ends, and tell the enterprise what its fired timers say."""
    instance_status_changed.connect(_close_agreement)
    timers_fired.connect(_tell_the_enterprise)
