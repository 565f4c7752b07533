"""The workflow engine: the only package that imports SpiffWorkflow."""

from workflow_app.engine import commands


def init_app(app) -> None:
    """Add the `processes` and `worker` commands."""
    app.cli.add_command(commands.processes)
    app.cli.add_command(commands.worker_command)
