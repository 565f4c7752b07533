"""Forms of the labour-rules health check (劳动规章制度“体检+提升”)."""
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from forms import register_form
from forms.base import DayField, TaskForm, ValidationError, required_when

DOCUMENTS = [("doc_rules", _l("Workplace rules (规章制度)")), ("doc_contract", _l("Labour contract template")),
             ("doc_hours_wages", _l("Working-time and wage rules")), ("doc_insurance", _l("Social-insurance records"))]
CHECKLIST = [("contract_signing", _l("Labour contracts signed in time")),
             ("rules_procedure", _l("Rules adopted by a democratic procedure")),
             ("working_hours", _l("Working hours and overtime")), ("wage_payment", _l("Wage payment")),
             ("social_insurance", _l("Social insurance")), ("female_protection", _l("Protection of female workers")),
             ("injury_prevention", _l("Work-injury prevention"))]
SEVERITIES = [SelectChoice("none", _l("No risk")), SelectChoice("low", _l("Low")), SelectChoice("medium", _l("Medium")),
              SelectChoice("high", _l("High"))]
SEVERITY_ORDER = {"none": 0, "low": 1, "medium": 2, "high": 3}
MAX_RECTIFICATION_DAYS = 180


def _future_deadline(form, field):
    from workflow_app.core.time import local_today
    if field.data is None:
        return
    today = local_today()
    if field.data <= today:
        raise ValidationError(_l("The deadline must be after today"))
    if field.data > today + timedelta(days=MAX_RECTIFICATION_DAYS):
        raise ValidationError(_l("The deadline can be at most %(n)d days ahead", n=MAX_RECTIFICATION_DAYS))


class DocumentsForm(TaskForm):
    """The enterprise says which documents it provides (the files themselves are attached to the case)."""
    instructions = _l("Tick the documents the enterprise provides; the county checks them against the labour rules.")


    documents_note = TextAreaField(_l("Notes on the documents"), validators=[Length(max=2000)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not any(getattr(self, key).data for key, _label in DOCUMENTS):
            self.documents_note.errors.append(_l("Provide at least one document"))
            valid = False
        return valid


for _key, _label in DOCUMENTS:
    setattr(DocumentsForm, _key, BooleanField(_label))
register_form("health_check_documents")(DocumentsForm)


def _severity_label(severity) -> str:
    return str(next((choice.label for choice in SEVERITIES if choice.value == severity), severity))


def _describe_risks(risks) -> str:
    """The risks of an inspection as the case history shows them: item (severity): finding; ..."""
    items = dict(CHECKLIST)
    described = []
    for risk in risks:
        if not isinstance(risk, dict):
            continue
        names = {"item": str(items.get(risk.get("item"), risk.get("item"))),
                 "severity": _severity_label(risk.get("severity"))}
        described.append(_("%(item)s (%(severity)s): %(note)s", **names, note=risk["note"]) if risk.get("note")
                         else _("%(item)s (%(severity)s)", **names))
    return _("; ").join(described)


class InspectionForm(TaskForm):
    """The inspector's checklist: a severity and a finding per item; risks are the items not 'none'."""
    instructions = _l("Go through the checklist item by item and rate the risk of each; the highest risk decides what follows.")


    inspection_summary = TextAreaField(_l("Summary of the inspection"), validators=[DataRequired(), Length(max=4000)])

    recorded = {"checklist": None,  # every item, the risky ones among them: the history lists those
                "risks": (_l("Risks found"), _describe_risks),
                "risk_count": (_l("Number of risks"), None),
                "max_severity": (_l("Highest risk"), _severity_label)}

    def task_data(self):
        checklist = {key: {"severity": getattr(self, f"{key}_severity").data,
                           "note": (getattr(self, f"{key}_note").data or "").strip()} for key, _label in CHECKLIST}
        risks = [{"item": key, **value} for key, value in checklist.items() if value["severity"] != "none"]
        return {"checklist": checklist, "risks": risks, "risk_count": len(risks),
                "max_severity": max((r["severity"] for r in risks), key=SEVERITY_ORDER.get, default="none"),
                "inspection_summary": self.inspection_summary.data.strip()}


for _key, _label in CHECKLIST:
    setattr(InspectionForm, f"{_key}_severity", SelectField(_label, choices=SEVERITIES, default="none",
                                                              validators=[DataRequired()]))
    setattr(InspectionForm, f"{_key}_note", TextAreaField(_l("Finding"), validators=[
        required_when(lambda f, k=_key: getattr(f, f"{k}_severity").data != "none", _l("Describe the risk found")),
        Length(max=2000)]))
register_form("health_check_inspection")(InspectionForm)


@register_form("health_check_suggestions")
class SuggestionsForm(TaskForm):
    instructions = _l("Write the suggestions for preventing and resolving each risk found, and set a deadline for the rectification.")

    suggestions = TextAreaField(_l("Suggestions to prevent and resolve the risks (风险防范和化解建议)"),
                                validators=[DataRequired(), Length(max=4000)])
    rectification_deadline = DayField(_l("Rectification deadline"), validators=[DataRequired(), _future_deadline])


@register_form("health_check_rectification")
class RectificationForm(TaskForm):
    instructions = _l("Report what the enterprise has changed, before the deadline, with the supporting files.")

    rectification_report = TextAreaField(_l("What was rectified"), validators=[DataRequired(), Length(max=4000)])


@register_form("health_check_verification")
class VerificationForm(TaskForm):
    instructions = _l("Check the rectification on site or on the files, and confirm it or ask for more.")

    verification = RadioField(_l("Verification"), choices=[SelectChoice("pass", _l("Rectified: pass")),
                                                           SelectChoice("fail", _l("Not rectified"))],
                              validators=[InputRequired()])
    verification_findings = TextAreaField(_l("Findings"), validators=[
        required_when(lambda f: f.verification.data == "fail", _l("Describe what is still wrong")), Length(max=4000)])
    new_deadline = DayField(_l("New rectification deadline (after a first failure)"), validators=[
        required_when(lambda f: f.verification.data == "fail" and not f.case_data.get("verification_failures"),
                      _l("Give a new deadline for the second round")), _future_deadline])


@register_form("health_check_request")
class HealthCheckRequestForm(TaskForm):
    """An enterprise asks its county for a labour-rules health check (no data beyond the wish): the start
    event's form. Staff plan one with HealthCheckStartForm instead (cases.starting)."""

    consent = BooleanField(_l("We ask the county for a free labour-rules health check and will provide our documents"),
                           validators=[DataRequired(_l("Tick the box to ask for the health check"))])


class HealthCheckStartForm(TaskForm):
    """A county plans a health check of one of its enterprises."""

    enterprise = SelectField(_l("Enterprise"), coerce=int, validators=[DataRequired()],
                             description=_l("Enterprises registered in your county."))

    def __init__(self, *args, county_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        import sqlalchemy as sa
        from workflow_app.auth.models import Enterprise
        from workflow_app.extensions import db
        self.enterprise.choices = [(e.id, f"{e.name}（{e.uscc}）") for e in db.session.scalars(
            sa.select(Enterprise).where(Enterprise.county_id == county_id).order_by(Enterprise.name))]
