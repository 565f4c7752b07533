"""The admin form for entering or correcting a year of the working-day calendar."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from workflow_app.sla.operations import MAX_YEAR, MIN_YEAR


class CalendarYearForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=MIN_YEAR, max=MAX_YEAR)])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("official", _l("Official (the State Council's notice)")),
            SelectChoice("provisional", _l("Provisional (not yet published)")),
        ],
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=300)],
        description=_l("e.g. the notice's number, 国办发明电〔2025〕7号"),
    )
    holidays = TextAreaField(
        _l("Holidays"),
        description=_l(
            "One date per line (YYYY-MM-DD) or a period (YYYY-MM-DD..YYYY-MM-DD), optionally followed by a note. "
            "Weekend days may be listed; only weekday holidays change the calendar."
        ),
    )
    workdays = TextAreaField(
        _l("Adjusted working days (调休)"),
        description=_l("The Saturdays and Sundays that are working days, one per line."),
    )
