"""Lift SpiffWorkflow 3.2's traversal limits (SPIFFWORKFLOW_NOTES P1, P2).

Task iterators stop at depth 1000 by default; every loop iteration deepens the task
tree, so after ~250 iterations of a small loop the engine would no longer see the READY
task and would report the workflow as completed. The parser recurses once per node of
a sequential chain.
"""
import sys

from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

UNLIMITED_DEPTH = 10**9


def _with_max_depth(init, depth):
    defaults = list(init.__defaults__)
    names = init.__code__.co_varnames[1:init.__code__.co_argcount]
    defaults[names.index("max_depth") - (len(names) - len(defaults))] = depth
    init.__defaults__ = tuple(defaults)


_with_max_depth(TaskIterator.__init__, UNLIMITED_DEPTH)
_with_max_depth(BpmnTaskIterator.__init__, UNLIMITED_DEPTH)
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
