"""The one clock of the application; stored times are UTC."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def to_local(value: datetime, zone=SHANGHAI) -> datetime:
    """Convert a stored UTC time to the display zone."""
    return value.astimezone(zone)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored UTC time in Asia/Shanghai for display."""
    return "" if value is None else to_local(value).strftime(fmt)
