"""Each request's id (X-Request-ID, in every log record and on error pages), its log line and its timing."""
import logging
import re
import time
import uuid

from flask import current_app, g, request

from workflow_app.monitoring.metrics import observe_request

log = logging.getLogger("workflow_app.request")
# an id a proxy gave the request (nginx's $request_id): kept when it is this plain, so one id runs through both logs
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def start_request():
    """Give the request its id and note when it started."""
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _PLAIN_ID.fullmatch(given) else uuid.uuid4().hex


def finish_request(response):
    """Return the id in X-Request-ID, count the request and log its line (as the settings say)."""
    request_id = g.get("request_id")
    if request_id is None:  # a request that did not pass start_request (none should)
        return response
    response.headers["X-Request-ID"] = request_id
    seconds = time.perf_counter() - g.request_started
    endpoint = request.endpoint or "none"  # no route matched
    config = current_app.config
    if config["METRICS_ENABLED"]:
        observe_request(endpoint, request.method, response.status_code, seconds)
    if config["REQUEST_LOG"]:
        user = g.get("_login_user") or g.get("api_user")  # as the request loaded it: logging loads nobody
        user_id = getattr(user, "id", None)
        log.info("%s %s %s %.1f ms user=%s", request.method, request.path, response.status_code, seconds * 1000,
                 user_id if user_id is not None else "-",
                 extra={"method": request.method, "path": request.path, "endpoint": endpoint,
                        "status": response.status_code, "duration_ms": round(seconds * 1000, 2), "user_id": user_id,
                        "client": request.remote_addr})
    return response
