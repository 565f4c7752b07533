"""Calendar arithmetic shared by scripts and domains, and the days a person may type."""

import calendar
from datetime import date

from flask import current_app


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, clamped to the month's last day (1-31 → 2-28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def typed_day_range() -> tuple[date, date]:
    """The first and last day a person may type (config TYPED_DATE_EARLIEST_YEAR and TYPED_DATE_LATEST_YEAR)."""
    return (
        date(current_app.config["TYPED_DATE_EARLIEST_YEAR"], 1, 1),
        date(current_app.config["TYPED_DATE_LATEST_YEAR"], 12, 31),
    )
