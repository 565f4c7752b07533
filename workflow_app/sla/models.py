"""The working-day calendar: which years are entered, and their exceptions to Monday-Friday.

A year's row says how far it can be trusted ("official": the State Council's notice;
"provisional": entered before the notice, e.g. a guess to plan with). Its days hold ONLY
the exceptions: holidays that fall on a weekday (kind "holiday") and weekend days that are
working days (调休, kind "adjusted_workday"). Every other Monday-Friday is a working day
and every other Saturday/Sunday is not.
"""
import sqlalchemy as sa
from sqlalchemy.orm import relationship

from workflow_app.core.models import UTCDateTime
from workflow_app.core.time import utcnow
from workflow_app.extensions import db

YEAR_STATUSES = ("official", "provisional")
DAY_KINDS = ("holiday", "adjusted_workday")


class CalendarYear(db.Model):
    """A year of the working-day calendar as entered (or loaded from the built-in data)."""

    __tablename__ = "calendar_year"
    year = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    status = sa.Column(sa.String(20), nullable=False)  # one of YEAR_STATUSES
    source = sa.Column(sa.Text, nullable=True)  # e.g. 国办发明电〔2025〕7号, or the built-in package and version
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by_id = sa.Column(sa.ForeignKey("user_account.id"), nullable=True)

    updated_by = relationship("User")


class CalendarDay(db.Model):
    """One exception to Monday-Friday: a weekday holiday or a working weekend day."""

    __tablename__ = "calendar_day"
    date = sa.Column(sa.Date, primary_key=True)
    is_workday = sa.Column(sa.Boolean, nullable=False)
    kind = sa.Column(sa.String(20), nullable=False)  # one of DAY_KINDS
    year = sa.Column(sa.ForeignKey("calendar_year.year", ondelete="CASCADE"), nullable=False, index=True)
    note = sa.Column(sa.String(100), nullable=True)  # e.g. 国庆节
