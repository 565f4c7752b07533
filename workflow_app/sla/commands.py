"""The working-day calendar's commands: `flask calendar list|import|load-builtin`."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from workflow_app.core.commands import command_errors
from workflow_app.extensions import db
from workflow_app.sla.calendar_input import read_calendar_file
from workflow_app.sla.operations import CalendarRefused, enter_calendar_year, load_builtin_calendar
from workflow_app.sla.queries import calendar_years

calendar_cli = AppGroup("calendar", help="The working-day calendar: list, import and load years.")


@calendar_cli.command("list")
@command_errors
def calendar_list_command():
    """List the known years with their status and exceptions."""
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
