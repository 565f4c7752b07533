"""A user's notifications: the list, opening one (marks it read), marking all read."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflow_app.cases.permissions import may_act_on
from workflow_app.core.pagination import page_number
from workflow_app.extensions import db
from workflow_app.notifications import operations
from workflow_app.notifications.queries import (
    notice_case_id,
    notification_text,
    notifications_page,
    own_notification,
)

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = notifications_page(current_user.id, page_number(request.args), current_app.config["PAGE_SIZE"], unread_only)
    waiting = {notification.id for notification in page.items if _task_waits(notification)}  # they open the task
    return render_template(
        "notifications/index.html", page=page, unread_only=unread_only, text=notification_text, waiting=waiting
    )


def _task_waits(notification) -> bool:
    """Whether the task a notification is about is still open to the signed-in user (its link opens the task)."""
    task = notification.task
    return task is not None and may_act_on(current_user, task)


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id):
    notification = own_notification(current_user.id, notification_id) or abort(404)
    operations.mark_read(notification)
    db.session.commit()
    portal = current_user.enterprise_id is not None
    if _task_waits(notification):
        return redirect(url_for("portal.task_page" if portal else "inbox.task_page", task_id=notification.task_id))
    case_id = notice_case_id(notification)
    if case_id:
        return redirect(url_for("portal.case_page" if portal else "cases.case_page", case_id=case_id))
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    count = operations.mark_all_read(current_user.id)
    db.session.commit()
    flash(ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count), "success")
    return redirect(url_for("notifications.index"))
