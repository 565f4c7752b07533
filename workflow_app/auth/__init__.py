"""Users, roles, org units and enterprises; login and permission checks."""

from flask_babel import lazy_gettext as _l

from workflow_app.auth import commands, routes
from workflow_app.auth.queries import role_label
from workflow_app.auth.scopes import unit_name
from workflow_app.extensions import login_manager


def init_app(app) -> None:
    """Add sign-in and the account pages, the user loader, the unit and role labels, and the user/token commands."""
    app.register_blueprint(routes.bp)
    login_manager.login_view = "auth.login"
    # said in the reader's language when the page they asked for sends them to sign in first; str() translates the
    # message at the request (Flask-Login flashes it into the session, which keeps plain strings only)
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.localize_callback = str
    login_manager.user_loader(routes.load_user)
    app.jinja_env.globals.update(role_label=role_label, unit_name=unit_name)
    app.jinja_env.filters["role_label"] = role_label
    for group in (commands.users, commands.org_units, commands.tokens):
        app.cli.add_command(group)
