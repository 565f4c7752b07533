"""The commands of users, org units and API tokens: `flask users|org-units|tokens ...`."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from workflow_app.auth.operations import add_org_unit, create_api_token, create_user, revoke_api_token
from workflow_app.auth.queries import find_user, get_user_token, user_tokens
from workflow_app.core.commands import command_errors, fail
from workflow_app.core.time import format_local
from workflow_app.extensions import db

users = AppGroup("users", help="Manage users.")
org_units = AppGroup("org-units", help="Manage org units (the first one, before any admin can sign in).")
tokens = AppGroup("tokens", help="Bearer tokens of the JSON API.")


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
    unit = add_org_unit(code, name, level, parent_code)
    db.session.commit()
    click.echo(_("created org unit %(code)s (%(name)s)", code=unit.code, name=unit.name))


def _find_user_orfail(username):
    user = find_user(username)
    if user is None:
        fail(_("No user '%(name)s'", name=username))
    return user


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for, e.g. the client system's name.")
@click.option("--system", is_flag=True, help="A token of a system client (the user is its service account).")
@command_errors
def tokens_create_command(username, name, system):
    """Create a token for USERNAME and print it (it is shown this once only)."""
    token, secret = create_api_token(_find_user_orfail(username), name, "system" if system else "personal")
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
    for token in user_tokens(_find_user_orfail(username).id):
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
    token = get_user_token(_find_user_orfail(username).id, token_id)
    if token is None:
        fail(_("User %(name)s has no token %(id)d", name=username, id=token_id))
    revoke_api_token(token)
    db.session.commit()
    click.echo(_("token %(id)d revoked", id=token_id))
