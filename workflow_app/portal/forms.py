"""Forms of the portal that are not a process's own: proofs of payment, asking for a health check, a step's notes."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow_app.inbox.forms import TaskExtrasForm


class PaymentProofForm(FlaskForm):
    proof = FileField(_l("Proof of payment"), validators=[FileRequired(_l("Choose the file of the payment proof"))],
                      description=_l("A bank receipt or payment voucher: PDF, image or OFD, at most 10 MB."))


class HealthCheckRequestForm(FlaskForm):
    """An enterprise asks its county for a labour-rules health check (no data beyond the wish)."""

    consent = BooleanField(_l("We ask the county for a free labour-rules health check and will provide our documents"),
                           validators=[DataRequired(_l("Tick the box to ask for the health check"))])


class EnterpriseTaskExtrasForm(TaskExtrasForm):
    """The comment and files an enterprise sends with its step: always shared, so it has no choice to make."""

    note = TextAreaField(_l("Comment on the case (optional)"), validators=[Optional(), Length(max=4000)],
                         description=_l("The agency handling your case will read it."))
    visibility = None
