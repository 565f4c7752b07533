"""Parse and validate BPMN/DMN sources into deployable process specs.

Every refusal names the file and the element, so whoever edits the model can find it; it is worded in the
language of the request (the default language outside one, English outside the app), while what SpiffWorkflow
and RestrictedPython say of the model is quoted as they say it.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser

from workflow_app.auth.operations import ENTERPRISE_ROLE
from workflow_app.core.durations import parse_sla
from workflow_app.engine import process_facts
from workflow_app.engine.packages import FORM_KEYS, PACKAGE_MODEL, bare_name, package_of, ui_schema_name
from workflow_app.engine.scripting import ScriptRefused, check_code_size, compile_script
from workflow_app.engine.serialization import dump_specs

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NAME_LENGTH = 200  # ProcessVersion.name
# the columns a model's ids and names are stored in (refused at deploy: a running step could not store them)
MAX_PROCESS_ID_LENGTH = 100  # ProcessVersion.process_id
MAX_TASK_ID_LENGTH = 200  # Task.bpmn_id
MAX_TASK_NAME_LENGTH = 300  # Task.name
MAX_DESCRIPTION_LENGTH = 10_000
# the task and start event properties that name a form's JSON Schema and its ui schema (spiff-arena's names)
FORM_SCHEMA, FORM_UI_SCHEMA = "formJsonSchemaFilename", "formUiSchemaFilename"
_SAFE_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)


@dataclass
class ParsedProcess:
    process_id: str
    name: str | None
    source_file: str
    files: dict  # {file name: text} of every file the version uses: BPMN, DMN, JSON, process_model.json
    spec_json: str
    sha256: str
    lanes: list = field(default_factory=list)
    description: str | None = None
    kept: list = field(default_factory=list)  # (file name, process id, version) of files taken from a stored version


class DeployRefused(Exception):
    """The sources cannot be deployed; `problems` lists every reason, one line each."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def _where(file_name, element_id=None, tag=None, line=None):
    parts = [file_name or "?"]
    if line:
        parts[0] += f":{line}"
    if element_id or tag:
        kind = tag or _("element")
        parts.append(f"{kind} '{element_id}'" if element_id else kind)
    return ", ".join(parts)


def _read_xml(name: str, content: bytes):
    if len(content) > MAX_FILE_BYTES:
        raise DeployRefused([_("%(name)s is larger than %(mb)d MB", name=name, mb=MAX_FILE_BYTES // (1024 * 1024))])
    try:
        root = etree.fromstring(content, parser=_SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise DeployRefused(
            [_("%(where)s: not well-formed XML: %(reason)s", where=f"{name}:{exc.lineno or '?'}", reason=exc.msg)]
        ) from None
    # asked of the parsed document, not of the bytes, so that any encoding (UTF-16 too) is covered; the parser
    # neither loads nor expands what a DTD declares
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DeployRefused(
            [_("%(name)s: DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files", name=name)]
        )
    return root


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _clean_message(message: str) -> str:
    """SpiffWorkflow's message without Python object reprs (an lxml element becomes its tag)."""
    message = re.sub(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>", r"(its \1)", message)
    return message.strip().rstrip(".").rstrip() or "invalid"


def _validation_problem(exc: ValidationException, default_file: str | None = None) -> str:
    where = _where(
        getattr(exc, "file_name", None) or default_file,
        getattr(exc, "id", None),
        getattr(exc, "tag", None),
        getattr(exc, "line_number", None),
    )
    message = _clean_message(str(exc).split("\n")[0] or exc.__class__.__name__)
    return f"{where}: {message}"


def _unsupported_elements(name: str, root) -> list[str]:
    """Elements this system cannot run, named before SpiffWorkflow trips over them."""
    problems = []
    for store in root.iter(f"{{{BPMN_NS}}}dataStore"):
        label = " ".join((store.get("name") or "").split())
        where = _where(name, store.get("id"), "bpmn:dataStore", store.sourceline)
        problems.append(
            _(
                "%(where)s: data stores (%(label)s) are not supported; keep the data in process variables instead",
                where=where,
                label=repr(label),
            )
            if label
            else _("%(where)s: data stores are not supported; keep the data in process variables instead", where=where)
        )
    return problems


_DMN_CODE = ("inputExpression", "inputEntry", "outputEntry")


def _decision_problems(name: str, root) -> list[str]:
    """DMN cells too long or too nested to compile (each is a Python expression, run in every case)."""
    problems = []
    for text in root.iter("{*}text"):
        parent = text.getparent()
        if etree.QName(parent).localname in _DMN_CODE and text.text:
            try:
                check_code_size(text.text)
            except ScriptRefused as exc:
                where = _where(name, parent.get("id"), f"dmn:{etree.QName(parent).localname}", text.sourceline)
                problems.append(f"{where}: {exc}")
    return problems


def _no_executable_process(roots: dict) -> list[str]:
    """Why a set of files holds nothing to run: name each process that is not executable."""
    problems = []
    for name, root in sorted(roots.items()):
        processes = list(root.iter(f"{{{BPMN_NS}}}process"))
        for process in processes:
            if process.get("isExecutable") != "true":
                problems.append(
                    _(
                        '%(where)s: isExecutable is not "true", so there is nothing to run (a model '
                        "for documentation only)",
                        where=_where(name, process.get("id"), "bpmn:process", process.sourceline),
                    )
                )
        if not processes:
            problems.append(_("%(name)s: holds no bpmn:process", name=name))
    return problems or [_("No executable bpmn:process was found")]


# an unquoted ISO 8601 duration, cycle or date-time: valid Python (R6/P1D divides two names) but not what was meant
ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?=\d|T\d)[\dYMWD.]*(T[\dHMS.]+)?|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-][\d:]+)?)"
    r"(/P[\dYMWDTHS.]+)?$"
)
# the user-task property naming the operation that completes the task, and the names the domains register for it
# (cases.task_handlers): deploying refuses any other
OPERATION = "operation"
OPERATION_NAMES: set[str] = set()
# task properties that hold Python expressions (evaluated on the task's data; see docs/process-authoring.md)
EXPRESSION_PROPERTIES = (
    "assignee",
    "sendBack",
    "reopen",
    "satisfaction",
    "extensionDays",
    "extensionReason",
    "dueDate",
)
SAME_PERSON_AS = "samePersonAs"  # engine.projections reads it when the task opens


def _same_person_problem(spec, task_spec, properties: dict, where: str) -> str | None:
    """What is wrong with a task's samePersonAs (the id of an earlier user task of its process, whose performer
    the task goes to), if anything."""
    step_id = properties[SAME_PERSON_AS]
    if not getattr(task_spec, "manual", False):
        return _("%(where)s: %(name)s belongs on a user task", where=where, name=SAME_PERSON_AS)
    if task_spec.lane == ENTERPRISE_ROLE:
        return _(
            "%(where)s: %(name)s cannot send a task of the enterprise's lane to one person: all its users do those",
            where=where,
            name=SAME_PERSON_AS,
        )
    if properties.get("assignee"):
        return _(
            "%(where)s: both assignee and %(name)s are set; a task goes to one person, so keep one",
            where=where,
            name=SAME_PERSON_AS,
        )
    named = spec.task_specs.get(step_id)
    if named is None or getattr(named, "bpmn_id", None) != step_id or not getattr(named, "manual", False):
        user_tasks = sorted(t.bpmn_id for t in spec.task_specs.values() if getattr(t, "manual", False) and t.bpmn_id)
        return _(
            "%(where)s: %(name)s %(id)s names no user task of this process (its user tasks: %(known)s)",
            where=where,
            name=SAME_PERSON_AS,
            id=_quoted(step_id, 60),
            known=", ".join(user_tasks[:12]) + (", …" if len(user_tasks) > 12 else ""),
        )
    return None


def _quoted(expression: str, limit: int = 80) -> str:
    """An expression as a message quotes it: whole when short, its start when long (a refusal stays one line)."""
    return repr(expression if len(expression) <= limit else expression[:limit] + "…")


def _task_problems(spec, file_name: str, form_keys: set[str]) -> list[str]:
    """Check one process spec's tasks: form keys, SLA properties, scripts, timers."""
    problems = []
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue  # Spiff's own bookkeeping specs (Start, End, ...)
        where = _where(file_name, bpmn_id[:80], type(task_spec).__name__)
        if len(bpmn_id) > MAX_TASK_ID_LENGTH or len(task_spec.bpmn_name or "") > MAX_TASK_NAME_LENGTH:
            problems.append(
                _(
                    "%(where)s: the id is longer than %(id)d or the name longer than %(name)d characters",
                    where=where,
                    id=MAX_TASK_ID_LENGTH,
                    name=MAX_TASK_NAME_LENGTH,
                )
            )
        properties = (task_spec.extensions or {}).get("properties", {})
        form_key = properties.get("formKey")
        if form_key and properties.get(FORM_SCHEMA):
            problems.append(
                _(
                    "%(where)s: both formKey and %(schema)s are set; a task has one form, so keep one",
                    where=where,
                    schema=FORM_SCHEMA,
                )
            )
        elif form_key and form_key not in form_keys:
            problems.append(
                _(
                    "%(where)s: formKey '%(key)s' names no form class (known: %(known)s)",
                    where=where,
                    key=form_key,
                    known=", ".join(sorted(form_keys)) or "-",
                )
            )
        operation = properties.get(OPERATION)
        if operation is not None and operation not in OPERATION_NAMES:
            problems.append(
                _(
                    "%(where)s: operation '%(name)s' is none this installation has (known: %(known)s)",
                    where=where,
                    name=operation[:80],
                    known=", ".join(sorted(OPERATION_NAMES)) or "-",
                )
            )
        if properties.get(FORM_UI_SCHEMA) and not properties.get(FORM_SCHEMA):
            problems.append(
                _(
                    "%(where)s: %(ui)s is set without %(schema)s; a ui schema lays out a JSON Schema form",
                    where=where,
                    ui=FORM_UI_SCHEMA,
                    schema=FORM_SCHEMA,
                )
            )
        for name in ("sla", "slaUrgent", "escalateAfter"):
            if properties.get(name):
                try:
                    parse_sla(properties[name])
                except ValueError as exc:
                    problems.append(
                        _("%(where)s: invalid property %(name)s: %(reason)s", where=where, name=name, reason=exc)
                    )
        field = properties.get("orgUnitField")
        if field is not None and not (field.isidentifier() and not field.startswith("_")):
            problems.append(
                _(
                    "%(where)s: orgUnitField %(field)s must be the name of a field of the case's data",
                    where=where,
                    field=_quoted(field),
                )
            )
        if properties.get(SAME_PERSON_AS) is not None:
            problem = _same_person_problem(spec, task_spec, properties, where)
            if problem:
                problems.append(problem)
        for name in EXPRESSION_PROPERTIES:
            if properties.get(name):
                try:
                    compile_script(properties[name], "eval")
                except ScriptRefused as exc:
                    problems.append(
                        _("%(where)s: invalid property %(name)s: %(reason)s", where=where, name=name, reason=exc)
                    )
        scripts = [
            ("script", getattr(task_spec, "script", None)),
            ("preScript", getattr(task_spec, "prescript", None)),
            ("postScript", getattr(task_spec, "postscript", None)),
        ]
        for label, source in scripts:
            if source:
                try:
                    compile_script(source, "exec")
                except ScriptRefused as exc:
                    problems.append(f"{where}: {label}: {exc}")
        for condition, target in getattr(task_spec, "cond_task_specs", []) or []:
            expression = getattr(condition, "args", [condition])[0] if condition is not None else None
            if isinstance(expression, str):
                try:
                    compile_script(expression, "eval")
                except ScriptRefused as exc:
                    problems.append(
                        _("%(where)s: condition to '%(target)s': %(reason)s", where=where, target=target, reason=exc)
                    )
        event_definition = getattr(task_spec, "event_definition", None)
        for definition in getattr(event_definition, "event_definitions", [event_definition]):
            if isinstance(definition, TimerEventDefinition):
                if ISO_LITERAL.match((definition.expression or "").strip()):
                    problems.append(
                        _(
                            "%(where)s: timer expression %(expression)s is an ISO 8601 literal, but timer "
                            'expressions are Python: quote it ("%(literal)s")',
                            where=where,
                            expression=_quoted(definition.expression),
                            literal=definition.expression.strip(),
                        )
                    )
                    continue
                try:
                    compile_script(definition.expression, "eval")
                except ScriptRefused as exc:
                    problems.append(
                        _(
                            '%(where)s: timer expression %(expression)s (quote ISO literals, e.g. "PT1H"): %(reason)s',
                            where=where,
                            expression=_quoted(definition.expression),
                            reason=exc,
                        )
                    )
    return problems + _process_property_problems(spec, file_name) + _portal_text_problems(spec, file_name)


def _process_property_problems(spec, file_name: str) -> list[str]:
    """Check the process properties (engine.process_facts) on the process's start events, and that no other
    element carries them (they would be ignored there)."""
    problems, first_seen = [], {}
    starts = {id(ts) for ts in process_facts.start_events(spec)}
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        where = _where(file_name, bpmn_id, type(task_spec).__name__)
        properties = (task_spec.extensions or {}).get("properties", {})
        given = {name: properties[name] for name in process_facts.PROCESS_PROPERTIES if name in properties}
        if given and id(task_spec) not in starts:
            problems.append(
                _("%(where)s: %(names)s belong on the process's start event", where=where, names=", ".join(given))
            )
            continue
        for name, value in given.items():
            other = first_seen.setdefault(name, (bpmn_id, value))
            if other[1] != value:
                problems.append(
                    _(
                        "%(where)s: %(name)s differs from that of start event '%(other)s'",
                        where=where,
                        name=name,
                        other=other[0],
                    )
                )
            problem = _process_property_problem(name, value, where)
            if problem:
                problems.append(problem)
        if process_facts.ENTERPRISE_REGISTRATION in given and process_facts.ENTERPRISE_FIELD not in properties:
            problems.append(
                _(
                    "%(where)s: %(name)s needs %(field)s, the start field of the code of the enterprise it registers",
                    where=where,
                    name=process_facts.ENTERPRISE_REGISTRATION,
                    field=process_facts.ENTERPRISE_FIELD,
                )
            )
    return problems


def _catches_timer(task_spec) -> bool:
    event_definition = getattr(task_spec, "event_definition", None)
    return any(
        isinstance(d, TimerEventDefinition) for d in getattr(event_definition, "event_definitions", [event_definition])
    )


def _portal_text_problems(spec, file_name: str) -> list[str]:
    """Check the portal's words (engine.process_facts): portalTodo on human tasks, portalWaiting on human tasks and
    timer events (what a case waits for until it fires), portalOutcome on end events, each a text template that can
    be used."""
    problems = []
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        where = _where(file_name, bpmn_id[:80], type(task_spec).__name__)
        properties = (task_spec.extensions or {}).get("properties", {})
        is_end = isinstance(task_spec, EndEvent)
        for name in (*process_facts.PORTAL_TASK_PROPERTIES, process_facts.PORTAL_OUTCOME):
            if name not in properties:
                continue
            if name == process_facts.PORTAL_OUTCOME and not is_end:
                problems.append(
                    _(
                        "%(where)s: %(name)s belongs on an end event (how a case that ends there ended)",
                        where=where,
                        name=name,
                    )
                )
                continue
            timer_wait = name == process_facts.PORTAL_WAITING and _catches_timer(task_spec)  # until it fires
            if name != process_facts.PORTAL_OUTCOME and not getattr(task_spec, "manual", False) and not timer_wait:
                problems.append(_("%(where)s: %(name)s belongs on a user or manual task", where=where, name=name))
                continue
            value = properties[name].strip()
            reason = process_facts.title_template_problem(value) if value else _("it is empty")
            if reason:
                problems.append(
                    _(
                        "%(where)s: %(name)s %(title)s cannot be used: %(reason)s",
                        where=where,
                        name=name,
                        title=_quoted(properties[name]),
                        reason=reason,
                    )
                )
    return problems


def _process_property_problem(name: str, value: str, where: str) -> str | None:
    """What is wrong with one process property's value (one line, naming `where`), or None."""
    if name == process_facts.CASE_NUMBER_PREFIX and not process_facts.PREFIX_PATTERN.fullmatch(value):
        return _(
            "%(where)s: %(name)s '%(value)s' must be 1 to 10 capital letters (A-Z)",
            where=where,
            name=name,
            value=value[:40],
        )
    if name == process_facts.CASE_TITLE:
        reason = process_facts.title_template_problem(value.strip()) if value.strip() else _("it is empty")
        return (
            _(
                "%(where)s: %(name)s %(title)s cannot be used: %(reason)s",
                where=where,
                name=name,
                title=_quoted(value),
                reason=reason,
            )
            if reason
            else None
        )
    if name == process_facts.STARTABLE_BY:
        roles = process_facts.split_roles(value)
        if not roles or not all(process_facts.ROLE_PATTERN.fullmatch(role) for role in roles):
            return _(
                "%(where)s: %(name)s '%(value)s' must list role names, separated by commas",
                where=where,
                name=name,
                value=value[:80],
            )
    if name == process_facts.PORTAL_APPLICATION and value not in process_facts.BOOLEANS:
        return _(
            '%(where)s: %(name)s must be "true" or "false", not \'%(value)s\'', where=where, name=name, value=value[:40]
        )
    if name == process_facts.ENTERPRISE_FIELD and not (
        process_facts.FIELD_PATTERN.fullmatch(value) and value != "title"
    ):
        return _(
            "%(where)s: %(name)s '%(value)s' must name a start field (letters, digits and _, a letter first; "
            "not title, which names the case)",
            where=where,
            name=name,
            value=value[:80],
        )
    if name == process_facts.ENTERPRISE_REGISTRATION and not (
        process_facts.FIELD_PATTERN.fullmatch(value) and value != "title"
    ):
        return _(
            "%(where)s: %(name)s '%(value)s' must name a start field (letters, digits and _, a letter first; "
            "not title, which names the case)",
            where=where,
            name=name,
            value=value[:80],
        )
    if name == process_facts.CASE_ORG_UNIT and value not in process_facts.CASE_ORG_UNITS:
        return _(
            '%(where)s: %(name)s must be "enterprise" or "starter", not \'%(value)s\'',
            where=where,
            name=name,
            value=value[:40],
        )
    if name == process_facts.CASE_PRIORITY:
        try:
            compile_script(value.strip(), "eval")
        except ScriptRefused as exc:
            return _("%(where)s: invalid property %(name)s: %(reason)s", where=where, name=name, reason=exc)
    return None


@dataclass
class _Source:
    """A file a version may use: how refusals name it, the name the version stores it under, and its text."""

    key: str
    name: str
    text: str
    kept_from: tuple | None = None  # (process id, version) of the stored version it was taken from


@dataclass
class _PackageModel:
    """A package's process_model.json (spiff-arena's): the process it describes, its name and description."""

    source: _Source
    package: str
    display_name: str | None = None
    description: str | None = None
    primary_file_name: str | None = None
    primary_process_id: str | None = None
    form_keys: dict = field(default_factory=dict)  # {old formKey: schema file} (packages.FORM_KEYS)


# process id -> (version, {file name: text}) of its newest stored version, or None
StoredFiles = Callable[[str], "tuple[int, dict] | None"]
# (file name, schema, ui schema) -> one line per problem that keeps the schema from being a form
SchemaCheck = Callable[[str, dict, "dict | None"], list]


def _not_json(constant):
    raise ValueError(_("%(value)s is not allowed in JSON", value=constant))


def _read_json(key: str, content: bytes) -> tuple[str, object]:
    """Decode and parse a JSON file; raise DeployRefused naming the file (and the line and column)."""
    if len(content) > MAX_FILE_BYTES:
        raise DeployRefused([_("%(name)s is larger than %(mb)d MB", name=key, mb=MAX_FILE_BYTES // (1024 * 1024))])
    try:
        text = content.decode("utf-8-sig")  # Windows' Notepad starts a UTF-8 file with a byte order mark
    except UnicodeDecodeError:
        raise DeployRefused([_("%(name)s: not UTF-8 text", name=key)]) from None
    try:
        return text, json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise DeployRefused(
            [_("%(where)s: not valid JSON: %(reason)s", where=f"{key}:{exc.lineno}:{exc.colno}", reason=exc.msg)]
        ) from None
    except ValueError as exc:
        raise DeployRefused([_("%(where)s: %(problem)s", where=key, problem=exc)]) from None
    except RecursionError:
        raise DeployRefused([_("%(name)s: nested too deeply", name=key)]) from None


_MODEL_FIELDS = (
    ("display_name", MAX_NAME_LENGTH),
    ("description", MAX_DESCRIPTION_LENGTH),
    ("primary_file_name", 255),
    ("primary_process_id", 100),
)


def _package_models(sources: dict[str, bytes], problems: list) -> dict[str, _PackageModel]:
    """The process_model.json of each package among the sources, by package."""
    models = {}
    for key, content in sorted(sources.items()):
        if bare_name(key) != PACKAGE_MODEL:
            continue
        try:
            text, value = _read_json(key, content)
        except DeployRefused as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(value, dict):
            problems.append(_("%(name)s: must be a JSON object", name=key))
            continue
        fields, bad = {}, False
        for name, limit in _MODEL_FIELDS:  # other keys (spiff-arena writes several) mean nothing here
            given = value.get(name)
            if given is not None and not isinstance(given, str):
                problems.append(_("%(name)s: %(field)s must be a string", name=key, field=name))
                bad = True
            elif given is not None and len(given.strip()) > limit:
                problems.append(
                    _("%(name)s: %(field)s is longer than %(max)d characters", name=key, field=name, max=limit)
                )
                bad = True
            else:
                fields[name] = (given or "").strip() or None
        form_keys = _form_keys(key, value.get(FORM_KEYS), problems)
        bad = _one_open_case_problem(key, value.get(ONE_OPEN_CASE_PER_ENTERPRISE), problems) or bad
        if form_keys is None:
            bad = True
        else:
            fields["form_keys"] = form_keys
        if not bad:
            models[package_of(key)] = _PackageModel(_Source(key, PACKAGE_MODEL, text), package_of(key), **fields)
    return models


MAX_FORM_KEY_LENGTH = 100  # Task.form_key
# process_model.json's key saying an enterprise has one open case of the process at a time (cases.operations)
ONE_OPEN_CASE_PER_ENTERPRISE = "oneOpenCasePerEnterprise"


def _one_open_case_problem(key: str, given, problems: list) -> bool:
    """Whether oneOpenCasePerEnterprise is none of true, false or a list of start fields (the reason in `problems`)."""
    if given is None or isinstance(given, bool):
        return False
    if (
        isinstance(given, list)
        and given
        and all(isinstance(name, str) and process_facts.FIELD_PATTERN.fullmatch(name) for name in given)
    ):
        return False
    problems.append(
        _(
            "%(name)s: %(field)s must be true, false or a list of start fields whose values tell two open cases "
            'apart, e.g. ["contract_no"]',
            name=key,
            field=ONE_OPEN_CASE_PER_ENTERPRISE,
        )
    )
    return True


def _form_keys(key: str, given, problems: list) -> dict | None:
    """process_model.json's form_keys: {old formKey: the .json file of the form that takes its place}; None (and
    the reasons in `problems`) when it is none."""
    if given is None:
        return {}
    if not isinstance(given, dict) or not all(
        isinstance(name, str)
        and 0 < len(name) <= MAX_FORM_KEY_LENGTH
        and isinstance(file, str)
        and file.endswith(".json")
        and "/" not in file
        and file != PACKAGE_MODEL
        for name, file in given.items()
    ):
        problems.append(
            _(
                "%(name)s: %(field)s must be an object of old formKeys (at most %(max)d characters) and "
                'the .json files of the package\'s forms that take their place, e.g. {"referral_review": '
                '"review-schema.json"}',
                name=key,
                field=FORM_KEYS,
                max=MAX_FORM_KEY_LENGTH,
            )
        )
        return None
    return dict(given)


def _primary_processes(models: dict[str, _PackageModel], parser, bpmn_keys, problems: list) -> dict:
    """{process id: the process_model.json that describes it} (its primary_file_name and primary_process_id)."""
    primary = {}
    executable = parser.get_process_ids()
    for package, model in models.items():
        where = model.source.key
        candidates = [pid for pid in executable if package_of(parser.get_process_parser(pid).filename) == package]
        if model.primary_file_name:
            primary_key = f"{package}/{model.primary_file_name}" if package else model.primary_file_name
            if primary_key not in bpmn_keys:
                problems.append(
                    _(
                        "%(where)s: primary_file_name '%(file)s' is not among the package's .bpmn files",
                        where=where,
                        file=model.primary_file_name,
                    )
                )
                continue
            candidates = [pid for pid in candidates if parser.get_process_parser(pid).filename == primary_key]
        if model.primary_process_id:
            if model.primary_process_id not in candidates:
                problems.append(
                    _(
                        "%(where)s: primary_process_id '%(id)s' is no executable bpmn:process of the "
                        "package (found: %(found)s)",
                        where=where,
                        id=model.primary_process_id,
                        found=", ".join(candidates) or "-",
                    )
                )
                continue
            primary[model.primary_process_id] = model
        elif len(candidates) == 1:
            primary[candidates[0]] = model
        elif candidates:
            problems.append(
                _(
                    "%(where)s: the package holds several processes (%(found)s); name its own one in "
                    "primary_process_id",
                    where=where,
                    found=", ".join(candidates),
                )
            )
    return primary


def _stored_name(name: str, kept_from: tuple) -> str:
    """How a refusal names a file taken from a stored version."""
    return _("%(name)s (from %(process)s version %(version)d)", name=name, process=kept_from[0], version=kept_from[1])


def _borrow_decisions(parser, process_ids, given_names: set, stored, loaded: dict, problems: list) -> None:
    """Add the DMN files that the given BPMN calls and that were not given, from the stored versions of its processes.

    So a changed BPMN deploys alone, as before versions carried their decisions.
    """
    needed = set(parser.dmn_dependencies) - set(parser.dmn_parsers)
    for process_id in sorted(process_ids):
        found = stored(process_id) if needed else None
        if found is None:
            continue
        version, files = found
        for name, text in sorted(files.items()):
            if not name.endswith(".dmn") or name in given_names:
                continue
            try:
                root = _read_xml(name, text.encode("utf-8"))
                decisions = {decision.get("id") for decision in root.iter("{*}decision")}
                if decisions & needed:
                    kept_from = (process_id, version)
                    source = _Source(_stored_name(name, kept_from), name, text, kept_from)
                    parser.add_dmn_xml(root, filename=source.key)
                    loaded[source.key] = source
                    needed -= decisions
            except DeployRefused as exc:
                problems.extend(exc.problems)
            except ValidationException as exc:
                problems.append(_validation_problem(exc, name))


class _FormFiles:
    """The JSON files that tasks name: found among the given files or in the stored version, each read once."""

    def __init__(self, sources: dict[str, bytes], stored, schema_check):
        self.sources = sources
        self.stored = stored
        self.schema_check = schema_check
        self.values = {}  # source key -> (source, parsed value), or None when it cannot be used
        self.checked = set()  # (schema key, ui key) pairs checked as a form

    def find(self, name: str, task_file: str, process_id: str) -> _Source | None:
        """The file `name` as a task of `task_file` means it: in its package, outside packages, in the stored version."""
        package = package_of(task_file)
        for key in ([f"{package}/{name}"] if package else []) + [name]:
            if key in self.sources:
                return _Source(key, bare_name(key), "")  # its text is read with its value
        found = self.stored(process_id)
        if found is not None and name in found[1]:
            kept_from = (process_id, found[0])
            return _Source(_stored_name(name, kept_from), name, found[1][name], kept_from)
        return None

    def value(self, source: _Source, where: str, problems: list, prop: str):
        """The parsed JSON object of a source (its problems reported once, at the first task naming it)."""
        if source.key not in self.values:
            try:
                content = self.sources[source.key] if source.kept_from is None else source.text.encode("utf-8")
                source.text, value = _read_json(source.key, content)
                if not isinstance(value, dict):
                    raise DeployRefused(
                        [
                            _("%(name)s: a form's JSON Schema must be a JSON object", name=source.key)
                            if prop == FORM_SCHEMA
                            else _("%(name)s: a ui schema must be a JSON object", name=source.key)
                        ]
                    )
                self.values[source.key] = (source, value)
            except DeployRefused as exc:
                problems.extend(_("%(where)s: %(problem)s", where=where, problem=problem) for problem in exc.problems)
                self.values[source.key] = None
        found = self.values[source.key]
        if found is not None:
            source.text = found[0].text
        return found[1] if found is not None else None

    def of_spec(self, spec, task_file: str, process_id: str, problems: list) -> list[_Source]:
        """The JSON files that the tasks and events of one spec name, checked."""
        used = []
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            properties = (task_spec.extensions or {}).get("properties", {}) if bpmn_id else {}
            if not properties.get(FORM_SCHEMA):
                continue
            where = _where(task_file, bpmn_id, type(task_spec).__name__)
            values = []
            for prop in (FORM_SCHEMA, FORM_UI_SCHEMA):
                name = properties.get(prop)
                if not name:
                    values.append((None, None))
                    continue
                source = self.find(name, task_file, process_id)
                if source is None:
                    problems.append(
                        _(
                            "%(where)s: %(property)s names %(file)s, which is neither among the files "
                            "given nor in the deployed version",
                            where=where,
                            property=prop,
                            file=name,
                        )
                    )
                    values.append((None, False))
                    continue
                value = self.value(source, where, problems, prop)
                values.append((source, value if value is not None else False))
                if value is not None:
                    used.append(source)
            (schema_source, schema), (ui_source, ui_schema) = values
            if schema is False or ui_schema is False or self.schema_check is None:
                continue
            pair = (schema_source.key, ui_source.key if ui_source else None)
            if pair not in self.checked:
                self.checked.add(pair)
                problems.extend(
                    _("%(where)s: %(problem)s", where=where, problem=line)
                    for line in self.schema_check(schema_source.key, schema, ui_schema)
                )
        return used

    def of_form_keys(self, model: "_PackageModel", process_id: str, problems: list) -> list[_Source]:
        """The forms a package's form_keys put in place of old formKeys, each with the ui schema of its name when
        there is one (apply-schema.json, apply-uischema.json), checked as forms: the version keeps them for the steps
        of its older versions."""
        used = []
        for form_key, name in sorted(model.form_keys.items()):
            where = f"{model.source.key}#/{FORM_KEYS}/{form_key}"
            source = self.find(name, model.source.key, process_id)
            if source is None:
                problems.append(
                    _(
                        "%(where)s: %(file)s is neither among the files given nor in the deployed version",
                        where=where,
                        file=name,
                    )
                )
                continue
            schema = self.value(source, where, problems, FORM_SCHEMA)
            if schema is None:
                continue
            used.append(source)
            ui_source = self.find(ui_schema_name(name), model.source.key, process_id)
            ui_schema = self.value(ui_source, where, problems, FORM_UI_SCHEMA) if ui_source is not None else None
            if ui_source is not None and ui_schema is None:
                continue
            if ui_source is not None:
                used.append(ui_source)
            pair = (source.key, ui_source.key if ui_source else None)
            if self.schema_check is not None and pair not in self.checked:
                self.checked.add(pair)
                problems.extend(
                    _("%(where)s: %(problem)s", where=where, problem=line)
                    for line in self.schema_check(source.key, schema, ui_schema)
                )
        return used


def _process_name(process_parser, root, model: _PackageModel | None) -> str:
    """The process's name, else its pool's (participant's), else the package's display_name, else its id."""
    name = process_parser.node.get("name")
    if not name and root is not None:
        name = next(
            (
                p.get("name")
                for p in root.iter(f"{{{BPMN_NS}}}participant")
                if p.get("processRef") == process_parser.bpmn_id and p.get("name")
            ),
            None,
        )
    return name or (model.display_name if model else None) or process_parser.bpmn_id


def _used_sources(parser, process_id: str, subprocess_specs: dict, loaded: dict) -> list[_Source]:
    """The BPMN and DMN files a process uses: its own file, the files of the processes it calls and their decisions."""
    own = parser.get_process_parser(process_id)
    process_parsers = [own] + [
        parser.process_parsers[name] for name in subprocess_specs if name in parser.process_parsers
    ]
    keys = {}  # in order, once each
    for process_parser in process_parsers:
        keys[process_parser.filename] = True
        for task in process_parser.xpath(".//bpmn:businessRuleTask"):
            decision = parser.dmn_parsers.get(BusinessRuleTaskParser.get_decision_ref(task))
            if decision is not None:
                keys[decision.filename] = True
    return [loaded[key] for key in keys if key in loaded]


def _version_files(process_id: str, used: list[_Source], problems: list) -> dict[str, _Source]:
    """{stored name: source}; two different files that would be stored under one name are refused."""
    files = {}
    for source in used:
        other = files.setdefault(source.name, source)
        if other is not source and other.text != source.text:
            problems.append(
                _(
                    "%(process)s uses two different files named %(name)s (%(first)s and %(second)s); rename one",
                    process=process_id,
                    name=source.name,
                    first=other.key,
                    second=source.key,
                )
            )
    return files


def _sha256(spec_json: str, own: _Source, files: dict[str, _Source]) -> str:
    """The version's hash: its spec, its own file, then every other file by name (a one-file version hashes as
    it did before versions carried their other files)."""
    others = "".join(f"\n\0{name}\n{files[name].text}" for name in sorted(files) if files[name] is not own)
    return hashlib.sha256((spec_json + "\n" + own.text + others).encode("utf-8")).hexdigest()


def parse_sources(
    sources: dict[str, bytes],
    form_keys: set[str],
    stored: StoredFiles | None = None,
    schema_check: SchemaCheck | None = None,
) -> list[ParsedProcess]:
    """Parse named BPMN, DMN and JSON sources; return every executable process or raise DeployRefused.

    `stored` gives the files of a process's newest stored version: what a process uses and was not given is
    taken from there. `schema_check` names what keeps a JSON Schema from being a form.
    """
    parser = SpiffBpmnParser(validator=VALIDATOR)
    problems = []
    loaded, roots = {}, {}
    for name, content in sorted(sources.items()):
        if not name.endswith((".bpmn", ".dmn", ".json")):
            problems.append(_("%(name)s: only .bpmn, .dmn and .json files can be deployed", name=name))
            continue
        if name.endswith(".json"):
            continue  # read when a task names it (process_model.json below)
        try:
            root = _read_xml(name, content)
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:  # another declared encoding (e.g. ISO-8859-1): lxml has read it
                text = etree.tostring(root, encoding="unicode")
            loaded[name] = _Source(name, bare_name(name), text)
            if name.endswith(".bpmn"):
                roots[name] = root
                unsupported = _unsupported_elements(name, root)
                if unsupported:
                    problems.extend(unsupported)
                    continue
            if name.endswith(".dmn"):
                cells = _decision_problems(name, root)
                if cells:
                    problems.extend(cells)
                    continue
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
        except DeployRefused as exc:
            problems.extend(exc.problems)
        except ValidationException as exc:
            problems.append(_validation_problem(exc, name))
        except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError) as exc:
            problems.append(
                _(
                    "%(name)s: cannot be parsed: %(reason)s",
                    name=name,
                    reason=f"{exc.__class__.__name__}: {_clean_message(str(exc))}",
                )
            )
    models = _package_models(sources, problems)
    if problems:
        raise DeployRefused(problems)

    process_ids = parser.get_process_ids()
    if not process_ids:
        raise DeployRefused(_no_executable_process(roots))
    stored_versions = {}

    def stored_files(process_id):
        if process_id not in stored_versions:
            stored_versions[process_id] = stored(process_id) if stored else None
        return stored_versions[process_id]

    primary = _primary_processes(models, parser, roots.keys(), problems)
    _borrow_decisions(parser, process_ids, {bare_name(key) for key in sources}, stored_files, loaded, problems)
    forms = _FormFiles(sources, stored_files, schema_check)
    parsed = []
    for process_id in process_ids:
        process_parser = parser.get_process_parser(process_id)
        file_name = process_parser.filename
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            problems.append(_validation_problem(exc, file_name))
            continue
        except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            problems.append(
                f"{_where(file_name, process_id, 'bpmn:process')}: {exc.__class__.__name__}: {_clean_message(str(exc))}"
            )
            continue
        spec_files = [(spec, file_name)] + [
            (sub, parser.get_process_parser(name).filename if name in parser.process_parsers else file_name)
            for name, sub in subprocess_specs.items()
        ]
        task_problems = []
        for task_spec, task_file in spec_files:
            task_problems += _task_problems(task_spec, task_file, form_keys)
        if task_problems:
            problems.extend(dict.fromkeys(task_problems))
            continue
        used = _used_sources(parser, process_id, subprocess_specs, loaded)
        for task_spec, task_file in spec_files:
            used += forms.of_spec(task_spec, task_file, process_id, problems)  # once each in _version_files
        model = primary.get(process_id)
        if model is not None:
            used.append(model.source)
            used += forms.of_form_keys(model, process_id, problems)
        files = _version_files(process_id, used, problems)
        name = _process_name(process_parser, roots.get(file_name), model)
        if len(process_id) > MAX_PROCESS_ID_LENGTH:
            problems.append(
                _(
                    "%(where)s: the id is longer than %(max)d characters",
                    where=_where(file_name, process_id[:80], "bpmn:process"),
                    max=MAX_PROCESS_ID_LENGTH,
                )
            )
        if len(name) > MAX_NAME_LENGTH:
            problems.append(
                _(
                    "%(where)s: the name is longer than %(max)d characters",
                    where=_where(file_name, process_id, "bpmn:process"),
                    max=MAX_NAME_LENGTH,
                )
            )
        for process_spec in (spec, *subprocess_specs.values()):
            process_spec.file = bare_name(process_spec.file or "")  # which folder it came from is no part of it
        spec_json = dump_specs(spec, subprocess_specs)
        lanes = sorted(
            {
                ts.lane
                for s in [spec, *subprocess_specs.values()]
                for ts in s.task_specs.values()
                if getattr(ts, "lane", None)
            }
        )
        own = loaded[file_name]
        parsed.append(
            ParsedProcess(
                process_id=process_id,
                name=name,
                source_file=own.name,
                files={stored_name: source.text for stored_name, source in files.items()},
                spec_json=spec_json,
                sha256=_sha256(spec_json, own, files),
                lanes=lanes,
                description=model.description if model else None,
                kept=sorted({(source.name, *source.kept_from) for source in files.values() if source.kept_from}),
            )
        )
    if problems:
        raise DeployRefused(list(dict.fromkeys(problems)))
    return parsed
