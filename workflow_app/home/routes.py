"""The landing page: the day's overview of what waits for me, and the timers coming up."""

from flask import Blueprint, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from workflow_app.auth.access import staff_required
from workflow_app.cases.queries import may_oversee
from workflow_app.cases.starting import startable_by
from workflow_app.core.errors import BadQueryArgument
from workflow_app.core.time import utcnow
from workflow_app.home.queries import (
    UPCOMING_DAYS,
    UPCOMING_DAYS_MAX,
    UPCOMING_LISTED,
    day_counts,
    latest_unread_notifications,
    upcoming_timers,
)
from workflow_app.notifications.queries import notification_text

bp = Blueprint("home", __name__)
UPCOMING_ON_HOME = 5  # the first timers due, on the home page; the rest on the upcoming page


@bp.route("/")
@login_required
def index():
    if current_user.enterprise_id is not None:
        return redirect(url_for("portal.home"))  # an enterprise's home is its portal
    now = utcnow()
    oversees = may_oversee(current_user)
    upcoming = upcoming_timers(current_user, now, UPCOMING_DAYS, limit=UPCOMING_ON_HOME + 1)
    return render_template(
        "home/index.html",
        counts=day_counts(current_user, now, oversees),
        oversees=oversees,
        notifications=latest_unread_notifications(current_user.id),
        notice_text=notification_text,
        upcoming=upcoming[:UPCOMING_ON_HOME],
        more_upcoming=len(upcoming) > UPCOMING_ON_HOME,
        upcoming_days=UPCOMING_DAYS,
        startable=startable_by(current_user),
    )


def _days(args) -> int:
    """The look ahead in days (UPCOMING_DAYS when none); 400 naming `days` when it is no whole number in range."""
    typed = args.get("days", "").strip()
    if not typed:
        return UPCOMING_DAYS
    if not typed.isdecimal() or len(typed) > 3 or not 1 <= int(typed) <= UPCOMING_DAYS_MAX:
        raise BadQueryArgument(
            "days", _l("'days' must be a whole number of days from 1 to %(max)d", max=UPCOMING_DAYS_MAX)
        )
    return int(typed)


@bp.route("/upcoming")
@staff_required
def upcoming():
    """The timers of my unit's cases due in the next days: what each case waits for and until when."""
    days = _days(request.args)
    timers = upcoming_timers(current_user, utcnow(), days)
    return render_template(
        "home/upcoming.html", timers=timers, days=days, listed=UPCOMING_LISTED, day_choices=(7, 14, 30, 60)
    )


@bp.route("/favicon.ico")
def favicon():
    """The icon browsers and feed readers ask for at the site's root, whatever the page links."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )
