"""The top navigation: the pages this user may open, with the counts of their queues."""
from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass
class NavItem:
    key: str
    label: str
    url: str
    active: bool
    count: int | None = None


# (key, endpoint, label, who may see it: a role name or a tuple of them, "staff" (not an enterprise user),
# "enterprise" (an enterprise user) or None for all);
# an entry shows only once its blueprint is installed
NAV_ENTRIES = [
    ("portal", "portal.home", _l("My cases"), "enterprise"),
    ("inbox", "inbox.index", _l("Inbox"), "staff"),
    ("cases", "cases.list_cases_page", _l("Cases"), "staff"),
    ("supervision", "supervision.dashboard", _l("Supervision"), ("supervisor", "admin")),
    ("admin", "admin.index", _l("Administration"), "admin"),
]


def _may_see(who) -> bool:
    if who is None:
        return True
    if who == "staff":
        return current_user.enterprise_id is None
    if who == "enterprise":
        return current_user.enterprise_id is not None
    return bool(current_user.role_names & ({who} if isinstance(who, str) else set(who)))


def nav_items() -> list[NavItem]:
    """Return the navigation entries of the signed-in user (only those whose blueprint is installed)."""
    if not current_user.is_authenticated:
        return []
    from workflow_app.inbox.queries import queue_counts
    items = []
    for key, endpoint, label, who in NAV_ENTRIES:
        if endpoint not in current_app.view_functions or not _may_see(who):
            continue
        blueprint = endpoint.split(".")[0]
        count = None
        if key == "supervision":
            from workflow_app.supervision.queries import open_notice_count
            count = open_notice_count(current_user)
        if key == "inbox":
            # the inbox page has them already; elsewhere only the two the badge adds up are counted
            counts = g.get("queue_counts") or queue_counts(current_user, ("mine", "group"))
            count = counts["mine"] + counts["group"]
        items.append(NavItem(key, str(label), url_for(endpoint), request.blueprint == blueprint, count))
    return items


def unread_notifications() -> int:
    """The signed-in user's unread notifications (the bell in the top bar)."""
    if not current_user.is_authenticated:
        return 0
    from workflow_app.notifications.queries import unread_count
    return unread_count(current_user.id)
