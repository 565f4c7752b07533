"""What a process is, as its model says: the properties of its start event (docs/process-authoring.md).

A process's label, case-number prefix, case title, who may start it, whether enterprises apply for it in the
portal and which start field names the enterprise are read from the spiffworkflow:properties of the process's
start event and its name, never from Python keyed by the process id. Deploying checks them (engine.parsing).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import meta, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from workflow_app.core.money import format_yuan
from workflow_app.engine.scripting import RestrictedEnvironment

# the start event's properties
CASE_NUMBER_PREFIX = "caseNumberPrefix"
CASE_TITLE = "caseTitle"
STARTABLE_BY = "startableBy"
PORTAL_APPLICATION = "portalApplication"
ENTERPRISE_FIELD = "enterpriseField"
CASE_ORG_UNIT = "caseOrgUnit"
ENTERPRISE_REGISTRATION = "enterpriseRegistration"
CASE_PRIORITY = "casePriority"
PROCESS_PROPERTIES = (
    CASE_NUMBER_PREFIX,
    CASE_TITLE,
    STARTABLE_BY,
    PORTAL_APPLICATION,
    ENTERPRISE_FIELD,
    CASE_ORG_UNIT,
    ENTERPRISE_REGISTRATION,
    CASE_PRIORITY,
)
CASE_PRIORITIES = ("normal", "urgent")  # what casePriority may give (cases.models.PRIORITIES)

# what the portal tells the enterprise (portal.queries), text templates over the case's data like caseTitle:
PORTAL_TODO = "portalTodo"  # on a human task of the enterprise's lane: what the enterprise is asked to do
PORTAL_WAITING = "portalWaiting"  # on a staff task: what the enterprise waits for while it is open
PORTAL_OUTCOME = "portalOutcome"  # on an end event: how a case that ended there ended
PORTAL_TASK_PROPERTIES = (PORTAL_TODO, PORTAL_WAITING)
PORTAL_TEXT_MAX_CHARS = 300  # of a rendered text (a title's length)

GENERIC_PREFIX = "AJ"  # 案件: the number prefix of a process that names none
PREFIX_PATTERN = re.compile(r"[A-Z]{1,10}")  # what a number sequence's name can hold (cases.operations)
ROLE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,59}")  # a role's name (auth.operations)
FIELD_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")  # a start variable's name
BOOLEANS = {"true": True, "false": False}
# where a case with an enterprise starts: the enterprise's county (属地), or the unit of the staff who start it
CASE_ORG_UNITS = ("enterprise", "starter")
ADMIN_ROLE = "admin"  # starts a process whose start event is in no lane and names no roles

TITLE_MAX_CHARS = 500  # of the template; a title is at most 300 characters (cases.models)
TITLE_FILTERS = {"default", "d", "trim", "truncate", "upper", "lower", "string", "yuan"}
TITLE_TESTS = {"defined", "undefined", "none", "number", "string"}
# what a title template may hold: values, {% if %}, comparisons, the filters above. No loops, calls or
# arithmetic: a title is rendered at every start, and "x" * 10**9 would be one
_TITLE_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Keyword,
    nodes.Slice,
)
_STATEMENTS = {
    nodes.For: "{% for %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.With: "{% with %}",
    nodes.Call: _l("a call"),
    nodes.BinExpr: _l("arithmetic"),
    nodes.UnaryExpr: _l("arithmetic"),
}


def _yuan(fen) -> str:
    """An amount in fen as yuan (12345 → 123.45): start data keeps money in fen."""
    return format_yuan(int(fen))


# plain text (the pages escape it where they show it); a value the data holds as None (a field left empty, an
# opinion not given) is shown as nothing, not as "None"
TITLE_ENVIRONMENT = SandboxedEnvironment(autoescape=False, finalize=lambda value: "" if value is None else value)
TITLE_ENVIRONMENT.filters["yuan"] = _yuan


def title_template_problem(source: str) -> str | None:
    """Why a text template (caseTitle, the portal's words) cannot be used (one line, in the request's language),
    or None when it can."""
    if len(source) > TITLE_MAX_CHARS:
        return _("longer than %(n)d characters", n=TITLE_MAX_CHARS)
    try:
        tree = TITLE_ENVIRONMENT.parse(source)
    except TemplateError as exc:  # Jinja's own words, quoted as it says them
        return f"{type(exc).__name__}: {exc.message or exc}"
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _TITLE_NODES):
            what = next((label for kind, label in _STATEMENTS.items() if isinstance(node, kind)), type(node).__name__)
            return _(
                "%(what)s is not allowed (a text template holds values, {%% if %%}, comparisons and filters)",
                what=str(what),
            )
        if isinstance(node, nodes.Filter) and node.name not in TITLE_FILTERS:
            return _(
                "unknown filter '%(name)s' (known: %(known)s)", name=node.name, known=", ".join(sorted(TITLE_FILTERS))
            )
        if isinstance(node, nodes.Test) and node.name not in TITLE_TESTS:
            return _("unknown test '%(name)s' (known: %(known)s)", name=node.name, known=", ".join(sorted(TITLE_TESTS)))
    return None


@lru_cache(maxsize=1024)
def text_template(source: str):
    """A model's text template compiled (once per text), or None when it cannot be used (deploying refuses those)."""
    source = (source or "").strip()
    if not source or title_template_problem(source) is not None:
        return None
    return TITLE_ENVIRONMENT.from_string(source)


@lru_cache(maxsize=1024)
def template_reads_data(source: str) -> bool:
    """Whether a text template names any of the case's data (one that does not needs no workflow loaded)."""
    try:
        return bool(meta.find_undeclared_variables(TITLE_ENVIRONMENT.parse((source or "").strip())))
    except TemplateError:
        return False


def render_text(source: str, data: dict | None) -> str:
    """A model's text template over the case's data, on one line; "" when it is empty, unusable or fails."""
    template = text_template(source)
    if template is None:
        return ""
    try:
        text = template.render(data or {})
    except Exception:  # noqa: BLE001 - a model's template over any data: the caller falls back to its own words
        return ""
    return " ".join(text.split())[:PORTAL_TEXT_MAX_CHARS]


@dataclass(frozen=True, eq=False)
class ProcessFacts:
    """What a process version is, from its model (see the module's docstring)."""

    process_id: str
    label: str  # the process's (or its participant's) name; its id when it has none
    case_number_prefix: str  # caseNumberPrefix, else GENERIC_PREFIX
    startable_by: frozenset  # roles: startableBy, else the start event's lane, else admins
    portal_application: bool  # portalApplication="true": enterprises apply for it in the portal
    enterprise_field: str | None  # the start field holding the enterprise's USCC (enterpriseField)
    case_org_unit: str  # caseOrgUnit: where a case with an enterprise starts (CASE_ORG_UNITS)
    start_form_key: str | None  # the start event's formKey
    description: str | None  # what starting (applying) does: the start event's documentation, else the
    # package's description (process_model.json)
    case_title: object = None  # caseTitle, compiled (a jinja2 Template), or None
    # the start field (an object: name, county) describing an enterprise to register when the enterpriseField's
    # code is not on the register yet (enterpriseRegistration); None: such a start is refused
    enterprise_registration: str | None = None
    case_priority: str | None = None  # casePriority: an expression over the start data giving "urgent" or "normal"

    def priority(self, data: dict) -> tuple[str, str | None]:
        """The priority casePriority gives over the start data ("normal" without one), and why it gave none (then
        "normal" too: a model's expression over any data must not stop a start)."""
        if not self.case_priority:
            return "normal", None
        try:
            value = RestrictedEnvironment().evaluate(self.case_priority, dict(data))
        except Exception as exc:  # noqa: BLE001 - recorded in the case's history by the caller
            return "normal", f"{type(exc).__name__}: {exc}"[:300]
        if value not in CASE_PRIORITIES:
            return "normal", f"it gave {str(value)[:40]!r}, not one of {', '.join(CASE_PRIORITIES)}"
        return value, None

    def title(self, data: dict) -> str:
        """The case title the model's caseTitle gives over the start data; "" without one (or if it fails)."""
        if self.case_title is None:
            return ""
        try:
            text = self.case_title.render(data)
        except Exception:  # noqa: BLE001 - a model's template over any data: the caller falls back to the label
            return ""
        return " ".join(text.split())


def start_events(spec) -> list:
    """The start events of a process spec, by BPMN id."""
    return sorted(
        (ts for ts in spec.task_specs.values() if type(ts).__name__ == "StartEvent"), key=lambda ts: ts.bpmn_id or ""
    )


def start_properties(spec) -> dict[str, str]:
    """The properties of the process's start events (the first that sets each one; deploying refuses others)."""
    merged = {}
    for task_spec in start_events(spec):
        for name, value in ((task_spec.extensions or {}).get("properties") or {}).items():
            merged.setdefault(name, value)
    return merged


def read_facts(spec, process_id: str, name: str | None, description: str | None = None) -> ProcessFacts:
    """The facts of a parsed (deployed) process spec, whose properties deploying has checked; `name` and
    `description` are its version's."""
    starts = start_events(spec)
    properties = start_properties(spec)
    lane = next((ts.lane for ts in starts if getattr(ts, "lane", None)), None)
    roles = frozenset(split_roles(properties.get(STARTABLE_BY, ""))) or frozenset({lane} if lane else {ADMIN_ROLE})
    title = (properties.get(CASE_TITLE) or "").strip()
    return ProcessFacts(
        process_id=process_id,
        label=(name or "").strip() or process_id,
        case_number_prefix=properties.get(CASE_NUMBER_PREFIX) or GENERIC_PREFIX,
        startable_by=roles,
        portal_application=BOOLEANS.get(properties.get(PORTAL_APPLICATION, "false"), False),
        enterprise_field=properties.get(ENTERPRISE_FIELD) or None,
        case_org_unit=properties.get(CASE_ORG_UNIT) or "enterprise",
        start_form_key=properties.get("formKey") or None,
        description=next(
            ((ts.documentation or "").strip() for ts in starts if (ts.documentation or "").strip()),
            (description or "").strip() or None,
        ),
        case_title=TITLE_ENVIRONMENT.from_string(title) if title and title_template_problem(title) is None else None,
        enterprise_registration=properties.get(ENTERPRISE_REGISTRATION) or None,
        case_priority=(properties.get(CASE_PRIORITY) or "").strip() or None,
    )


def split_roles(value: str) -> list[str]:
    """The role names of a startableBy value ("county_handler, specialist")."""
    return [part for part in re.split(r"[,\s]+", value or "") if part]
