"""Agreements and their installments; a signed agreement never changes."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from workflow_app.core.models import CreatedAtMixin, UTCDateTime
from workflow_app.extensions import db

AGREEMENT_STATUSES = ("awaiting_signature", "declined", "signed", "active", "completed", "defaulted")
# Columns that make up what was signed; refused to change once signed_at is set.
SIGNED_TERMS = (
    "text",
    "text_sha256",
    "total_fen",
    "pension_fen",
    "unemployment_fen",
    "injury_fen",
    "policy_deadline",
    "enterprise_id",
    "case_id",
)


class Agreement(db.Model, CreatedAtMixin):
    """One drafted agreement of a case; a changed schedule means a new agreement."""

    __tablename__ = "agreement"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("case_record.id"), nullable=False, index=True)
    enterprise_id = sa.Column(sa.ForeignKey("enterprise.id"), nullable=False, index=True)
    pension_fen = sa.Column(sa.BigInteger, nullable=False)
    unemployment_fen = sa.Column(sa.BigInteger, nullable=False)
    injury_fen = sa.Column(sa.BigInteger, nullable=False)
    total_fen = sa.Column(sa.BigInteger, nullable=False)
    policy_deadline = sa.Column(sa.Date, nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    text_sha256 = sa.Column(sa.String(64), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="awaiting_signature")
    drafted_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    signer_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    signer_name = sa.Column(sa.String(60), nullable=True)  # the legal representative, as typed
    signed_at = sa.Column(UTCDateTime(), nullable=True)
    signed_ip = sa.Column(sa.String(45), nullable=True)
    countersigned_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    countersigned_at = sa.Column(UTCDateTime(), nullable=True)

    installments = relationship("Installment", order_by="Installment.seq", back_populates="agreement")
    enterprise = relationship("Enterprise")


class Installment(db.Model):
    __tablename__ = "installment"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "seq", name="uq_installment_agreement_id_seq"),)
    id = sa.Column(sa.Integer, primary_key=True)
    agreement_id = sa.Column(sa.ForeignKey("agreement.id"), nullable=False, index=True)
    seq = sa.Column(sa.Integer, nullable=False)
    due_date = sa.Column(sa.Date, nullable=False)
    amount_fen = sa.Column(sa.BigInteger, nullable=False)
    paid_fen = sa.Column(sa.BigInteger, nullable=True)
    paid_on = sa.Column(sa.Date, nullable=True)
    receipt_no = sa.Column(sa.String(60), nullable=True)
    recorded_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)
    recorded_at = sa.Column(UTCDateTime(), nullable=True)
    # the enterprise's latest proof of payment (a file on the case), for the agency to check before recording
    proof_attachment_id = sa.Column(sa.ForeignKey("attachment.id", ondelete="SET NULL"), nullable=True)
    proof_uploaded_at = sa.Column(UTCDateTime(), nullable=True)

    agreement = relationship("Agreement", back_populates="installments")
    proof = relationship("Attachment")

    def state_on(self, day) -> str:
        """paid, paid_late, overdue or due, as of `day`."""
        if self.paid_on is not None:
            return "paid_late" if self.paid_on > self.due_date else "paid"
        return "overdue" if day > self.due_date else "due"


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _keep_signed_terms(session, flush_context, instances):
    """Refuse any change to what was signed: the text, its hash, the amounts and the schedule."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Agreement):
            committed = sa.inspect(obj).attrs.signed_at.history
            was_signed = (committed.unchanged or committed.deleted or [None])[0] is not None
            if was_signed and (
                obj in session.deleted
                or any(sa.inspect(obj).attrs[name].history.has_changes() for name in SIGNED_TERMS)
            ):
                raise RuntimeError("a signed agreement cannot be changed; draft a new one")
        if isinstance(obj, Installment) and obj.agreement is not None and obj.agreement.signed_at is not None:
            state = sa.inspect(obj)
            if obj in session.deleted or any(
                state.attrs[name].history.has_changes() for name in ("due_date", "amount_fen", "seq", "agreement_id")
            ):
                raise RuntimeError("the schedule of a signed agreement cannot be changed; draft a new one")
