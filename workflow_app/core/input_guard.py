"""Refuse input no user sends: NUL characters (PostgreSQL cannot store them, and no form needs them), text that is
no Unicode, JSON nested deeper than any request needs, and streamed bodies over the size limit."""

import re

from flask import Request, abort, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

# Half of a UTF-16 surrogate pair: JSON may escape one alone ("\ud800"), but no UTF-8 text (nor database) holds it
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _strings(value):
    """Every string in a JSON value, its objects' keys included."""
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            waiting.extend(item.keys())
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)


def contains_nul(value) -> bool:
    """Whether a string, or any string inside lists and dicts (JSON), holds a NUL character."""
    return any("\x00" in text for text in _strings(value))


def contains_lone_surrogate(value) -> bool:
    """Whether a string, or any string inside lists and dicts (JSON), holds half of a surrogate pair."""
    return any(LONE_SURROGATE.search(text) for text in _strings(value))


def nested_deeper_than(value, depth: int) -> bool:
    """Whether lists and dicts (JSON) nest more than `depth` levels (counted without recursion)."""
    level = [value]
    for _ in range(depth + 1):
        containers = [item for item in level if isinstance(item, (dict, list))]
        if not containers:
            return False
        level = [
            item
            for container in containers
            for item in (container.values() if isinstance(container, dict) else container)
        ]
    return True


def refuse_nul_characters():
    """Before each request: a NUL in the query string or a posted form is a 400, not a database error."""
    if "\x00" in request.path:
        abort(400)
    for _name, values in request.args.lists():
        if any("\x00" in value for value in values):
            abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        for name, values in request.form.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                abort(400)


class StreamedBodyWithinLimit(LimitedStream):
    """A body of unknown length (chunked) read up to MAX_CONTENT_LENGTH: 413 if it goes on past it.

    Werkzeug's stream raises only when read again after the limit; read whole, it returns the body cut at the
    limit, which then fails as broken JSON or a broken form (400) instead of being too large.
    """

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class RequestWithBodyLimit(Request):
    """Flask's request, whose streamed body over MAX_CONTENT_LENGTH is a 413 however it is read."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is not None and self.content_length is None and self.environ.get("wsgi.input_terminated"):
            return StreamedBodyWithinLimit(self.environ["wsgi.input"], limit, is_max=True)
        return super().stream
