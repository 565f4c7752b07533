"""Parse and validate BPMN/DMN sources into deployable process specs.

Every refusal names the file and the element, so whoever edits the model can find it; it is worded in the
language of the request (the default language outside one, English outside the app), while what SpiffWorkflow
and RestrictedPython say of the model is quoted as they say it.
"""
import hashlib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from workflow_app.core.durations import parse_sla
from workflow_app.engine.scripting import ScriptRefused, check_code_size, compile_script
from workflow_app.engine.serialization import dump_specs


MAX_FILE_BYTES = 5 * 1024 * 1024
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                            remove_comments=False)


@dataclass
class ParsedProcess:
    process_id: str
    name: str | None
    source_file: str
    files: dict
    spec_json: str
    sha256: str
    lanes: list = field(default_factory=list)


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
        raise DeployRefused([_("%(where)s: not well-formed XML: %(reason)s", where=f"{name}:{exc.lineno or '?'}",
                               reason=exc.msg)]) from None
    # asked of the parsed document, not of the bytes, so that any encoding (UTF-16 too) is covered; the parser
    # neither loads nor expands what a DTD declares
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DeployRefused([_("%(name)s: DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files",
                               name=name)])
    return root


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _clean_message(message: str) -> str:
    """SpiffWorkflow's message without Python object reprs (an lxml element becomes its tag)."""
    message = re.sub(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>", r"(its \1)", message)
    return message.strip().rstrip(".").rstrip() or "invalid"


def _validation_problem(exc: ValidationException, default_file: str | None = None) -> str:
    where = _where(getattr(exc, "file_name", None) or default_file, getattr(exc, "id", None),
                   getattr(exc, "tag", None), getattr(exc, "line_number", None))
    message = _clean_message(str(exc).split("\n")[0] or exc.__class__.__name__)
    return f"{where}: {message}"


def _unsupported_elements(name: str, root) -> list[str]:
    """Elements this system cannot run, named before SpiffWorkflow trips over them."""
    problems = []
    for store in root.iter(f"{{{BPMN_NS}}}dataStore"):
        label = " ".join((store.get("name") or "").split())
        where = _where(name, store.get('id'), 'bpmn:dataStore', store.sourceline)
        problems.append(_("%(where)s: data stores (%(label)s) are not supported; keep the data in process "
                          "variables instead", where=where, label=repr(label)) if label else
                        _("%(where)s: data stores are not supported; keep the data in process variables instead",
                          where=where))
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
                problems.append(_("%(where)s: isExecutable is not \"true\", so there is nothing to run (a model "
                                  "for documentation only)",
                                  where=_where(name, process.get('id'), 'bpmn:process', process.sourceline)))
        if not processes:
            problems.append(_("%(name)s: holds no bpmn:process", name=name))
    return problems or [_("No executable bpmn:process was found")]


# an unquoted ISO 8601 duration, cycle or date-time: valid Python (R6/P1D divides two names) but not what was meant
ISO_LITERAL = re.compile(r"^(R\d*/)?(P(?=\d|T\d)[\dYMWD.]*(T[\dHMS.]+)?|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-][\d:]+)?)"
                         r"(/P[\dYMWDTHS.]+)?$")
# task properties that hold Python expressions (evaluated on the task's data; see README "Writing processes")
EXPRESSION_PROPERTIES = ("assignee", "sendBack", "reopen", "satisfaction", "extensionDays", "extensionReason")


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
        where = _where(file_name, bpmn_id, type(task_spec).__name__)
        properties = (task_spec.extensions or {}).get("properties", {})
        form_key = properties.get("formKey")
        if form_key and form_key not in form_keys:
            problems.append(_("%(where)s: formKey '%(key)s' names no form class (known: %(known)s)", where=where,
                              key=form_key, known=", ".join(sorted(form_keys)) or "-"))
        for name in ("sla", "slaUrgent", "escalateAfter"):
            if properties.get(name):
                try:
                    parse_sla(properties[name])
                except ValueError as exc:
                    problems.append(_("%(where)s: invalid property %(name)s: %(reason)s", where=where, name=name, reason=exc))
        for name in EXPRESSION_PROPERTIES:
            if properties.get(name):
                try:
                    compile_script(properties[name], "eval")
                except ScriptRefused as exc:
                    problems.append(_("%(where)s: invalid property %(name)s: %(reason)s", where=where, name=name, reason=exc))
        scripts = [("script", getattr(task_spec, "script", None)),
                   ("preScript", getattr(task_spec, "prescript", None)),
                   ("postScript", getattr(task_spec, "postscript", None))]
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
                    problems.append(_("%(where)s: condition to '%(target)s': %(reason)s", where=where, target=target,
                                      reason=exc))
        event_definition = getattr(task_spec, "event_definition", None)
        for definition in getattr(event_definition, "event_definitions", [event_definition]):
            if isinstance(definition, TimerEventDefinition):
                if ISO_LITERAL.match((definition.expression or "").strip()):
                    problems.append(_("%(where)s: timer expression %(expression)s is an ISO 8601 literal, but timer "
                                      "expressions are Python: quote it (\"%(literal)s\")", where=where,
                                      expression=_quoted(definition.expression), literal=definition.expression.strip()))
                    continue
                try:
                    compile_script(definition.expression, "eval")
                except ScriptRefused as exc:
                    problems.append(_("%(where)s: timer expression %(expression)s (quote ISO literals, e.g. "
                                      "\"PT1H\"): %(reason)s", where=where, expression=_quoted(definition.expression),
                                      reason=exc))
    return problems


def parse_sources(sources: dict[str, bytes], form_keys: set[str]) -> list[ParsedProcess]:
    """Parse named BPMN/DMN sources; return every executable process or raise DeployRefused."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    problems = []
    texts, roots = {}, {}
    for name, content in sorted(sources.items()):
        if not name.endswith((".bpmn", ".dmn")):
            problems.append(_("%(name)s: only .bpmn and .dmn files can be deployed", name=name))
            continue
        try:
            root = _read_xml(name, content)
            try:
                texts[name] = content.decode("utf-8")
            except UnicodeDecodeError:  # another declared encoding (e.g. ISO-8859-1): lxml has read it
                texts[name] = etree.tostring(root, encoding="unicode")
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
            problems.append(_("%(name)s: cannot be parsed: %(reason)s", name=name,
                              reason=f"{exc.__class__.__name__}: {_clean_message(str(exc))}"))
    if problems:
        raise DeployRefused(problems)

    process_ids = parser.get_process_ids()
    if not process_ids:
        raise DeployRefused(_no_executable_process(roots))
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
            problems.append(f"{_where(file_name, process_id, 'bpmn:process')}: {exc.__class__.__name__}: "
                            f"{_clean_message(str(exc))}")
            continue
        task_problems = _task_problems(spec, file_name, form_keys)
        for sub in subprocess_specs.values():
            task_problems += _task_problems(sub, parser.get_process_parser(sub.name).filename
                                            if sub.name in parser.process_parsers else file_name, form_keys)
        if task_problems:
            problems.extend(dict.fromkeys(task_problems))
            continue
        spec_json = dump_specs(spec, subprocess_specs)
        own_text = texts.get(file_name, "")
        lanes = sorted({ts.lane for s in [spec, *subprocess_specs.values()] for ts in s.task_specs.values()
                        if getattr(ts, "lane", None)})
        parsed.append(ParsedProcess(
            process_id=process_id,
            name=process_parser.get_name(),
            source_file=file_name,
            files={file_name: own_text},
            spec_json=spec_json,
            sha256=hashlib.sha256((spec_json + "\n" + own_text).encode("utf-8")).hexdigest(),
            lanes=lanes,
        ))
    if problems:
        raise DeployRefused(list(dict.fromkeys(problems)))
    return parsed
