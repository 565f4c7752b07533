"""What model code may use in one engine step, and what task data may hold when the step ends.

Scripts, conditions, timer expressions, DMN cells and task properties come from process models that an
admin deploys, not from developers: a loop that never ends, a huge allocation or data that cannot be
stored must fail the step (and stop the case in error) instead of wedging a web worker or the timer worker.
"""

import math
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from flask_babel import gettext as _

from workflow_app.core.settings import setting

SCRIPT_FILENAME = "<bpmn script>"
# The budget's clock is read every this many ticks (a tick is one loop turn, item or call of model code).
_TICKS_PER_CHECK = 16
# Resident memory is read (12 µs from /proc) at most once per this much CPU time of model code.
_MEMORY_CHECK_SECONDS = 0.002
_PAGE_SIZE = 4096


@dataclass(frozen=True)
class ModelLimits:
    cpu_seconds: float  # CPU time of one step's model code and engine work
    memory_bytes: int  # growth of the process's resident memory during one step
    call_depth: int  # nested calls of functions defined in model code
    data_bytes: int  # size of one task's data, roughly as stored
    data_depth: int  # nesting of lists and objects in task data

    @classmethod
    def current(cls) -> "ModelLimits":
        """The limits configured for the running app (config.py's outside one)."""
        return cls(
            cpu_seconds=setting("MODEL_CPU_SECONDS"),
            memory_bytes=setting("MODEL_MEMORY_MB") * 2**20,
            call_depth=setting("MODEL_CALL_DEPTH"),
            data_bytes=setting("TASK_DATA_MAX_KB") * 1024,
            data_depth=setting("TASK_DATA_MAX_DEPTH"),
        )


class ModelBudgetExceeded(Exception):
    """Model code went past one step's CPU time, memory or call depth."""


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except OSError:  # not Linux: the allocation guards still hold
        return 0


class ModelBudget:
    """The CPU time, memory and call depth left to the model code of one step.

    Restricted code calls `tick` at each loop turn and iterated item, `enter_call` at each call of a function it
    defines, and asks `allow_size` before an operation that may allocate much (`"x" * n`, `2 ** n`, `range(n)`).
    Once exceeded, a budget stays exceeded: a script that catches the error cannot go on looping.
    """

    def __init__(self, limits: ModelLimits):
        self.limits = limits
        self._cpu_deadline = time.thread_time() + limits.cpu_seconds
        self._memory_start: int | None = None  # read at the first check: most steps run no model code at all
        self._next_memory_check = 0.0
        self._ticks = 0
        self.exceeded: str | None = None

    def tick(self) -> None:
        self._ticks += 1
        if self.exceeded is not None or self._ticks % _TICKS_PER_CHECK == 0:
            self.check()

    def check(self, memory: bool = True) -> None:
        """Raise ModelBudgetExceeded if the step has used its CPU time (or, with `memory`, its memory)."""
        if self.exceeded is None:
            now = time.thread_time()
            if now > self._cpu_deadline:
                self.exceeded = _(
                    "model code ran longer than %(seconds)s s of CPU time (MODEL_CPU_SECONDS)",
                    seconds=f"{self.limits.cpu_seconds:g}",
                )
            elif memory and now >= self._next_memory_check:
                self._next_memory_check = now + _MEMORY_CHECK_SECONDS
                if self._memory_start is None:
                    self._memory_start = _resident_bytes()
                elif _resident_bytes() - self._memory_start > self.limits.memory_bytes:
                    self.exceeded = self._memory_message()
        if self.exceeded is not None:
            raise ModelBudgetExceeded(self.exceeded)

    def _memory_message(self) -> str:
        return _(
            "model code needed more than %(mb)d MB of memory (MODEL_MEMORY_MB)", mb=self.limits.memory_bytes // 2**20
        )

    def allow_size(self, size: float) -> None:
        """Refuse an operation whose result would take `size` bytes or more than the budget allows."""
        if size > self.limits.memory_bytes:
            self.exceeded = self._memory_message()
            raise ModelBudgetExceeded(self.exceeded)

    def enter_call(self) -> None:
        """Count the calls of model-defined functions on the stack; refuse one too deep."""
        self.tick()
        depth, frame = 0, sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == SCRIPT_FILENAME:
                depth += 1
                if depth > self.limits.call_depth:
                    self.exceeded = _(
                        "model code called its own functions more than %(depth)d deep (MODEL_CALL_DEPTH)",
                        depth=self.limits.call_depth,
                    )
                    raise ModelBudgetExceeded(self.exceeded)
            frame = frame.f_back

    def iterate(self, iterable):
        """Yield from `iterable`, one tick per item."""
        for item in iterable:
            self.tick()
            yield item


# Values task data may hold: what the stored state's JSON (and its registry's types) can take.
_SCALARS = (str, bool, type(None), Decimal, datetime, date, timedelta, UUID)
_INT_LIMIT = 2**63  # the database's BIGINT, and well inside what a browser's JSON reads exactly as a number


class TaskDataRefused(Exception):
    """Task data that cannot be stored: the message names the key path and what is wrong."""


def check_task_data(data: dict, limits: ModelLimits, where: str = "") -> None:
    """Raise TaskDataRefused unless `data` is storable: known types, finite numbers, within size and depth.

    Walks without recursion, so a 100,000-deep or cyclic list is refused rather than overflowing the stack.
    """
    size, stack = 0, [(where or "data", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > limits.data_depth:
            raise TaskDataRefused(
                _(
                    "%(path)s: nested deeper than %(depth)d levels (TASK_DATA_MAX_DEPTH)",
                    path=path,
                    depth=limits.data_depth,
                )
            )
        if isinstance(value, dict):
            size += 2
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TaskDataRefused(
                        _("%(path)s: a key is not text (%(kind)s)", path=path, kind=type(key).__name__)
                    )
                size += len(key) + 4
                stack.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, (list, tuple)):
            size += 2
            stack.extend((f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -_INT_LIMIT <= value < _INT_LIMIT:
                raise TaskDataRefused(_("%(path)s: the integer is too large to store (at most 19 digits)", path=path))
            size += 20
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise TaskDataRefused(
                    _("%(path)s: %(value)s is not a number that can be stored", path=path, value=value)
                )
            size += 24
        elif isinstance(value, Decimal):
            if not value.is_finite() or abs(value.adjusted()) > 30:
                raise TaskDataRefused(
                    _("%(path)s: %(value)s is not a number that can be stored", path=path, value=value)
                )
            size += 40
        elif isinstance(value, _SCALARS):
            size += len(value) + 2 if isinstance(value, str) else 32
        else:
            raise TaskDataRefused(
                _(
                    "%(path)s: a value of type %(kind)s cannot be stored in task data",
                    path=path,
                    kind=type(value).__name__,
                )
            )
        if size > limits.data_bytes:
            raise TaskDataRefused(
                _(
                    "%(path)s: the task data is larger than %(kb)d KB (TASK_DATA_MAX_KB)",
                    path=where or "data",
                    kb=limits.data_bytes // 1024,
                )
            )
