"""Working-day calendar, SLA clocks, escalation."""

from flask_babel import lazy_gettext as _l

from workflow_app.cases.case_page import register_case_page_values
from workflow_app.engine.scripting import register_script_helper
from workflow_app.engine.worker import register_sweep
from workflow_app.sla import clocks, commands, routes
from workflow_app.sla.escalation import run_sla_sweep
from workflow_app.sla.operations import working_days_after
from workflow_app.sla.queries import PAUSE_REASON_LABELS, SLA_STATE_LABELS, case_page_clocks


def init_app(app) -> None:
    """Keep the clocks with the engine's steps, sweep for warnings and escalations, add the calendar's pages,
    helper and commands, the clocks on the case page and the SLA labels."""
    app.register_blueprint(routes.bp)
    clocks.follow_the_engine()
    register_sweep(run_sla_sweep, _l("SLA warnings and escalations"))
    register_script_helper("working_days_after", working_days_after)
    register_case_page_values(case_page_clocks)
    app.jinja_env.globals.update(sla_state_labels=SLA_STATE_LABELS, pause_reason_labels=PAUSE_REASON_LABELS)
    app.cli.add_command(commands.calendar_cli)
