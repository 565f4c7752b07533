"""Restricted execution of BPMN scripts and expressions.

Script tasks, pre/post scripts, gateway conditions, timer expressions and DMN cells all
run through RestrictedPython: no imports, no open/exec/eval, no names or attributes that
start with an underscore (so no dunder escapes), and only the builtins and helpers below.
Every loop turn, iterated item and call of model code ticks a ModelBudget (engine.limits), and
the operations that can allocate much at once (`*`, `**`, `<<`, `range`, padding) ask it first.
"""

import ast
import builtins
import operator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from flask_babel import gettext as _
from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from workflow_app.core.dates import add_months
from workflow_app.core.time import local_today, utcnow
from workflow_app.engine.limits import SCRIPT_FILENAME, ModelBudget, ModelLimits

_EXTRA_BUILTINS = (
    "dict",
    "list",
    "set",
    "frozenset",
    "tuple",
    "sorted",
    "zip",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "enumerate",
    "reversed",
    "map",
    "filter",
    "KeyError",
    "IndexError",
)
# RestrictedPython's safe set, less what a BPMN script has no business doing: the exceptions that stop a
# process (SystemExit, KeyboardInterrupt, GeneratorExit) and their base class would pass every `except Exception`.
_DROPPED_BUILTINS = (
    "__build_class__",
    "setattr",
    "delattr",
    "id",
    "callable",
    "BaseException",
    "SystemExit",
    "KeyboardInterrupt",
    "GeneratorExit",
)
# Source longer than this, or nested deeper, is refused before it is parsed (the parser recurses per level).
MAX_SOURCE_CHARS = 20_000
MAX_NESTING = 100

_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
}


def _result_size(op: str, x, y, limit: int) -> float:
    """Roughly how many bytes `x op y` makes, for the operations that can make many at once."""
    if op == "*":
        for sequence, count in ((x, y), (y, x)):
            if isinstance(sequence, (str, bytes, list, tuple)) and isinstance(count, int):
                return len(sequence) * max(count, 0) * (1 if isinstance(sequence, (str, bytes)) else 8)
    elif op == "**" and isinstance(x, int) and isinstance(y, int) and y > 0:
        return abs(x).bit_length() * y / 8
    elif op == "<<" and isinstance(x, int) and isinstance(y, int):
        return (abs(x).bit_length() + y) / 8
    elif op == "%" and isinstance(x, str):
        return len(x) + _text_size(y, limit)
    return 0


_TEXT_ITEMS = 200_000


def _text_size(value, limit: int) -> int:
    """Roughly how long the text of `value` is (str(), repr(), f-strings, %), counting no further than `limit`.

    A list repeated by reference ([[0] * 10**6] * 10**6) is small in memory and huge as text. More than
    _TEXT_ITEMS items count as too much, so that the count itself stays quick.
    """
    size, stack, items = 0, [value], 0
    while stack and size <= limit:
        items += 1
        if items > _TEXT_ITEMS:
            return limit + 1
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            size += 2 + 4 * len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            size += 2 + 2 * len(item)
        elif isinstance(item, str):
            size += len(item)
        else:
            size += 24
    return size


_BINARY = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_OPERATORS = {"*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}


def money(value) -> Decimal:
    """Return `value` as a Decimal amount of yuan rounded to the fen (never via float)."""
    if isinstance(value, float):
        raise TypeError("money() refuses float; pass a string, int or Decimal")
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


SCRIPT_HELPERS = {
    "now": utcnow,
    "today": local_today,
    "timedelta": timedelta,
    "date": date,
    "datetime": datetime,
    "Decimal": Decimal,
    "money": money,
    "add_months": add_months,
}


def register_script_helper(name: str, function) -> None:
    """Make `function` callable from BPMN scripts (domains add theirs at start-up)."""
    SCRIPT_HELPERS[name] = function


def _builtins() -> dict:
    allowed = {name: value for name, value in safe_builtins.items() if name not in _DROPPED_BUILTINS}
    allowed.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    return allowed


_BUILTINS = _builtins()


# The guards that need no budget (budgeted_globals adds the others).
GUARDS = {
    "_getitem_": default_guarded_getitem,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
}


class ScriptRefused(Exception):
    """A script that breaks the rules (imports, dunders, syntax, size)."""


def _call(name: str, node, *args) -> ast.Call:
    """A call of `name` placed where `node` is (so that errors point at the model's line)."""
    return ast.copy_location(
        ast.Call(func=ast.copy_location(ast.Name(name, ast.Load()), node), args=list(args), keywords=[]), node
    )


class BudgetedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, and calls into the step's ModelBudget at each loop turn and function call.

    The names added start with an underscore, which model code itself may not use.
    """

    def visit_While(self, node):
        node = super().visit_While(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_budget_tick_", node)), node))
        return node

    def visit_FunctionDef(self, node):
        node = super().visit_FunctionDef(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_budget_call_", node)), node))
        return node

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.Or(), values=[_call("_budget_call_", node), node.body]), node.body
        )
        return node

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        node.value = _call("_budget_text_", node.value, node.value)
        return node

    def visit_Call(self, node):
        node = super().visit_Call(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("str", "repr") and node.args:
            node.args[0] = _call("_budget_text_", node.args[0], node.args[0])
        return node

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        symbol = _BINARY.get(type(node.op))
        if symbol is None:
            return node
        return _call("_budget_binop_", node, ast.copy_location(ast.Constant(symbol), node), node.left, node.right)


def check_code_size(source: str) -> None:
    """Refuse source too long or too deeply nested to parse safely (the parser recurses once per level)."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptRefused(_("the code is longer than %(limit)d characters", limit=MAX_SOURCE_CHARS))
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ScriptRefused(_("brackets are nested more than %(limit)d deep", limit=MAX_NESTING))


@lru_cache(maxsize=4096)
def compile_script(source: str, mode: str):
    """Compile restricted code once per distinct source; raise ScriptRefused with the reasons."""
    check_code_size(source)
    try:
        tree = ast.parse(source, mode=mode)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                raise ScriptRefused(_("line %(line)s: scripts may not import modules", line=node.lineno))
        compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compile_mode(source, SCRIPT_FILENAME, policy=BudgetedTransformer)
    except SyntaxError as exc:
        raise ScriptRefused(_("syntax error on line %(line)s: %(reason)s", line=exc.lineno, reason=exc.msg)) from None
    except (RecursionError, MemoryError):  # e.g. a chain of 30,000 additions: too many terms to parse
        raise ScriptRefused(_("the code has too many terms to compile")) from None
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


def budgeted_globals(budget: ModelBudget) -> dict:
    """The names through which restricted code spends `budget` (see BudgetedTransformer)."""
    limit = budget.limits.memory_bytes

    def binop(op, x, y):
        budget.allow_size(_result_size(op, x, y, limit))
        return _OPERATORS[op](x, y)

    def inplace_var(op, x, y):
        budget.allow_size(_result_size(op[:-1], x, y, limit))
        return _INPLACE[op](x, y)

    def as_text(value):
        budget.allow_size(_text_size(value, limit))
        return value

    def getiter(iterable):
        return budget.iterate(default_guarded_getiter(iterable))

    def budgeted_range(*args):
        numbers = range(*args)
        budget.allow_size(len(numbers) * 8)
        return numbers

    def getattr_(obj, name, default=None):
        value = safer_getattr(obj, name, default)
        if isinstance(obj, str) and name in _PADDING:

            def pad(width, *args):
                budget.allow_size(width if isinstance(width, int) else 0)
                return value(width, *args)

            return pad
        return value

    return {
        "_budget_tick_": budget.tick,
        "_budget_call_": budget.enter_call,
        "_budget_binop_": binop,
        "_inplacevar_": inplace_var,
        "_getiter_": getiter,
        "_getattr_": getattr_,
        "_budget_text_": as_text,
        "__builtins__": {**_BUILTINS, "range": budgeted_range},
    }


_PADDING = ("ljust", "rjust", "center", "zfill", "expandtabs")


class RestrictedEnvironment(TaskDataEnvironment):
    """Task-data environment whose code is compiled by RestrictedPython and spends a ModelBudget.

    Without a budget (code evaluated outside an engine step), each evaluation gets a budget of its own.
    """

    def __init__(self, budget: ModelBudget | None = None):
        super().__init__(dict(GUARDS))
        self.budget = budget
        self._spending = budgeted_globals(budget) if budget is not None else None

    def _globals(self, external_context):
        scope = dict(self.globals)
        scope.update(self._spending or budgeted_globals(ModelBudget(ModelLimits.current())))
        scope.update(SCRIPT_HELPERS)
        scope.update(external_context or {})
        return scope

    def evaluate(self, expression, context, external_context=None):
        code = compile_script(expression, "eval")
        scope = self._globals(external_context)
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - restricted code object

    def execute(self, script, context, external_context=None):
        scope = self._globals(external_context)
        self.check_for_overwrite(context, scope)
        code = compile_script(script, "exec")
        context.update(scope)
        try:
            exec(code, context)  # noqa: S102 - restricted code object
        finally:
            self._remove_globals_and_functions_from_context(context, scope)
        return True

    def check_for_overwrite(self, context, external_context):
        clashes = set(SCRIPT_HELPERS).intersection(context)
        if clashes:
            raise ValueError(f"task data overwrites script helper(s) {sorted(clashes)}; rename those fields")


def budgeted_script_engine(budget: ModelBudget) -> PythonScriptEngine:
    """A script engine whose model code spends `budget` (one engine step's)."""
    return PythonScriptEngine(environment=RestrictedEnvironment(budget))


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
