"""Forms of the inbox: what goes with a task's own form, and reassigning."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow_app.cases.forms import visibility_field


class TaskExtrasForm(FlaskForm):
    """A comment and files submitted with a task (CSRF is checked once, by the task's form)."""

    class Meta:
        csrf = False

    note = TextAreaField(_l("Comment on the case (optional)"), validators=[Optional(), Length(max=4000)])
    files = MultipleFileField(
        _l("Attach files (optional)"), description=_l("PDF, images, Word, Excel, OFD or text; at most 10 MB each.")
    )
    visibility = visibility_field()  # of the comment and the files


class ReassignForm(FlaskForm):
    assignee = SelectField(_l("Give the task to"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(message=_l("Give a reason for reassigning")), Length(max=1000)]
    )
