"""Adjust SpiffWorkflow 3.2 to the application: traversal limits and the clock.

Task iterators stop at depth 1000 by default (SPIFFWORKFLOW_NOTES P1); every loop iteration
deepens the task tree, so after ~250 iterations of a small loop the engine would no longer
see the READY task and would report the workflow as completed. The parser recurses once per
node of a sequential chain (P2). Timers read `datetime.now(timezone.utc)`; they are pointed at
the application's clock (`core.time.utcnow`) so that the worker and the engine agree on "now".
"""

import sys
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

from workflow_app.core.time import utcnow

UNLIMITED_DEPTH = 10**9


def _with_max_depth(init, depth):
    defaults = list(init.__defaults__)
    names = init.__code__.co_varnames[1 : init.__code__.co_argcount]
    defaults[names.index("max_depth") - (len(names) - len(defaults))] = depth
    init.__defaults__ = tuple(defaults)


_with_max_depth(TaskIterator.__init__, UNLIMITED_DEPTH)
_with_max_depth(BpmnTaskIterator.__init__, UNLIMITED_DEPTH)
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


class _ApplicationClock(datetime):
    """`datetime` whose now() is the application's clock."""

    @classmethod
    def now(cls, tz=None):
        now = utcnow()
        return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)


spiff_timer.datetime = _ApplicationClock
