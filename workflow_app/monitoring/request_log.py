"""Each request's id (X-Request-ID, in every log record and on error pages), its log line and its timing."""

import logging
import re
import time
import uuid

import sqlalchemy as sa
from flask import current_app, g, request

from workflow_app.core.logs import REQUEST_ID
from workflow_app.monitoring.metrics import observe_request

log = logging.getLogger("workflow_app.request")
# an id a proxy gave the request (nginx's $request_id): kept when it is this plain, so one id runs through both logs
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def start_request():
    """Give the request its id (for its log records too) and note when it started."""
    given = request.headers.get("X-Request-ID", "")
    request_id = given if _PLAIN_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_id, g.request_id_token, g.request_started = request_id, REQUEST_ID.set(request_id), time.perf_counter()


def forget_request_id(_exc=None):
    """Let the records logged after the request (in this thread) carry no id of it."""
    token = g.pop("request_id_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


def finish_request(response):
    """Return the id in X-Request-ID, count the request and log its line (as the settings say)."""
    seen = g._get_current_object().__dict__  # read once, not through the proxy for each name
    request_id = seen.get("request_id")
    if request_id is None:  # a request that did not pass start_request (none should)
        return response
    response.headers["X-Request-ID"] = request_id
    seconds = time.perf_counter() - seen["request_started"]
    asked, config, status = request._get_current_object(), current_app.config, response.status_code
    endpoint = asked.endpoint or "none"  # no route matched
    if config["METRICS_ENABLED"]:
        observe_request(endpoint, asked.method, status, seconds)
    if config["REQUEST_LOG"] and log.isEnabledFor(logging.INFO):
        user_id = _user_id(seen.get("_login_user") or seen.get("api_user"))  # as the request loaded it
        # made here rather than by log.info, which would look up its caller's frame (a fifth of the line's cost)
        log.handle(
            log.makeRecord(
                log.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s %.1f ms user=%s",
                (asked.method, asked.path, status, seconds * 1000, "-" if user_id is None else user_id),
                None,
                extra={
                    "method": asked.method,
                    "path": asked.path,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user_id": user_id,
                    "client": asked.remote_addr,
                },
            )
        )
    return response


def _user_id(user) -> int | None:
    """The id of the request's user, read from the session's identity map: after the request's commit the user's
    attributes are expired, and `user.id` would read the row again (a query per request, 15% of a lifecycle)."""
    state = sa.inspect(user, raiseerr=False) if user is not None else None  # the anonymous user is no row
    return state.identity[0] if state is not None and state.identity else None
