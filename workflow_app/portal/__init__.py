"""The enterprise portal: apply, sign, pay, rectify."""

from workflow_app.portal import routes


def init_app(app) -> None:
    """Add the enterprise's pages."""
    app.register_blueprint(routes.bp)
