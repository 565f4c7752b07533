"""The top navigation: the pages this user may open, with the counts of their queues."""

from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow_app.core.counts import read_counts


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


def _shown_entries():
    return [entry for entry in NAV_ENTRIES if entry[1] in current_app.view_functions and _may_see(entry[3])]


def top_bar_counts_of() -> dict:
    """The counts the top bar shows (unread notifications; the inbox's and supervision's badges) for the
    signed-in user, for core.counts.read_counts."""
    from workflow_app.inbox.queries import queue_counts_of
    from workflow_app.notifications.queries import unread_count
    from workflow_app.supervision.queries import open_notice_count_of

    shown = {key for key, *_rest in _shown_entries()}
    counts = {"unread": unread_count(current_user.id)}
    if "inbox" in shown:
        counts.update(queue_counts_of(current_user, ("mine", "group")))
    if "supervision" in shown:
        counts["notices"] = open_notice_count_of(current_user)
    return counts


def _top_bar_counts() -> dict[str, int]:
    """The top bar's counts, read in one statement once per request (or with a page's own counts already)."""
    if "top_bar_counts" not in g:
        g.top_bar_counts = read_counts(top_bar_counts_of())
    return g.top_bar_counts


def nav_items() -> list[NavItem]:
    """Return the navigation entries of the signed-in user (only those whose blueprint is installed)."""
    if not current_user.is_authenticated:
        return []
    counts = _top_bar_counts()
    items = []
    for key, endpoint, label, _who in _shown_entries():
        count = None
        if key == "supervision":
            count = counts["notices"]
        if key == "inbox":  # the badge adds up my tasks and my group's queue
            count = counts["mine"] + counts["group"]
        items.append(NavItem(key, str(label), url_for(endpoint), request.blueprint == endpoint.split(".")[0], count))
    return items


def unread_notifications() -> int:
    """The signed-in user's unread notifications (the bell in the top bar)."""
    if not current_user.is_authenticated:
        return 0
    return _top_bar_counts()["unread"]
