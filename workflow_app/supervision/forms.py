"""Forms of the supervision pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class AcknowledgeForm(FlaskForm):
    response = TextAreaField(
        _l("What is being done"),
        validators=[DataRequired(_l("Say what is being done about the overdue work")), Length(max=2000)],
    )
