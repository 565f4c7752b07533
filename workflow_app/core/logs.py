"""The application's log: one handler on the root logger, text or JSON lines, each record with its request's id."""

import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# the attributes every LogRecord has; any other was passed in `extra` and goes into the JSON line as it is
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


# the id of the request being served in this thread (set and reset by monitoring.request_log; "-" outside one)
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
_plain_record_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs):
    """Make a log record carrying the id of the request it was logged in: one id finds all of a request's records,
    whichever handler writes them."""
    record = _plain_record_factory(*args, **kwargs)
    record.request_id = REQUEST_ID.get()
    return record


class JsonLineFormatter(logging.Formatter):
    """Format a record as one JSON object: time (UTC), level, logger, message, request id, its extras, traceback."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(config) -> None:
    """Send the log to standard error in LOG_FORMAT at LOG_LEVEL (once per process: a second app replaces it)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("workflow_app")
    logging.setLogRecordFactory(_record_with_request_id)
    if config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonLineFormatter())
    elif config["LOG_FORMAT"] == "text":
        text = logging.Formatter(TEXT_FORMAT)
        text.converter = time.gmtime  # UTC, as the JSON lines and everything stored (the machine's zone may differ)
        handler.setFormatter(text)
    else:
        raise ValueError(f"LOG_FORMAT '{config['LOG_FORMAT']}' is neither text nor json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "workflow_app"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config["LOG_LEVEL"])
    logging.getLogger("spiff").setLevel(logging.WARNING)  # it logs every task state change at INFO
