"""Calendar arithmetic shared by scripts and domains."""
import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, clamped to the month's last day (1-31 → 2-28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
