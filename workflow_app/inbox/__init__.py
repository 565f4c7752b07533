"""Who sees and acts on which task: queues, claim, release, reassign."""

from workflow_app.inbox import routes


def init_app(app) -> None:
    """Add the inbox and the task page."""
    app.register_blueprint(routes.bp)
