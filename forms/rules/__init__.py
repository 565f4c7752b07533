"""Named form rules: the bureau's checks a JSON Schema cannot say, which a form's schema names under "x-rules".

A rule is `def rule(values: dict, context: FormContext) -> dict[str, str]`, registered with `@form_rule("name")`:
it gets a form's values once the schema has let them through, as the case's data will keep them (money-yuan
amounts as Decimal, whole numbers as int), and returns {field path: message in the user's language} ("" for the
form as a whole, "schedule.2.amount" for a row's field), empty when all is well. A schema names its rules at its
top: `"x-rules": ["installment_schedule_sums_to_total"]`; deploying refuses a name no rule is registered under.
Each topic's rules live in a module of this package (forms/rules/installments.py, ...), imported at the end.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from workflow_app.core.time import local_today

RULES_KEYWORD = "x-rules"


@dataclass(frozen=True)
class FormContext:
    """What a rule may consult besides the values: the case's data ({} at a start), the enterprise of the case or of
    the applicant (an auth Enterprise row, or None), today (Beijing) and the user who sends the form."""

    case_data: Mapping = field(default_factory=dict)
    enterprise: Any = None
    today: date = field(default_factory=local_today)
    actor: Any = None


FormRule = Callable[[dict, FormContext], dict]
FORM_RULES: dict[str, FormRule] = {}


def form_rule(name: str):
    """Register a function as the form rule `name`, which a schema's "x-rules" list may name."""

    def register(rule: FormRule) -> FormRule:
        if name in FORM_RULES and FORM_RULES[name] is not rule:
            raise ValueError(f"form rule '{name}' is registered twice")
        FORM_RULES[name] = rule
        return rule

    return register


def known_rules() -> list[str]:
    """The names of the registered rules, sorted."""
    return sorted(FORM_RULES)


def rule_errors(names, values: dict, context: FormContext) -> dict[str, str]:
    """Run the rules `names` over checked values; their errors by field path (the first message a path gets)."""
    errors: dict[str, str] = {}
    for name in names:
        rule = FORM_RULES.get(name)
        if rule is None:  # a version deployed when the rule existed, on code that no longer has it
            errors.setdefault(
                "",
                _(
                    'This form names the rule "%(rule)s", which this installation does not have; ask an administrator',
                    rule=name,
                ),
            )
            continue
        for path, message in (rule(values, context) or {}).items():
            errors.setdefault(path, str(message))
    return errors


# Each topic's rules register themselves on import (one line each).
from forms.rules import (  # noqa: E402
    health_checks,  # noqa: E402,F401
    installments,  # noqa: E402,F401
    loans,  # noqa: E402,F401
    referrals,  # noqa: E402,F401
)
