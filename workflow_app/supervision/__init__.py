"""Supervision (督办): open work by county, section and person, the county ranking, trends, notices, exports."""

from workflow_app.supervision import routes


def init_app(app) -> None:
    """Add the supervision pages."""
    app.register_blueprint(routes.bp)
