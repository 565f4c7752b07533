"""Forms of the loan repayment extension (贷款展期)."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from forms import register_form
from forms.base import (DayField, TaskForm, ValidationError, YuanField, decision_with_reason, not_in_future,
                        required_when)

# Loan programmes and their ceilings (潍人社字〔2023〕17号: 创业担保贷款 up to 300万 for small manufacturers;
# 潍岗贷 up to 3000万).
LOAN_TYPES = {"entrepreneurship": ("创业担保贷款", Decimal("3000000.00")),
              "weigangdai": ("稳岗扩岗专项贷款（潍岗贷）", Decimal("30000000.00"))}
MAX_MONTHS = 36
# More employees than any employer has (the largest in China have about two million): a larger number is a typing
# mistake, refused on its field before the case's data would hold an integer no column can
MAX_EMPLOYEES = 10_000_000


def _weigangdai(form):
    return form.loan_type.data == "weigangdai"


@register_form("loan_extension_apply")
class LoanExtensionApplicationForm(TaskForm):
    """The enterprise's application (the start of a loan extension)."""

    loan_type = SelectField(_l("Loan programme"), validators=[DataRequired()],
                            choices=[SelectChoice(key, label) for key, (label, _ceiling) in LOAN_TYPES.items()])
    contract_no = StringField(_l("Loan contract number"), validators=[DataRequired(), Length(max=60)])
    bank = StringField(_l("Lending bank"), validators=[DataRequired(), Length(max=100)])
    principal = YuanField(_l("Outstanding principal (yuan)"), validators=[InputRequired(), NumberRange(min=Decimal("0.01"))])
    maturity_date = DayField(_l("Maturity date"), validators=[DataRequired()])
    months_requested = IntegerField(_l("Months of extension asked"), validators=[InputRequired(), NumberRange(min=1, max=MAX_MONTHS)],
                                    description=_l("In principle at most 12 months; longer needs the city's exception approval."))
    reason = TextAreaField(_l("Temporary difficulty and evidence"), validators=[DataRequired(), Length(max=4000)])
    founded_date = DayField(_l("Date the enterprise was founded"), validators=[
        required_when(_weigangdai, _l("Required for 潍岗贷")), not_in_future(_l("The founding date cannot be in the future"))])
    employees = IntegerField(_l("Employees by employment registration"), validators=[
        required_when(_weigangdai, _l("Required for 潍岗贷")), NumberRange(min=0, max=MAX_EMPLOYEES)])
    headcount_last_year_end = IntegerField(_l("Employees at the end of last year"), validators=[
        required_when(_weigangdai, _l("Required for 潍岗贷")), NumberRange(min=0, max=MAX_EMPLOYEES)])
    wages_paid = BooleanField(_l("Wages paid in full and on time"))
    contributions_paid = BooleanField(_l("Social insurance paid in full and on time"))

    def validate_principal(self, field):
        ceiling = LOAN_TYPES.get(self.loan_type.data, (None, None))[1]
        if ceiling is not None and field.data is not None and field.data > ceiling:
            raise ValidationError(_l("The principal exceeds the programme's ceiling of %(amount)s yuan", amount=f"{ceiling:,.2f}"))

    def validate_maturity_date(self, field):
        from workflow_app.core.time import local_today
        if field.data and field.data < local_today():
            raise ValidationError(_l("The loan has already matured; an extension must be asked before the maturity date"))
        if field.data and self.founded_date.data and field.data <= self.founded_date.data:
            raise ValidationError(_l("The maturity date must be after the founding date"))


@register_form("loan_extension_exception")
class ExceptionApprovalForm(TaskForm):
    instructions = _l("The application falls outside the standard rules; decide whether an exception is justified.")

    exception_decision, exception_opinion = decision_with_reason(
        "exception_decision", _l("Decision"), [("approve", _l("Approve as an exception")), ("refuse", _l("Refuse"))],
        _l("Opinion"), "refuse", _l("Give the reason for refusing"))


@register_form("loan_extension_county_review")
class CountyReviewForm(TaskForm):
    instructions = _l("Check the enterprise's application against the policy and the loan records before the bank decides.")

    county_decision, county_opinion = decision_with_reason(
        "county_decision", _l("Decision"), [("approve", _l("Agree")), ("refuse", _l("Disagree"))],
        _l("Opinion"), "refuse", _l("Give the reason for disagreeing"))


@register_form("loan_extension_bank_review")
class BankReviewForm(TaskForm):
    instructions = _l("Decide on the extension and, if granted, set the new maturity date.")

    bank_decision, bank_opinion = decision_with_reason(
        "bank_decision", _l("Decision"), [("approve", _l("Agree to extend")), ("refuse", _l("Refuse"))],
        _l("Opinion"), "refuse", _l("Give the reason for refusing"))
    months_granted = IntegerField(_l("Months granted"), validators=[
        required_when(lambda f: f.bank_decision.data == "approve", _l("Give the number of months granted")),
        NumberRange(min=1, max=MAX_MONTHS)])

    def validate_months_granted(self, field):
        asked = self.case_data.get("months_requested")
        if field.data and asked and field.data > asked:
            raise ValidationError(_l("At most the %(n)d months asked", n=asked))
