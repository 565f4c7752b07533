"""Forms of the portal that are not a process's own: proofs of payment, a plain application, a step's notes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from workflow_app.inbox.forms import TaskExtrasForm


class PaymentProofForm(FlaskForm):
    proof = FileField(
        _l("Proof of payment"),
        validators=[FileRequired(_l("Choose the file of the payment proof"))],
        description=_l("A bank receipt or payment voucher: PDF, image or OFD, at most 10 MB."),
    )


class ApplicationForm(FlaskForm):
    """The application of a process that names no start form of its own: the enterprise applies, with no data."""

    def task_data(self) -> dict:
        return {}


class EnterpriseTaskExtrasForm(TaskExtrasForm):
    """The comment and files an enterprise sends with its step: always shared, so it has no choice to make."""

    note = TextAreaField(
        _l("Comment on the case (optional)"),
        validators=[Optional(), Length(max=4000)],
        description=_l("The agency handling your case will read it."),
    )
    visibility = None


class WithdrawForm(FlaskForm):
    """The enterprise withdraws (撤回) its application before the agency takes it up, saying why if it likes."""

    reason = TextAreaField(
        _l("Why do you withdraw it? (optional)"),
        validators=[Optional(), Length(max=500)],
        description=_l("The agency reads it in the case's history."),
    )
