"""Cases: the business face of a process instance (number, enterprise, title, priority)."""

from workflow_app.cases import routes
from workflow_app.cases.queries import INSTANCE_STATUS_LABELS, earlier_cases, enterprise_has_account, process_label
from workflow_app.engine.scripting import register_script_helper


def init_app(app) -> None:
    """Add the case pages, the case scripts' helpers and the status and process labels."""
    app.register_blueprint(routes.bp)
    register_script_helper("earlier_cases", earlier_cases)
    register_script_helper("enterprise_has_account", enterprise_has_account)
    app.jinja_env.globals.update(instance_status_labels=INSTANCE_STATUS_LABELS, process_label=process_label)
