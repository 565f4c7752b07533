"""Rules of the problem/need referral (问题需求转办) that a JSON Schema cannot say: an enterprise on the register or
described for registration, a re-dispatch to another county than the one that returned it, the 一企一策 plan of a
labour shortage, a visit that has taken place."""

from datetime import date

from flask_babel import gettext as _

from forms.rules import FormContext, form_rule
from workflow_app.auth.queries import find_org_unit


@form_rule("enterprise_registered_or_described")
def enterprise_registered_or_described(values: dict, context: FormContext) -> dict[str, str]:
    """The enterprise's code is on the register, or the form describes the enterprise to register (never both)."""
    described = values.get("new_enterprise")
    if context.enterprise is None and not described:
        return {
            "enterprise_uscc": _(
                "No enterprise with this code is registered: check the code, or give the "
                "enterprise's name and county below to register it with the referral"
            )
        }
    if context.enterprise is not None and described:
        return {
            "new_enterprise": _(
                "The code is already registered for %(name)s: leave the new enterprise empty",
                name=context.enterprise.name,
            )
        }
    return {}


@form_rule("not_the_county_that_returned_it")
def not_the_county_that_returned_it(values: dict, context: FormContext) -> dict[str, str]:
    """A referral returned by a county is re-dispatched to another one (the county it was dispatched to returned it)."""
    returned_by = context.case_data.get("dispatched_to")
    if not returned_by or values.get("county") != returned_by:
        return {}
    unit = find_org_unit(str(returned_by))
    return {
        "county": _(
            "%(county)s has just returned this referral: choose another county or zone",
            county=context.case_data.get("returned_by_name") or (unit.name if unit else returned_by),
        )
    }


@form_rule("labour_shortage_needs_a_plan")
def labour_shortage_needs_a_plan(values: dict, context: FormContext) -> dict[str, str]:
    """A large-scale labour shortage is resolved with a 一企一策 plan: its positions as rows, and the measures."""
    if values.get("handle_outcome") != "resolved" or not context.case_data.get("labour_shortage"):
        return {}
    errors = {}
    if not values.get("plan_rows"):
        errors["plan_rows"] = _(
            "A large-scale labour shortage needs its 一企一策 plan: one row per position "
            "(position, head-count, skill level, wage)"
        )
    if not values.get("plan_measures"):
        errors["plan_measures"] = _("A large-scale labour shortage needs the measures of its 一企一策 plan")
    return errors


@form_rule("visit_not_in_future")
def visit_not_in_future(values: dict, context: FormContext) -> dict[str, str]:
    """The follow-up visit recorded has taken place: its date is not after today (Beijing)."""
    try:
        visited = date.fromisoformat(values.get("visit_date") or "")
    except ValueError:
        return {}
    if visited > context.today:
        return {"visit_date": _("The visit date cannot be in the future")}
    return {}
