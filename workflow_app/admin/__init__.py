"""Administration of users, org units, roles, enterprises, processes and failed cases."""

from workflow_app.admin import routes


def init_app(app) -> None:
    """Add the administration pages."""
    app.register_blueprint(routes.bp)
