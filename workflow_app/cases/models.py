"""The case record and its yearly number sequences."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from workflow_app.core.models import CreatedAtMixin, trigram_index
from workflow_app.core.row_writes import written_directly
from workflow_app.extensions import db

PRIORITIES = ("normal", "urgent")
# Who sees a comment or a file besides the bureau's staff: no one (internal), or the case's enterprise (shared).
# Staff choose (internal unless they say); what an enterprise's own users write is always shared.
INTERNAL, SHARED = "internal", "shared"
VISIBILITIES = (INTERNAL, SHARED)


@written_directly
class Case(db.Model, CreatedAtMixin):
    """A case, one to one with a process instance, numbered like ZB-2026-000123."""

    __tablename__ = "case_record"
    # the case list and its search (migration 0011)
    __table_args__ = (
        sa.Index("ix_case_record_created_at_id", "created_at", "id"),  # the list, newest first
        trigram_index("ix_case_record_number_trgm", "number"),
        trigram_index("ix_case_record_title_trgm", "title"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(30), nullable=False, unique=True)
    instance_id = sa.Column(sa.ForeignKey("process_instance.id"), nullable=False, unique=True)
    process_id = sa.Column(sa.String(100), nullable=False, index=True)
    enterprise_id = sa.Column(sa.ForeignKey("enterprise.id"), nullable=True, index=True)
    title = sa.Column(sa.String(300), nullable=False)
    priority = sa.Column(sa.String(10), nullable=False, default="normal")
    created_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    external_ref = sa.Column(sa.String(60), nullable=True, index=True)  # the command centre's own ticket number

    instance = relationship("ProcessInstance")
    enterprise = relationship("Enterprise")


class CaseNumberSequence(db.Model):
    """The last number given per prefix and year, on SQLite (and on PostgreSQL where the user may not create).

    PostgreSQL numbers from a sequence per prefix and year instead (`case_number_zb_2026`, owned by `last_value`),
    which starts after this row's value where a database numbered that year's cases with these rows before.
    """

    __tablename__ = "case_number_sequence"
    prefix = sa.Column(sa.String(10), primary_key=True)
    year = sa.Column(sa.Integer, primary_key=True)
    last_value = sa.Column(sa.Integer, nullable=False, default=0)


class Comment(db.Model, CreatedAtMixin):
    """A note on a case, optionally written on one of its tasks; internal to the staff or shared with the enterprise."""

    __tablename__ = "case_comment"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("case_record.id", ondelete="CASCADE"), nullable=False, index=True)
    task_id = sa.Column(sa.ForeignKey("task.id", ondelete="SET NULL"), nullable=True)
    author_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    visibility = sa.Column(sa.String(10), nullable=False, default=INTERNAL, server_default=INTERNAL)

    author = relationship("User")


class StoredFile(db.Model):
    """File content, stored once per SHA-256 (in the database, so app hosts stay stateless)."""

    __tablename__ = "stored_file"
    sha256 = sa.Column(sa.String(64), primary_key=True)
    size = sa.Column(sa.Integer, nullable=False)
    content = sa.orm.deferred(sa.Column(sa.LargeBinary, nullable=False))


class Attachment(db.Model, CreatedAtMixin):
    """A file attached to a case (by a handler, or by the enterprise in the portal); internal or shared, as comments."""

    __tablename__ = "attachment"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("case_record.id", ondelete="CASCADE"), nullable=False, index=True)
    task_id = sa.Column(sa.ForeignKey("task.id", ondelete="SET NULL"), nullable=True)
    uploaded_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=False)
    file_name = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.ForeignKey("stored_file.sha256"), nullable=False, index=True)
    visibility = sa.Column(sa.String(10), nullable=False, default=INTERNAL, server_default=INTERNAL)

    uploaded_by = relationship("User")
