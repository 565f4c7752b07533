"""`flask seed-demo`: the demo's org units, users, enterprises, processes and cases (it reaches every domain)."""

import click
from flask import current_app
from flask_babel import gettext as _

from workflow_app.core.commands import command_errors
from workflow_app.extensions import db


@click.command("seed-demo")
@command_errors
def seed_demo_command():
    """Create the demo org units, users, enterprises, processes and cases (safe to run again)."""
    from datetime import date

    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy, seed_demo, seed_demo_cases
    from workflow_app.engine.commands import deploy_and_say
    from workflow_app.engine.operations import read_sources

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
        deploy_and_say(sources)
        until = date(local_today().year + 1, 12, 31)
        if open_installment_policy(until):  # the notice's 2023-12-31 has passed: the demo's policy runs on
            db.session.commit()
            click.echo(_("demo: the installment policy extended to %(day)s", day=until.isoformat()))
        cases = seed_demo_cases()
        db.session.commit()
        click.echo(_("demo cases: %(n)d new", n=cases))
        from workflow_app.sla.escalation import run_sla_sweep

        run_sla_sweep()  # the late demo cases get their warnings and supervision notices at once
