"""The `flask --app wsgi ...` commands; each is one transaction and fails with one clear line."""

import functools
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, ProgrammingError

from workflow_app.core.errors import DomainError
from workflow_app.extensions import db


def _fail(message: str):
    raise click.ClickException(message)


def command_errors(function):
    """Turn domain and database errors into one-line messages and a non-zero exit."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            lines = [str(exc)] + [str(d) for d in exc.details]
            _fail("\n".join([lines[0]] + [f"  {line}" for line in lines[1:]]))
        except (OperationalError, ProgrammingError) as exc:
            db.session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
            _fail(
                _(
                    "database error: %(reason)s (is the database reachable and migrated? run `flask --app wsgi db upgrade`)",
                    reason=reason,
                )
            )

    return wrapper


processes = AppGroup("processes", help="Deploy and list BPMN processes.")
users = AppGroup("users", help="Manage users.")
org_units = AppGroup("org-units", help="Manage org units (the first one, before any admin can sign in).")


@processes.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path())
@command_errors
def deploy_command(paths):
    """Deploy process packages (folders or .zip files) and .bpmn/.dmn/.json files (default: bpmn/)."""
    from workflow_app.engine.operations import deploy_sources, read_sources

    sources = read_sources(paths or [current_app.config["BPMN_DIR"]])
    if not sources and not paths:  # an empty default folder is not an error (a fresh install)
        click.echo(_("No .bpmn or .dmn files found in %(path)s", path=current_app.config["BPMN_DIR"]))
        return
    if not sources:
        _fail(_("No .bpmn or .dmn files found in %(path)s", path=", ".join(paths or [current_app.config["BPMN_DIR"]])))
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
    from workflow_app.engine.queries import count_instances_by_version, list_latest_versions

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
    import sqlalchemy as sa

    from workflow_app.engine.models import ProcessInstance
    from workflow_app.engine.queries import instance_inconsistencies

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


@users.command("create")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, help="Role name; repeat for several; new roles are created."
)
@click.option("--org", "org_code", required=True, help="Org unit code, e.g. weifang or kuiwen.")
@click.option("--password", default=None, help="Password (asked for when omitted).")
@click.option("--name", "display_name", default=None, help="Display name.")
@command_errors
def create_user_command(username, roles, org_code, password, display_name):
    """Create a user with roles in an org unit."""
    from workflow_app.auth.operations import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = create_user(username, list(roles), org_code, password, display_name)
    db.session.commit()
    click.echo(
        _(
            "created user %(name)s in %(org)s with roles %(roles)s",
            name=user.username,
            org=user.org_unit.code,
            roles=", ".join(sorted(user.role_names)),
        )
    )


@org_units.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--level", required=True, help="city, county, street, community or bank.")
@click.option("--parent", "parent_code", default=None, help="The parent unit's code (none for the city).")
@command_errors
def create_org_unit_command(code, name, level, parent_code):
    """Create an org unit, e.g. the city bureau before its first admin user."""
    from workflow_app.auth.operations import add_org_unit

    unit = add_org_unit(code, name, level, parent_code)
    db.session.commit()
    click.echo(_("created org unit %(code)s (%(name)s)", code=unit.code, name=unit.name))


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@command_errors
def worker_command(once):
    """Fire due timers and run sweeps, until stopped (Ctrl-C or SIGTERM)."""
    from workflow_app.engine.worker import run_worker, run_worker_pass

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


@click.command("seed-demo")
@command_errors
def seed_demo_command():
    """Create the demo org units, users, enterprises, processes and cases (safe to run again)."""
    from datetime import date

    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy, seed_demo, seed_demo_cases
    from workflow_app.engine.operations import deploy_sources, read_sources

    counts = seed_demo(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo(
        _(
            "demo data: %(users)d new users, %(units)d new org units, %(roles)d new roles, %(ents)d new enterprises",
            users=counts["users"],
            units=counts["org units"],
            roles=counts["roles"],
            ents=counts["enterprises"],
        )
    )
    sources = read_sources([current_app.config["BPMN_DIR"]])
    if sources:
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
        until = date(local_today().year + 1, 12, 31)
        if open_installment_policy(until):  # the notice's 2023-12-31 has passed: the demo's policy runs on
            db.session.commit()
            click.echo(_("demo: the installment policy extended to %(day)s", day=until.isoformat()))
        cases = seed_demo_cases()
        db.session.commit()
        click.echo(_("demo cases: %(n)d new", n=cases))
        from workflow_app.sla.escalation import run_sla_sweep

        run_sla_sweep()  # the late demo cases get their warnings and supervision notices at once


def register_cli(app):
    app.cli.add_command(processes)
    app.cli.add_command(users)
    app.cli.add_command(org_units)
    app.cli.add_command(worker_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(tokens)


calendar_cli = AppGroup("calendar", help="The working-day calendar: list, import and load years.")


@calendar_cli.command("list")
@command_errors
def calendar_list_command():
    """List the known years with their status and exceptions."""
    from workflow_app.sla.queries import calendar_years

    for y in calendar_years():
        click.echo(
            "\t".join(
                [
                    str(y.year),
                    _("official") if y.status == "official" else _("provisional"),
                    _("%(n)d weekday holidays", n=y.holidays),
                    _("%(n)d adjusted working days", n=y.workdays),
                    (y.source or "") if y.stored else _("built in (%(source)s)", source=y.source),
                ]
            )
        )


@calendar_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--status", default=None, help="official or provisional (default: the file's, else official).")
@click.option("--source", default=None, help="Where the dates come from, e.g. the notice's number.")
@command_errors
def calendar_import_command(file, status, source):
    """Enter a year from a JSON or CSV file (replaces that year; see docs/install.md)."""
    from pathlib import Path

    from workflow_app.sla.calendar_input import read_calendar_file
    from workflow_app.sla.operations import CalendarRefused, enter_calendar_year

    entry = read_calendar_file(file, status=status, source=source)
    try:
        result = enter_calendar_year(
            entry.year, entry.holidays, entry.workdays, entry.status, None, entry.source, notes=entry.notes
        )
    except CalendarRefused as exc:  # name the file in the one line
        raise CalendarRefused([f"{Path(file).name}: {problem}" for problem in exc.problems]) from None
    db.session.commit()
    click.echo(
        _(
            "calendar %(year)d saved (%(status)s, %(days)d exceptions); %(n)d open task(s) recomputed, "
            "%(changed)d changed",
            year=result["year"],
            status=_("official") if entry.status == "official" else _("provisional"),
            days=result["stored_days"],
            n=result["tasks_recomputed"],
            changed=result["tasks_changed"],
        )
    )


@calendar_cli.command("load-builtin")
@command_errors
def calendar_load_builtin_command():
    """Store the years the installed chinese-calendar package knows and the database does not hold yet."""
    from workflow_app.sla.operations import load_builtin_calendar

    result = load_builtin_calendar()
    db.session.commit()
    years = result["years"]
    if not years:
        click.echo(_("every built-in year is already stored"))
        return
    click.echo(
        _(
            "stored the built-in years %(first)d-%(last)d; %(n)d open task(s) recomputed, %(changed)d changed",
            first=years[0],
            last=years[-1],
            n=result["tasks_recomputed"],
            changed=result["tasks_changed"],
        )
    )


tokens = AppGroup("tokens", help="Bearer tokens of the JSON API.")


def _find_user_or_fail(username):
    from workflow_app.auth.queries import find_user

    user = find_user(username)
    if user is None:
        _fail(_("No user '%(name)s'", name=username))
    return user


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for, e.g. the client system's name.")
@click.option("--system", is_flag=True, help="A token of a system client (the user is its service account).")
@command_errors
def tokens_create_command(username, name, system):
    """Create a token for USERNAME and print it (it is shown this once only)."""
    from workflow_app.auth.operations import create_api_token

    token, secret = create_api_token(_find_user_or_fail(username), name, "system" if system else "personal")
    db.session.commit()
    click.echo(secret)
    click.echo(
        _(
            "token %(id)d (%(name)s) of %(user)s; store it now, it cannot be shown again",
            id=token.id,
            name=token.name,
            user=username,
        ),
        err=True,
    )


@tokens.command("list")
@click.argument("username")
@command_errors
def tokens_list_command(username):
    """List the tokens of USERNAME."""
    from workflow_app.auth.queries import user_tokens
    from workflow_app.core.time import format_local

    for token in user_tokens(_find_user_or_fail(username).id):
        state = _("revoked %(at)s", at=format_local(token.revoked_at)) if token.revoked_at else _("active")
        click.echo(
            "\t".join(
                [
                    str(token.id),
                    token.prefix + "…",
                    token.kind,
                    token.name,
                    state,
                    _("last used %(at)s", at=format_local(token.last_used_at))
                    if token.last_used_at
                    else _("never used"),
                ]
            )
        )


@tokens.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@command_errors
def tokens_revoke_command(username, token_id):
    """Revoke token TOKEN_ID of USERNAME."""
    from workflow_app.auth.operations import revoke_api_token
    from workflow_app.auth.queries import get_user_token

    token = get_user_token(_find_user_or_fail(username).id, token_id)
    if token is None:
        _fail(_("User %(name)s has no token %(id)d", name=username, id=token_id))
    revoke_api_token(token)
    db.session.commit()
    click.echo(_("token %(id)d revoked", id=token_id))
