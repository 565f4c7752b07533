"""In-app notifications: what the system tells a user (a task at risk, a supervision notice), read or unread."""

from workflow_app.notifications import operations, routes


def init_app(app) -> None:
    """Add the notifications page, and tell people of the work the engine's steps leave them."""
    app.register_blueprint(routes.bp)
    operations.follow_the_engine()
