"""Rules of the labour-rules health check (劳动规章制度体检, bpmn/health_check/) that its JSON Schema forms cannot say:
deadlines counted from today, what a failed verification needs given how many came before, at least one document,
and an old case's risk count against its checklist."""

from datetime import date, timedelta

from flask_babel import gettext as _

from forms.rules import FormContext, form_rule

# The longest rectification deadline when the case's model sets none (its start sets rectification_limit_days)
DEFAULT_LIMIT_DAYS = 180
DEADLINE_FIELDS = ("rectification_deadline", "new_deadline")
DOCUMENT_FIELDS = ("doc_rules", "doc_contract", "doc_hours_wages", "doc_insurance")


def _day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # the schema's format refuses it with its own message


@form_rule("health_check_deadline_within_limit")
def deadline_within_limit(values: dict, context: FormContext) -> dict[str, str]:
    """A rectification deadline lies after today and at most the model's limit of days ahead."""
    limit = context.case_data.get("rectification_limit_days") or DEFAULT_LIMIT_DAYS
    errors = {}
    for name in DEADLINE_FIELDS:
        day = _day(values.get(name))
        if day is None:
            continue
        if day <= context.today:
            errors[name] = _("The deadline must be after today")
        elif day > context.today + timedelta(days=int(limit)):
            errors[name] = _("The deadline can be at most %(n)d days ahead", n=int(limit))
    return errors


@form_rule("health_check_verification_follow_up")
def verification_follow_up(values: dict, context: FormContext) -> dict[str, str]:
    """A failed verification needs a new deadline the first time and the reasons for the referral the second."""
    if values.get("verification") != "fail":
        return {}
    if context.case_data.get("verification_failures"):
        if not values.get("referral_reason"):
            return {"referral_reason": _("Give the reasons for referring the case to labour inspection")}
    elif not values.get("new_deadline"):
        return {"new_deadline": _("Give a new deadline for the second round")}
    return {}


@form_rule("health_check_documents_provided")
def documents_provided(values: dict, context: FormContext) -> dict[str, str]:
    """The enterprise provides at least one of the documents."""
    if any(values.get(name) is True for name in DOCUMENT_FIELDS):
        return {}
    return {"": _("Provide at least one document")}


@form_rule("health_check_risk_count_matches_checklist")
def risk_count_matches_checklist(values: dict, context: FormContext) -> dict[str, str]:
    """The risk count given equals the checklist's items rated low, medium or high (old versions' inspection)."""
    checklist = values.get("checklist") or {}
    rated = sum(
        1 for item in checklist.values() if isinstance(item, dict) and item.get("severity") not in (None, "none")
    )
    if values.get("risk_count") != rated:
        return {"risk_count": _("The checklist rates %(n)d items as a risk; give %(n)d", n=rated)}
    return {}
