"""The landing page after login, and the top bar every page shows."""

from workflow_app.home import routes
from workflow_app.home.navigation import nav_items, top_bar_counts_of, unread_notifications


def init_app(app) -> None:
    """Add the landing page and the top bar's entries and counts.

    The top bar is the one read a page's template makes itself (`nav_items()`, `unread_notifications()`: the
    counts, in one statement, once per request): every page has it, so no route passes it.
    """
    app.register_blueprint(routes.bp)
    app.extensions["top_bar_counts"] = top_bar_counts_of
    app.jinja_env.globals.update(nav_items=nav_items, unread_notifications=unread_notifications)
