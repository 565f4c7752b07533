"""The base of task forms: knows the case's data (for rules that depend on it) and yields task data."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import StopValidation, ValidationError

from workflow_app.core.money import AmountError, parse_yuan

__all__ = ["TaskForm", "ValidationError", "YuanField"]


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
