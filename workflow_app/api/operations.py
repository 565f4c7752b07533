"""Writes of the API: reserving an idempotency key, and keeping the response it got."""

from workflow_app.api.models import IdempotencyKey
from workflow_app.extensions import db


def reserve_idempotency_key(user_id: int, key: str, request_hash: str) -> IdempotencyKey:
    """Insert the key before the work: a second request with it waits on (and then fails) the unique index."""
    row = IdempotencyKey(user_id=user_id, key=key, request_hash=request_hash)
    db.session.add(row)
    db.session.flush()
    return row


def keep_response(row: IdempotencyKey, status_code: int, body: str) -> None:
    """Store the response, in the same transaction as the work it answers."""
    row.status_code = status_code
    row.response_body = body
    db.session.flush()
