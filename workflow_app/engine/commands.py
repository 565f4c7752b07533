"""The commands of the engine: `flask processes deploy|list|check` and `flask worker`."""

import signal
import threading

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from workflow_app.core.commands import command_errors, fail
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.operations import deploy_sources, read_sources
from workflow_app.engine.queries import count_instances_by_version, instance_inconsistencies, list_latest_versions
from workflow_app.engine.worker import run_worker, run_worker_pass
from workflow_app.extensions import db

processes = AppGroup("processes", help="Deploy and list BPMN processes.")


def deploy_and_say(sources):
    """Deploy `sources`, commit, and say each version it created; return the deploy's result."""
    result = deploy_sources(sources)
    db.session.commit()
    for version in result.created:
        click.echo(
            _(
                "deployed %(id)s version %(v)d (%(file)s)",
                id=version.process_id,
                v=version.version,
                file=version.source_file,
            )
        )
    return result


@processes.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path())
@command_errors
def deploy_command(paths):
    """Deploy process packages (folders or .zip files) and .bpmn/.dmn/.json files (default: bpmn/)."""
    sources = read_sources(paths or [current_app.config["BPMN_DIR"]])
    if not sources and not paths:  # an empty default folder is not an error (a fresh install)
        click.echo(_("No .bpmn or .dmn files found in %(path)s", path=current_app.config["BPMN_DIR"]))
        return
    if not sources:
        fail(_("No .bpmn or .dmn files found in %(path)s", path=", ".join(paths or [current_app.config["BPMN_DIR"]])))
    result = deploy_and_say(sources)
    for process_id in result.unchanged:
        click.echo(_("unchanged %(id)s", id=process_id))
    for process_id, name, from_process, from_version in result.kept:
        click.echo(
            _(
                "%(process)s: %(file)s was not given and is taken from %(from_process)s version %(version)d",
                process=process_id,
                file=name,
                from_process=from_process,
                version=from_version,
            )
        )
    for warning in result.warnings:
        click.echo(_("warning: %(text)s", text=warning), err=True)


@processes.command("list")
@command_errors
def list_command():
    """List deployed processes (newest version of each)."""
    versions = list_latest_versions()
    counts = count_instances_by_version()
    if not versions:
        click.echo(_("No process is deployed yet."))
    for v in versions:
        click.echo(
            "\t".join(
                [
                    v.process_id,
                    _("version %(v)d", v=v.version),
                    v.name or "",
                    _("%(n)d cases", n=counts.get(v.id, 0)),
                    v.source_file,
                ]
            )
        )


@processes.command("check")
@click.option("--status", default=None, help="Only instances with this status (e.g. running).")
@command_errors
def check_command(status):
    """Check every instance: stored workflow, task and timer rows, status and audit agree (exit 1 if not)."""

    statement = (
        sa.select(ProcessInstance).options(sa.orm.undefer(ProcessInstance.state_json)).order_by(ProcessInstance.id)
    )
    if status:
        statement = statement.where(ProcessInstance.status == status)
    checked, bad = 0, 0
    for instance in db.session.scalars(statement):
        checked += 1
        for problem in instance_inconsistencies(instance):
            bad += 1
            click.echo(f"instance {instance.id}: {problem}")
    click.echo(_("%(n)d instance(s) checked, %(bad)d problem(s)", n=checked, bad=bad))
    if bad:
        raise SystemExit(1)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@command_errors
def worker_command(once):
    """Fire due timers and run sweeps, until stopped (Ctrl-C or SIGTERM)."""
    if once:
        counts = run_worker_pass()
        click.echo(
            _(
                "fired %(fired)d timer(s) in %(cases)d case(s); %(failed)d failed",
                fired=counts["fired"],
                cases=counts["instances"],
                failed=counts["failed"],
            )
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(_("worker running; Ctrl-C to stop"))
    try:
        run_worker(current_app._get_current_object(), stop)
    except KeyboardInterrupt:
        stop.set()
