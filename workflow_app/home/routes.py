"""The landing page: who I am and what waits for me."""

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user, login_required

from workflow_app.engine.queries import list_latest_versions
from workflow_app.inbox.queries import queue_counts

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.enterprise_id is not None:
        return redirect(url_for("portal.home"))  # an enterprise's home is its portal
    counts = queue_counts(current_user, ("mine", "group"))
    return render_template(
        "home/index.html", waiting=counts["mine"] + counts["group"], processes=list_latest_versions()
    )


@bp.route("/favicon.ico")
def favicon():
    """The icon browsers and feed readers ask for at the site's root, whatever the page links."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )
