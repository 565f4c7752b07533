"""Rules of the loan programmes (贷款展期) that a JSON Schema cannot say: a principal within its programme's ceiling,
dates in order and not yet past, a bank on the register, and the months a bank grants against those asked."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from forms.rules import FormContext, form_rule
from workflow_app.auth.scopes import org_units

# 潍人社字〔2023〕17号 第六项: 创业担保贷款 up to 300万 for small manufacturers, 潍岗贷 up to 3000万
PROGRAMME_CEILINGS = {"entrepreneurship": Decimal("3000000.00"), "weigangdai": Decimal("30000000.00")}
BANK_LEVEL = "bank"  # the org units a loan's bank is chosen from, whose officers review it


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@form_rule("loan_principal_within_ceiling")
def principal_within_ceiling(values: dict, context: FormContext) -> dict[str, str]:
    """The outstanding principal is more than nothing and at most the programme's ceiling."""
    principal, ceiling = values.get("principal"), PROGRAMME_CEILINGS.get(values.get("loan_type"))
    if not isinstance(principal, Decimal):
        return {}
    if principal <= 0:
        return {"principal": _("The outstanding principal must be more than 0 yuan")}
    if ceiling is not None and principal > ceiling:
        return {
            "principal": _("The principal exceeds the programme's ceiling of %(amount)s yuan", amount=f"{ceiling:,.2f}")
        }
    return {}


@form_rule("loan_dates_in_order")
def dates_in_order(values: dict, context: FormContext) -> dict[str, str]:
    """An extension is asked before the loan matures; a founding date is not in the future and before maturity."""
    errors = {}
    maturity, founded = _day(values.get("maturity_date")), _day(values.get("founded_date"))
    if maturity is not None and maturity < context.today:
        errors["maturity_date"] = _("The loan has already matured; an extension must be asked before the maturity date")
    if founded is not None and founded > context.today:
        errors["founded_date"] = _("The founding date cannot be in the future")
    elif founded is not None and maturity is not None and maturity <= founded:
        errors["maturity_date"] = _("The maturity date must be after the founding date")
    return errors


@form_rule("loan_bank_registered")
def bank_registered(values: dict, context: FormContext) -> dict[str, str]:
    """The chosen bank is a bank on the register (an org unit of level bank), whose officers will review the case."""
    code = values.get("bank")
    if code is None or any(unit.code == code and unit.level == BANK_LEVEL for unit in org_units()):
        return {}
    return {"bank": _("This bank is not registered; choose a bank from the list")}


@form_rule("loan_months_granted_within_asked")
def months_granted_within_asked(values: dict, context: FormContext) -> dict[str, str]:
    """A bank grants at most the months the enterprise asked."""
    granted, asked = values.get("months_granted"), context.case_data.get("months_requested")
    if isinstance(granted, int) and isinstance(asked, int) and granted > asked:
        return {"months_granted": _("At most the %(n)d months asked", n=asked)}
    return {}
