"""The one clock of the application; stored times are UTC."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_offset = timedelta(0)  # moved only by tests and demos that need "30 days later" now


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (the engine's timers use this clock too)."""
    return datetime.now(timezone.utc) + _offset


def shift_clock(delta: timedelta) -> None:
    """Move the application's clock (tests: deadlines and timers without waiting)."""
    global _offset
    _offset += delta


def reset_clock() -> None:
    global _offset
    _offset = timedelta(0)


def local_today():
    """Today's date in Asia/Shanghai."""
    return utcnow().astimezone(SHANGHAI).date()


def to_local(value: datetime, zone=SHANGHAI) -> datetime:
    """Convert a stored UTC time to the display zone."""
    return value.astimezone(zone)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored UTC time in Asia/Shanghai for display."""
    return "" if value is None else to_local(value).strftime(fmt)
