"""The installment agreement's rules (缓缴社保费分期补缴协议) that JSON Schema cannot say: an application that defers
something, a schedule that fits the policy to the fen and the day, the registered legal representative's signature,
a payment in full."""

from datetime import UTC, date, datetime

from flask_babel import gettext as _

from forms.rules import FormContext, form_rule

AMOUNT_FIELDS = ("pension_yuan", "unemployment_yuan", "injury_yuan")


def _day(value) -> date | None:
    """A date the form holds (ISO text, as the case's data keeps it), or None."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@form_rule("installment_application")
def application(values: dict, context: FormContext) -> dict[str, str]:
    """Deferred amounts that are no debts, none at all, or a deferral that has not ended yet."""
    errors = {
        name: _("A deferred amount cannot be negative")
        for name in AMOUNT_FIELDS
        if values.get(name) is not None and values[name] < 0
    }
    if not errors and not any(values.get(name) for name in AMOUNT_FIELDS):
        errors[AMOUNT_FIELDS[0]] = _("Enter at least one deferred amount")
    ended = _day(values.get("deferral_end_date"))
    if ended is not None and ended > context.today:
        errors["deferral_end_date"] = _("The deferral must already have ended")
    return errors


@form_rule("installment_schedule_fits_the_policy")
def schedule_fits_the_policy(values: dict, context: FormContext) -> dict[str, str]:
    """A first due date in the past, or monthly installments (moved off days that are not working days) that do not
    add up to the deferred total or end after the policy deadline the case's model gave."""
    from workflow_app.agreements.schedule import ScheduleError, build_schedule, calendar_working_day

    first = _day(values.get("first_due_date"))
    if first is None:
        return {}
    if first < context.today:
        return {"first_due_date": _("The first installment cannot be due in the past")}
    total, deadline = context.case_data.get("deferred_total_fen"), _day(context.case_data.get("policy_deadline"))
    if total is None or deadline is None:
        return {}
    try:
        build_schedule(total, values.get("installment_count"), first, deadline, calendar_working_day())
    except ScheduleError as refused:
        return {"first_due_date": str(refused)}
    return {}


@form_rule("installment_signed_by_the_legal_representative")
def signed_by_the_legal_representative(values: dict, context: FormContext) -> dict[str, str]:
    """A signature in a name other than the enterprise's registered legal representative's."""
    from workflow_app.agreements.queries import signer_problem

    if values.get("sign_decision") != "sign" or not values.get("legal_rep_name"):
        return {}
    problem = signer_problem(context.enterprise, values["legal_rep_name"])
    return {"legal_rep_name": problem} if problem else {}


def signing_day(case_data) -> date | None:
    """The day (Beijing) the enterprise signed the agreement, from the signing step's `signed_at` (UTC, ISO)."""
    from workflow_app.core.time import to_local

    try:
        signed_at = datetime.fromisoformat(case_data.get("signed_at") or "")
    except (TypeError, ValueError):
        return None
    return to_local(signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)).date()


@form_rule("installment_paid_in_full")
def paid_in_full(values: dict, context: FormContext) -> dict[str, str]:
    """A payment of less or more than the current installment, dated in the future or before the agreement was
    signed (no installment is owed before it)."""
    from workflow_app.core.money import format_yuan, yuan_to_fen

    errors = {}
    current = context.case_data.get("current") or {}
    paid = values.get("paid_amount")
    if paid is not None and current.get("amount_fen") is not None and yuan_to_fen(paid) != current["amount_fen"]:
        errors["paid_amount"] = _(
            "Installment %(seq)d is %(amount)s yuan; record the full amount",
            seq=current.get("seq", 0),
            amount=format_yuan(current["amount_fen"]),
        )
    paid_on = _day(values.get("paid_on"))
    signed = signing_day(context.case_data)
    if paid_on is not None and paid_on > context.today:
        errors["paid_on"] = _("The payment date cannot be in the future")
    elif paid_on is not None and signed is not None and paid_on < signed:
        errors["paid_on"] = _(
            "The payment date cannot be before the agreement was signed (%(day)s)", day=signed.isoformat()
        )
    return errors
