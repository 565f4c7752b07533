"""In-app notifications: what the system tells a user (a task at risk, a supervision notice), read or unread."""

from workflow_app.notifications import routes


def init_app(app) -> None:
    """Add the notifications page."""
    app.register_blueprint(routes.bp)
