"""Forms of the portal that are not a process's own: proofs of payment, asking for a health check."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired


class PaymentProofForm(FlaskForm):
    proof = FileField(_l("Proof of payment"), validators=[FileRequired(_l("Choose the file of the payment proof"))],
                      description=_l("A bank receipt or payment voucher: PDF, image or OFD, at most 10 MB."))


class HealthCheckRequestForm(FlaskForm):
    """An enterprise asks its county for a labour-rules health check (no data beyond the wish)."""

    consent = BooleanField(_l("We ask the county for a free labour-rules health check and will provide our documents"),
                           validators=[DataRequired(_l("Tick the box to ask for the health check"))])
