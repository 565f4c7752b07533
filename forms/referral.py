"""Forms of the problem/need referral (问题需求转办)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms import register_form
from forms.base import DayField, TaskForm, ValidationError, decision_with_reason, not_in_future, required_when

CATEGORIES = [SelectChoice("用工", _l("Employment (用工)")), SelectChoice("社保", _l("Social insurance (社保)")),
              SelectChoice("融资", _l("Financing (融资)")), SelectChoice("人才", _l("Talent (人才)")), SelectChoice("培训", _l("Training (培训)")),
              SelectChoice("劳动关系", _l("Labour relations (劳动关系)")), SelectChoice("其他", _l("Other (其他)"))]


def county_choices():
    """(code, name) of every county/zone, for re-dispatching."""
    import sqlalchemy as sa
    from workflow_app.auth.models import OrgUnit
    from workflow_app.extensions import db
    return [SelectChoice(u.code, u.name) for u in db.session.scalars(
        sa.select(OrgUnit).where(OrgUnit.level == "county").order_by(OrgUnit.id))]


@register_form("referral_register")
class ReferralRegistrationForm(TaskForm):
    """Registration by the city dispatcher (the start of a referral)."""
    instructions = _l("Register the problem or need as the command centre reported it. The referral goes at once to the county of the enterprise, which must sign for it within its deadline.")


    enterprise_uscc = StringField(_l("Enterprise (unified social credit code)"),
                                  validators=[DataRequired(), Length(min=18, max=18)],
                                  description=_l("The 18-character code of the enterprise that raised the problem."))
    category = SelectField(_l("Category"), choices=CATEGORIES, validators=[DataRequired()])
    description = TextAreaField(_l("Problem or need"), validators=[DataRequired(), Length(max=4000)])
    labour_shortage = BooleanField(_l("Large-scale labour shortage (规模性缺工): urgent"),
                                   description=_l("Urgent cases have shorter deadlines and need a 一企一策 plan."))
    source = StringField(_l("Reported by"), default="市工业运行指挥部", validators=[Length(max=100)])
    contact = StringField(_l("Enterprise contact (name and phone)"), validators=[Optional(), Length(max=100)])

    def validate_enterprise_uscc(self, field):
        from workflow_app.core.uscc import uscc_problem
        if uscc_problem(field.data):
            raise ValidationError(_l("Not a valid unified social credit code (18 characters with a correct check character)"))


@register_form("referral_sign_for")
class SignForForm(TaskForm):
    instructions = _l("Sign for the referral if the enterprise is in your county; otherwise return it with the reason, and the city dispatches it again.")

    sign_decision, return_reason = decision_with_reason(
        "sign_decision", _l("Decision"),
        [("sign", _l("Sign for it (签收)")), ("return", _l("Return it: not our jurisdiction (退回)"))],
        _l("Reason for returning"), "return", _l("Give the reason for returning the referral"))


@register_form("referral_redispatch")
class RedispatchForm(TaskForm):
    instructions = _l("The county returned this referral. Read its reason and choose the county or zone that is responsible.")

    county = SelectField(_l("Dispatch to"), validators=[DataRequired()])
    redispatch_note = TextAreaField(_l("Note to the county"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county.choices = county_choices()


@register_form("referral_handle")
class HandleForm(TaskForm):
    instructions = _l("Coordinate with the enterprise and the departments concerned, then report the measures and the result. If the deadline cannot be met, ask the city for more time instead.")

    handle_outcome = RadioField(_l("Outcome"), choices=[SelectChoice("resolved", _l("Resolved: report the result")),
                                                       SelectChoice("extension", _l("Ask the city for more time (延期申请)"))],
                                validators=[InputRequired()])
    measures = TextAreaField(_l("Measures taken and result"), validators=[
        required_when(lambda f: f.handle_outcome.data == "resolved", _l("Describe the measures and the result")),
        Length(max=4000)])
    plan_positions = StringField(_l("一企一策: positions to fill"), validators=[Length(max=500)])
    plan_headcount = IntegerField(_l("一企一策: head-count needed"), validators=[Optional(), NumberRange(min=1, max=100000)])
    plan_measures = TextAreaField(_l("一企一策: measures"), validators=[Length(max=4000)])
    extension_days = IntegerField(_l("Extra working days asked"), validators=[
        required_when(lambda f: f.handle_outcome.data == "extension", _l("Say how many working days (1 to 30) are needed")),
        NumberRange(min=1, max=30)])
    extension_reason = TextAreaField(_l("Why more time is needed"), validators=[
        required_when(lambda f: f.handle_outcome.data == "extension", _l("Give the reason for the extension")),
        Length(max=2000)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.handle_outcome.data == "resolved" and self.case_data.get("labour_shortage"):
            for field in (self.plan_positions, self.plan_headcount, self.plan_measures):
                if not field.data:
                    field.errors.append(_l("A labour-shortage case needs its 一企一策 plan"))
                    valid = False
        return valid


@register_form("referral_extension_review")
class ExtensionReviewForm(TaskForm):
    instructions = _l("Decide whether the county may have the extra working days it asks for.")

    extension_decision, extension_comment = decision_with_reason(
        "extension_decision", _l("Decision on the extension"), [("approve", _l("Approve")), ("refuse", _l("Refuse"))],
        _l("Comment"), "refuse", _l("Give the reason for refusing"))


@register_form("referral_review")
class ReviewForm(TaskForm):
    instructions = _l("Check that the measures solve the problem. Accept the result, or send it back to the county with what is still missing.")

    review_decision, review_reason = decision_with_reason(
        "review_decision", _l("Review"),
        [("accept", _l("Accept the result")), ("send_back", _l("Send back for more handling (退回)"))],
        _l("Reason"), "send_back", _l("Give the reason for sending it back"))


@register_form("referral_follow_up")
class FollowUpForm(TaskForm):
    instructions = _l("Visit or call the enterprise, record what it said and how satisfied it is. Dissatisfaction reopens the handling once.")

    visit_date = DayField(_l("Visit date"), validators=[DataRequired(), not_in_future(_l("The visit date cannot be in the future"))])
    visit_record = TextAreaField(_l("Visit record"), validators=[DataRequired(), Length(max=4000)])
    satisfaction = RadioField(_l("Enterprise's satisfaction"), choices=[
        SelectChoice("满意", _l("Satisfied (满意)")), SelectChoice("基本满意", _l("Basically satisfied (基本满意)")),
        SelectChoice("不满意", _l("Dissatisfied (不满意)"))], validators=[InputRequired()])
