"""Restricted execution of BPMN scripts and expressions.

Script tasks, pre/post scripts, gateway conditions, timer expressions and DMN cells all
run through RestrictedPython: no imports, no open/exec/eval, no names or attributes that
start with an underscore (so no dunder escapes), and only the builtins and helpers below.
"""
import ast
import builtins
import operator
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from flask_babel import gettext as _
from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from workflow_app.core.dates import add_months
from workflow_app.core.time import local_today, utcnow

_EXTRA_BUILTINS = ("dict", "list", "set", "frozenset", "tuple", "sorted", "zip", "min", "max", "sum", "any", "all",
                   "enumerate", "reversed", "map", "filter", "KeyError", "IndexError")
# RestrictedPython's safe set, less what a BPMN script has no business doing.
_DROPPED_BUILTINS = ("__build_class__", "setattr", "delattr", "id", "callable")

_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
            "&=": operator.iand, "^=": operator.ixor}


def _inplace_var(op, x, y):
    return _INPLACE[op](x, y)


def money(value) -> Decimal:
    """Return `value` as a Decimal amount of yuan rounded to the fen (never via float)."""
    if isinstance(value, float):
        raise TypeError("money() refuses float; pass a string, int or Decimal")
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


SCRIPT_HELPERS = {
    "now": utcnow, "today": local_today, "timedelta": timedelta, "date": date, "datetime": datetime,
    "Decimal": Decimal, "money": money, "add_months": add_months,
}


def register_script_helper(name: str, function) -> None:
    """Make `function` callable from BPMN scripts (domains add theirs at start-up)."""
    SCRIPT_HELPERS[name] = function


def _builtins() -> dict:
    allowed = {name: value for name, value in safe_builtins.items() if name not in _DROPPED_BUILTINS}
    allowed.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
    return allowed


GUARDS = {
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace_var,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
}


class ScriptRefused(Exception):
    """A script that breaks the rules (imports, dunders, syntax)."""


@lru_cache(maxsize=4096)
def compile_script(source: str, mode: str):
    """Compile restricted code once per distinct source; raise ScriptRefused with the reasons."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptRefused(_("syntax error on line %(line)s: %(reason)s", line=exc.lineno, reason=exc.msg)) from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptRefused(_("line %(line)s: scripts may not import modules", line=node.lineno))
    result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source, "<bpmn script>")
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


class RestrictedEnvironment(TaskDataEnvironment):
    """Task-data environment whose code is compiled by RestrictedPython."""

    def __init__(self):
        super().__init__({"__builtins__": _builtins(), **GUARDS})

    def _globals(self, external_context):
        scope = dict(self.globals)
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


SCRIPT_ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
