"""Forms of the deferred-contribution installment agreement (缓缴社保费分期补缴协议)."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms import register_form
from forms.base import (DayField, TaskForm, ValidationError, YuanField, decision_with_reason, not_in_future,
                        required_when)

MAX_INSTALLMENTS = 12


def _amount(label):
    return YuanField(label, validators=[Optional(), NumberRange(min=Decimal("0"))])


def _local_time(value) -> str:
    """An ISO time the step stored, in Asia/Shanghai (as is when it is no time)."""
    from workflow_app.core.time import format_local
    try:
        return format_local(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _fen_as_yuan(fen) -> str:
    from workflow_app.core.money import format_yuan
    return format_yuan(fen) if isinstance(fen, int) else str(fen)


@register_form("installment_apply")
class InstallmentApplicationForm(TaskForm):
    """The enterprise's application: what was deferred, and why a lump sum is hard."""

    pension_yuan = _amount(_l("Deferred pension insurance (yuan)"))
    unemployment_yuan = _amount(_l("Deferred unemployment insurance (yuan)"))
    injury_yuan = _amount(_l("Deferred work-injury insurance (yuan)"))
    deferral_end_date = DayField(_l("Date the deferral ended"), validators=[
        DataRequired(), not_in_future(_l("The deferral must already have ended"))])
    hardship_reason = TextAreaField(_l("Why paying at once is hard"), validators=[DataRequired(), Length(max=4000)])
    proposed_installments = IntegerField(_l("Installments proposed"), default=3,
                                         validators=[InputRequired(), NumberRange(min=1, max=MAX_INSTALLMENTS)])

    # the case keeps the amounts in fen (workflow_app.agreements.operations), and the policy's deadline
    recorded = {"pension_fen": (_l("Deferred pension insurance (yuan)"), _fen_as_yuan),
                "unemployment_fen": (_l("Deferred unemployment insurance (yuan)"), _fen_as_yuan),
                "injury_fen": (_l("Deferred work-injury insurance (yuan)"), _fen_as_yuan),
                "deferred_total_fen": (_l("Deferred in all (yuan)"), _fen_as_yuan),
                "policy_deadline": (_l("Installments allowed until"), None)}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        amounts = [f.data for f in (self.pension_yuan, self.unemployment_yuan, self.injury_yuan)]
        if valid and not any(a and a > 0 for a in amounts):
            self.pension_yuan.errors.append(_l("Enter at least one deferred amount"))
            valid = False
        return valid


@register_form("installment_check")
class AgencyCheckForm(TaskForm):
    instructions = _l("Check the deferred amounts per insurance against the records before a schedule is drafted.")

    check_decision, check_opinion = decision_with_reason(
        "check_decision", _l("Check"),
        [("approve", _l("Eligible: draw up the schedule")), ("reject", _l("Not eligible"))],
        _l("Opinion"), "reject", _l("Give the reason for rejecting"))
    deferral_confirmed = BooleanField(_l("The enterprise had a deferral that has ended, and the amounts are right"))

    def validate_deferral_confirmed(self, field):
        if self.check_decision.data == "approve" and not field.data:
            raise ValidationError(_l("Confirm the deferral and the amounts before approving"))


@register_form("installment_schedule")
class ScheduleForm(TaskForm):
    instructions = _l("Draft the installments; they must add up to the total and end within the policy deadline. The enterprise then signs the agreement.")

    installment_count = IntegerField(_l("Number of installments"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_INSTALLMENTS)])
    first_due_date = DayField(_l("First installment due on"), validators=[DataRequired()])

    recorded = {"agreement_id": None, "agreement_number": (_l("Agreement number"), None),
                "text_sha256": (_l("Fingerprint of the agreement's text (SHA-256)"), None)}

    def validate_first_due_date(self, field):
        from workflow_app.agreements.schedule import ScheduleError, build_schedule
        from workflow_app.core.time import local_today
        if field.data and field.data < local_today():
            raise ValidationError(_l("The first installment cannot be due in the past"))
        total, deadline = self.case_data.get("deferred_total_fen"), self.case_data.get("policy_deadline")
        if field.data and self.installment_count.data and total and deadline:
            try:
                build_schedule(total, self.installment_count.data, field.data, date.fromisoformat(str(deadline)))
            except ScheduleError as exc:
                raise ValidationError(str(exc)) from None


@register_form("installment_sign")
class SignForm(TaskForm):
    sign_decision = RadioField(_l("Decision"), choices=[SelectChoice("sign", _l("Sign the agreement")),
                                                        SelectChoice("decline", _l("Do not sign: ask for a new schedule"))],
                               validators=[InputRequired()])
    read_confirmed = BooleanField(_l("I have read the whole agreement and agree to it"))
    legal_rep_name = StringField(_l("Legal representative's name"), validators=[
        required_when(lambda f: f.sign_decision.data == "sign", _l("Type the legal representative's name to sign")),
        Length(min=2, max=30)])
    decline_reason = TextAreaField(_l("What should change"), validators=[
        required_when(lambda f: f.sign_decision.data == "decline", _l("Say what should change")), Length(max=2000)])

    recorded = {"signed_at": (_l("Signed at"), _local_time),
                "signed_text_sha256": (_l("Fingerprint of the signed text (SHA-256)"), None)}

    def validate_read_confirmed(self, field):
        if self.sign_decision.data == "sign" and not field.data:
            raise ValidationError(_l("Confirm that you have read the agreement"))


@register_form("installment_countersign")
class CountersignForm(TaskForm):
    instructions = _l("Countersign the agreement the enterprise has signed; its text can no longer change.")

    countersign_confirmed = BooleanField(_l("The agency confirms the signed agreement"), validators=[DataRequired()])


@register_form("installment_payment")
class PaymentForm(TaskForm):
    instructions = _l("Record the payment received for this installment.")

    paid_amount = YuanField(_l("Amount paid (yuan)"), validators=[InputRequired(), NumberRange(min=Decimal("0.01"))])
    paid_on = DayField(_l("Paid on"), validators=[DataRequired(), not_in_future(_l("The payment date cannot be in the future"))])
    receipt_no = StringField(_l("Receipt number"), validators=[Optional(), Length(max=60)])

    recorded = {"paid_fen": None,  # the amount paid, shown from its field
                "paid_seq": (_l("Installment"), None)}

    def validate_paid_amount(self, field):
        current = self.case_data.get("current") or {}
        if field.data is not None and current.get("amount_fen") is not None:
            from workflow_app.core.money import format_yuan, yuan_to_fen
            if yuan_to_fen(field.data) != current["amount_fen"]:
                raise ValidationError(_l("Installment %(seq)d is %(amount)s yuan; record the full amount",
                                         seq=current.get("seq", 0), amount=format_yuan(current["amount_fen"])))
