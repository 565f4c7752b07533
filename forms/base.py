"""The base of task forms: knows the case's data (for rules that depend on it) and yields task data."""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from workflow_app.core.dates import typed_day_range
from workflow_app.core.money import AmountError, parse_yuan

__all__ = ["DayField", "TaskForm", "ValidationError", "YuanField", "decision_with_reason", "not_in_future",
           "required_when"]


class YuanField(DecimalField):
    """An amount of yuan, read by core.money.parse_yuan (finite, at most MAX_YUAN, whole fen) into a Decimal."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_yuan(valuelist[0])
        except AmountError as exc:
            self.data = None
            raise ValueError(exc.message) from None

    def pre_validate(self, form):
        if self.process_errors:  # what was typed is no amount: say only that, not also "at least 0.01"
            raise StopValidation()


class DayField(DateField):
    """A date a person types, refused outside the years config.py allows (a year 1 or 9999 is a typing mistake)."""

    def pre_validate(self, form):
        earliest, latest = typed_day_range()
        if self.data is not None and not earliest <= self.data <= latest:
            # stop: the form's own rules (months added, deadlines compared) need a plausible date
            raise StopValidation(_l("Give a date from %(earliest)s to %(latest)s", earliest=earliest.isoformat(),
                                    latest=latest.isoformat()))


class TaskForm(FlaskForm):
    """A form whose rules may look at the case (`case_data`); `task_data()` is what the engine receives."""

    # What the step records besides the form's fields (forms.describe_data labels the case history with it):
    # key -> (label, how to show the value, or None for as it is); None leaves the key out of the history.
    recorded: dict = {}

    def __init__(self, *args, case_data=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_data = case_data if case_data is not None else {}  # may load on first read

    def task_data(self) -> dict:
        """Return the submitted values keyed by field name (Decimal, date and int kept, never float)."""
        data = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            value = field.data
            if isinstance(value, str):
                value = value.strip()
            if isinstance(value, float):  # pragma: no cover - no float fields are declared
                value = Decimal(str(value))
            data[name] = value
        return data


def required_when(condition, message):
    """Validator: the field must be filled when `condition(form)` holds, and is optional otherwise.

    An empty field stops the chain either way (with `message` when it was required), so put
    this first, in place of DataRequired/Optional.
    """
    def check(form, field):
        if field.raw_data is not None:  # submitted: judge what was typed (a bad number is not "empty")
            empty = not any(str(value).strip() for value in field.raw_data)
        else:
            empty = field.data is None or (isinstance(field.data, str) and not field.data.strip())
        if empty:
            field.errors[:] = []  # as Optional does: an empty number field is not "not a valid integer"
            raise StopValidation(message if condition(form) else None)
    return check


def not_in_future(message):
    def check(form, field):
        from workflow_app.core.time import local_today
        if isinstance(field.data, date) and field.data > local_today():
            raise ValidationError(message)
    return check


def decision_with_reason(decision_name, label, choices, reason_label, reason_needed_for, message):
    """A decision (radio buttons) and a reason that choosing `reason_needed_for` makes required.

    Use as `x_decision, x_reason = decision_with_reason("x_decision", ...)` in a form class.
    """
    decision = RadioField(label, choices=[SelectChoice(value, text) for value, text in choices],
                          validators=[InputRequired()])
    reason = TextAreaField(reason_label, validators=[
        required_when(lambda form: getattr(form, decision_name).data == reason_needed_for, message), Length(max=2000)])
    return decision, reason
