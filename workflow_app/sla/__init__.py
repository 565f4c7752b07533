"""Working-day calendar, SLA clocks, escalation."""

from flask_babel import lazy_gettext as _l

from workflow_app.engine.scripting import register_script_helper
from workflow_app.engine.worker import register_sweep
from workflow_app.sla import clocks, commands, routes
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.operations import working_days_after
from workflow_app.sla.queries import PAUSE_REASON_LABELS, SLA_STATE_LABELS, case_clocks, task_clock


def init_app(app) -> None:
    """Keep the clocks with the engine's steps, sweep for warnings and escalations, add the calendar's pages,
    helper and commands, and the SLA labels."""
    app.register_blueprint(routes.bp)
    clocks.follow_the_engine()
    register_sweep(run_sla_sweep, _l("SLA warnings and escalations"))
    register_script_helper("working_days_after", working_days_after)
    app.jinja_env.globals.update(
        task_clock=task_clock,
        case_clocks=case_clocks,
        sla_state_labels=SLA_STATE_LABELS,
        pause_reason_labels=PAUSE_REASON_LABELS,
    )
    app.cli.add_command(commands.calendar_cli)
