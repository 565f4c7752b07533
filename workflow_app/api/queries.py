"""Reads of the API: the kept responses of idempotency keys."""

import sqlalchemy as sa

from workflow_app.api.models import IdempotencyKey
from workflow_app.extensions import db


def find_idempotency_key(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        sa.select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
