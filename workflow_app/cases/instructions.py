"""A task's instructions from its model (spiffworkflow:instructionsForEndUser), as safe HTML.

The text is Markdown with Jinja over the task's data, written by whoever deploys the model. It is rendered in
Jinja's sandbox (no attribute that starts with an underscore, only the filters, globals and methods below, the
data autoescaped), within a ModelBudget like any model code but with at most INSTRUCTIONS_CPU_SECONDS, since a
page waits for it (each loop turn and piece of output ticks it; loops stop at MAX_LOOP_TURNS, calls at MAX_CALL_DEPTH,
`*`, `**`, `%`, `+`, `~` and join refuse results beyond MAX_TEXT), then by markdown-it-py with raw HTML off, and
what comes out is cleaned by nh3: no script, style, iframe, event handler or javascript: URL survives.
"""

import dataclasses
import re
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache

import nh3
from flask_babel import gettext as _
from jinja2 import meta, nodes
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment, safe_range
from jinja2.utils import Cycler, Joiner
from markdown_it import MarkdownIt
from markupsafe import Markup

from workflow_app.engine.limits import ModelBudget, ModelBudgetExceeded, ModelLimits
from workflow_app.engine.queries import TaskDataOnFirstRead, task_instructions

# Longest text (and list) one expression may make, and the longest rendered Markdown.
MAX_TEXT = 100_000
MAX_LOOP_TURNS = 10_000  # all loops of one rendering together
MAX_CALL_DEPTH = 50  # macros calling macros
INSTRUCTIONS_CPU_SECONDS = 0.5
_FILTERS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "groupby",
    "int",
    "items",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
)
# Methods of data values a template may call (none that pads, repeats or formats: those can make any size).
_METHODS = frozenset(
    {
        "get",
        "items",
        "keys",
        "values",
        "upper",
        "lower",
        "strip",
        "title",
        "capitalize",
        "startswith",
        "endswith",
        "count",
        "index",
        "find",
    }
)
_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}


class _Rendering:
    """What one rendering has spent: its budget, its loop turns, the depth of its calls."""

    def __init__(self):
        limits = ModelLimits.current()
        self.budget = ModelBudget(
            dataclasses.replace(limits, cpu_seconds=min(limits.cpu_seconds, INSTRUCTIONS_CPU_SECONDS))
        )
        self.turns = self.depth = 0


_rendering: ContextVar[_Rendering] = ContextVar("instructions_rendering")


def _spend(size: int = 0) -> None:
    _rendering.get().budget.tick()
    if size > MAX_TEXT:
        raise ModelBudgetExceeded(_("an expression makes more than %(limit)d characters or items", limit=MAX_TEXT))


def _each(iterable):
    """Yield from `iterable`, a tick per item (every {% for %} goes through this)."""
    rendering = _rendering.get()
    for item in iterable:
        rendering.turns += 1
        if rendering.turns > MAX_LOOP_TURNS:
            raise ModelBudgetExceeded(_("the loops turn more than %(limit)d times", limit=MAX_LOOP_TURNS))
        _spend()
        yield item


def _bounded(value):
    """`value` if it is not too long (every `~` goes through this)."""
    _spend(len(value))
    return value


def _join(environment, value, separator="", attribute=None):
    items = list(_each(value))
    _spend(sum(len(str(item)) for item in items) + len(separator) * len(items))
    return FILTERS["join"](environment, items, separator, attribute)


_join.jinja_pass_arg = FILTERS["join"].jinja_pass_arg


def _range(*args):
    return safe_range(*args)


def _result_size(operator: str, left, right) -> int:
    """Roughly how long the result of `left operator right` is, for the operators that can make much at once."""
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                return len(sequence) * max(times, 0)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        return abs(left).bit_length() * right // 8
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        return len(left) + len(right)
    elif operator == "%" and isinstance(left, str):
        return len(left) + sum(int(n) for field in _FIELD_WIDTH.findall(left) for n in field if n)
    return 0


_FIELD_WIDTH = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d+))?")  # a %-format's widths and precisions pad to any size


class InstructionsEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, with the budget spent at every loop turn, `~` and size-making operator."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self):
        super().__init__(autoescape=True)
        self.filters = {name: FILTERS[name] for name in _FILTERS}
        self.filters.update(_each=_each, _bounded=_bounded, join=_join)
        self.globals = {"range": _range, "dict": dict, "cycler": Cycler, "joiner": Joiner}
        self._callable_globals = tuple(self.globals.values())

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_each", [], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [
                nodes.Filter(
                    nodes.Concat(concat.nodes, lineno=concat.lineno),
                    "_bounded",
                    [],
                    [],
                    None,
                    None,
                    lineno=concat.lineno,
                )
            ]
        return tree

    def call_binop(self, context, operator, left, right):
        _spend(_result_size(operator, left, right))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - the sandbox's own signature
        rendering = _rendering.get()
        rendering.depth += 1
        try:
            if rendering.depth > MAX_CALL_DEPTH:
                raise ModelBudgetExceeded(_("calls are nested more than %(limit)d deep", limit=MAX_CALL_DEPTH))
            _spend()
            return super().call(__context, __obj, *args, **kwargs)
        finally:
            rendering.depth -= 1

    def is_safe_callable(self, obj) -> bool:
        if any(obj is allowed for allowed in self._callable_globals) or isinstance(obj, (Macro, Joiner)):
            return True
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (LoopContext, Cycler)):
            return super().is_safe_callable(obj)
        return isinstance(owner, (str, dict, list, tuple)) and getattr(obj, "__name__", "") in _METHODS


_ENVIRONMENT = InstructionsEnvironment()
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


class _Refused(Exception):
    """Instructions that cannot be filled in: the reason."""


@lru_cache(maxsize=1024)
def _compiled(source: str):
    """(template, whether it reads the data), once per distinct source; a refusal is cached as such too."""
    try:
        tree = _ENVIRONMENT.parse(source)
        return _ENVIRONMENT.from_string(tree), bool(meta.find_undeclared_variables(tree) - set(_ENVIRONMENT.globals))
    except Exception as exc:  # noqa: BLE001 - a model's syntax error, or one too deep to parse
        return _Refused(str(exc).splitlines()[0] if str(exc) else type(exc).__name__), False


@lru_cache(maxsize=1024)
def _as_html(markdown: str) -> str:
    return nh3.clean(
        _MARKDOWN.render(markdown),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _filled_in(template, data: Mapping) -> str:
    """The template rendered over `data` within a budget of its own; raise _Refused with the reason."""
    token = _rendering.set(_Rendering())
    try:
        pieces, length = [], 0
        for piece in template.generate(dict(data)):
            length += len(piece)
            _spend(length)
            pieces.append(piece)
        return "".join(pieces)
    except Exception as exc:  # noqa: BLE001 - whatever the model's template does wrong (sandbox, budget, types)
        raise _Refused(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    finally:
        _rendering.reset(token)


def render_instructions(source: str, data: Mapping) -> Markup:
    """Render instructions (Markdown with Jinja) over task data to safe HTML; a template that fails says why."""
    template, reads_data = _compiled(source)
    try:
        if isinstance(template, _Refused):
            raise template
        markdown = _filled_in(template, data if reads_data else {})
    except _Refused as refused:
        return Markup('<p class="text-danger">{}</p>').format(
            _("These instructions cannot be shown: %(problem)s", problem=str(refused))
        )
    return Markup(_as_html(markdown))


def task_instructions_html(task) -> Markup | None:
    """The open task's instructions from its model, rendered over its data; None when it has none (or is closed)."""
    if task.state != "open":
        return None
    source = task_instructions(task)
    if not source or not source.strip():
        return None
    return render_instructions(source, TaskDataOnFirstRead(task))


def instructions_for(task, form):
    """What a task page shows above its form: a hand-written form's own instructions (translated into the reader's
    language), else the model's instructionsForEndUser rendered; None when there are none."""
    return getattr(type(form), "instructions", None) or task_instructions_html(task)
