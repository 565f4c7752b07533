"""The API's own record: the responses kept for Idempotency-Key retries."""

import sqlalchemy as sa

from workflow_app.core.models import CreatedAtMixin
from workflow_app.extensions import db


class IdempotencyKey(db.Model, CreatedAtMixin):
    """One key of one user: the request it came with and the response it got (replayed on a retry)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_id_key"),)
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    key = sa.Column(sa.String(200), nullable=False)
    request_hash = sa.Column(sa.String(64), nullable=False)  # SHA-256 of method, path and body
    status_code = sa.Column(sa.Integer, nullable=True)
    response_body = sa.Column(sa.Text, nullable=True)
