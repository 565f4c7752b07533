"""The one clock of the application; stored times are UTC."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_offset = timedelta(0)  # moved only by tests and demos that need "30 days later" now
_frozen: datetime | None = None  # set only by tests that need the same "now" to the microsecond


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (the engine's timers use this clock too)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze_clock(moment: datetime) -> None:
    """Stop the application's clock at `moment` (tests: exact times for pauses and escalations)."""
    global _frozen
    _frozen = moment.astimezone(UTC)


def shift_clock(delta: timedelta) -> None:
    """Move the application's clock, frozen or running (tests: deadlines and timers without waiting)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def reset_clock() -> None:
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None


def local_today():
    """Today's date in Asia/Shanghai."""
    return utcnow().astimezone(SHANGHAI).date()


def to_local(value: datetime, zone=SHANGHAI) -> datetime:
    """Convert a stored UTC time to the display zone."""
    return value.astimezone(zone)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored UTC time in Asia/Shanghai for display."""
    return "" if value is None else to_local(value).strftime(fmt)
