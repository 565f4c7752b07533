"""What every API call goes through: the bearer token (no cookie session), the JSON body, the Idempotency-Key,
one transaction."""

import functools
import hashlib
import json
import re

from flask import Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from workflow_app.api.errors import domain_error
from workflow_app.api.operations import keep_response, reserve_idempotency_key
from workflow_app.api.queries import find_idempotency_key
from workflow_app.auth.operations import hash_token, note_token_use
from workflow_app.auth.queries import user_for_token
from workflow_app.core.errors import (
    BadRequest,
    ConflictError,
    DomainError,
    InvalidInput,
    Unauthorized,
    UnsupportedMediaType,
)
from workflow_app.core.input_guard import contains_lone_surrogate, contains_nul, nested_deeper_than
from workflow_app.core.time import utcnow
from workflow_app.extensions import db

# What an Idempotency-Key may be (the OpenAPI document states the same pattern)
IDEMPOTENCY_KEY_PATTERN = "^[A-Za-z0-9_.:-]{1,200}$"
# JSON nested deeper than this is refused: no request of the API needs more than a few levels, and the parser and
# every walk over a body go one call deeper per level
MAX_JSON_DEPTH = 32


class CookieSessionOutsideApi(SecureCookieSessionInterface):
    """The signed-cookie session of the pages, never opened for the API: a browser's cookie means nothing there.

    The API is exempt from CSRF checks because only a bearer token signs a call in; with no session, nothing in an
    API call (Flask-Login's current_user included) can act for whoever's cookie a cross-site request carries.
    Also 1.2% of an API lifecycle's instructions (bench/instructions.py): the cookie's serializer, read and check.
    """

    def __init__(self, api_prefix: str):
        self.api_prefix = api_prefix.rstrip("/") + "/"

    def open_session(self, app, request):
        if request.path.startswith(self.api_prefix):
            return None  # Flask gives the request a null session, which refuses to be written
        return super().open_session(app, request)


def api_user():
    """The user the request's token acts for."""
    return g.api_user


def _authenticate():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(_l("Send a valid API token as 'Authorization: Bearer <token>'"))
    found = user_for_token(hash_token(token))
    if found is None:
        raise Unauthorized(_l("The API token is unknown, revoked, or its user is disabled"))
    token_row, g.api_user = found
    note_token_use(token_row, utcnow())


def _json_document():
    """The request's body parsed as JSON, once (400 for broken or too deeply nested JSON, NUL, no Unicode)."""
    if "json_document" not in g:
        try:
            document = json.loads(request.get_data(cache=True))
        except RecursionError:  # nested deeper than the parser goes
            raise _nested_too_deeply() from None
        except ValueError:
            raise BadRequest(_l("The body is not valid JSON")) from None
        if nested_deeper_than(document, MAX_JSON_DEPTH):
            raise _nested_too_deeply()
        if contains_nul(document):
            raise BadRequest(_l("Text must not contain NUL characters"))
        if contains_lone_surrogate(document):
            raise BadRequest(
                _l("Text must be Unicode: half of a surrogate pair (U+D800 to U+DFFF) alone is no character")
            )
        g.json_document = document
    return g.json_document


def _nested_too_deeply() -> BadRequest:
    return BadRequest(_l("The JSON body is nested more than %(depth)d levels deep", depth=MAX_JSON_DEPTH))


def json_body() -> dict:
    """The request's JSON object (400 for broken JSON, 415 for another type, 422 for JSON that is no object)."""
    if not request.is_json:
        raise UnsupportedMediaType(_l("The body must be JSON (Content-Type: application/json)"))
    body = _json_document()
    if not isinstance(body, dict):
        raise InvalidInput(_l("The body must be a JSON object"))
    return body


def _request_hash() -> str:
    """What a retry under the same Idempotency-Key must repeat: the method, the path and the body's content.

    A JSON body counts as its parsed value, so a client that serialises the same body again (other spacing, other
    key order, other escapes) retries the same request.
    """
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    body = request.get_data(cache=True)
    if body and request.is_json:
        body = json.dumps(_json_document(), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def _replay(row, request_hash):
    if row.request_hash != request_hash:  # a conflict with the key's first request, which a fresh key avoids
        raise ConflictError(_l("This Idempotency-Key was used for a different request"))
    if row.status_code is None:
        raise ConflictError(_l("A request with this Idempotency-Key is still being processed; retry later"))
    response = Response(row.response_body, row.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _idempotency_key(user):
    """Return (kept response or None, reserved row or None) for the request's Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None, None
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise BadRequest(
            _l("An Idempotency-Key has 1 to 200 characters: letters A-Z and a-z, digits and _ . : -"),
            [{"field": "Idempotency-Key", "message": str(_l("Not a valid Idempotency-Key"))}],
        )
    request_hash = _request_hash()
    row = find_idempotency_key(user.id, key)
    if row is not None:
        return _replay(row, request_hash), None
    try:
        return None, reserve_idempotency_key(user.id, key, request_hash)
    except IntegrityError:  # the same key, sent again while the first was being processed
        db.session.rollback()
        return _replay(find_idempotency_key(user.id, key), request_hash), None


def _only_query_arguments(names) -> None:
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        raise InvalidInput(
            _l("Unknown query parameters: %(names)s", names=", ".join(unknown)),
            [{"field": name, "message": str(_l("Not a parameter of this request"))} for name in unknown],
        )


def endpoint(view=None, *, query=()):
    """Authenticate, refuse query parameters not in `query`, run the view ((body, status)), commit once."""
    if view is None:
        return functools.partial(endpoint, query=query)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            _authenticate()
            _only_query_arguments(query)
            kept, reserved = (None, None)
            if request.method == "POST":
                kept, reserved = _idempotency_key(g.api_user)
                if kept is not None:
                    db.session.commit()
                    return kept
            body, status = view(*args, **kwargs)
            text = json.dumps(body, ensure_ascii=False, default=str)
            if reserved is not None:
                keep_response(reserved, status, text)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return domain_error(exc)
        except Exception:
            db.session.rollback()
            raise
        return Response(text, status, mimetype="application/json")

    return wrapper
