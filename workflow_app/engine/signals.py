"""What the engine tells the domains; receivers run in the same transaction.

Every signal's sender is the ProcessInstance and its kwargs include `step`: the engine.step.Step of the operation
sending it, which carries what the step found and made (its open task rows, the clocks a receiver read, the task
rows opened); a receiver records its case's audit events with `step.record_audit`, written with the step.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the ProcessInstance, just inserted (it has no rows of its own yet: receivers need not look for any); step
instance_started = _signals.signal("instance-started")
# sender: the ProcessInstance; kwargs: step, task (the new Task row), workflow_data (its data), properties (its
# spiffworkflow properties), now, evaluate (evaluate(expression) on its data)
task_opened = _signals.signal("task-opened")
# sender: the ProcessInstance; kwargs: step, task (the Task row, state completed or cancelled), now, actor_id,
# properties, evaluate (a completed task: evaluate(expression) on its data, raising what the expression raises;
# None for a cancelled task)
task_closed = _signals.signal("task-closed")
# sender: the ProcessInstance; kwargs: step, old, new (statuses), workflow_data (the end data on completion, else None)
instance_status_changed = _signals.signal("instance-status-changed")
# sender: the ProcessInstance; kwargs: step, now. Sent after every step's task rows and status are up to date (before
# the flush).
projections_synced = _signals.signal("projections-synced")
# sender: the ProcessInstance; kwargs: step, fired ({bpmn id of each timer that fired: the data of the task that
# waited on it, as it was before it fired; receivers must not change it}), now. Sent after the fired timers' step is
# saved.
timers_fired = _signals.signal("timers-fired")
