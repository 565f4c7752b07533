"""What operators watch: health and readiness for load balancers, Prometheus metrics, the request log."""

from workflow_app.monitoring import metrics, routes
from workflow_app.monitoring.request_log import finish_request, forget_request_id, start_request


def init_app(app) -> None:
    """Add the probes and /metrics, count the engine's signals, and log every request with its id."""
    routes.check_allowed_networks(app.config["METRICS_ALLOWED_IPS"])
    app.register_blueprint(routes.bp)
    metrics.count_engine_events()
    # first of all (before CSRF's check, which may answer 400 itself): every request has its id and its log line
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    # last of the after_request functions (Flask runs them last registered first): it logs the final status
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
    app.teardown_request(forget_request_id)
