"""Fixtures for the working-day calendar: Shanghai times, a clock set to one, and 2027 kept unknown."""

from datetime import datetime

import pytest

from workflow_app.core.time import SHANGHAI
from workflow_app.sla import calendar as sla_calendar


def sh(text: str) -> datetime:
    """An aware Asia/Shanghai datetime from "YYYY-MM-DD HH:MM"."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


@pytest.fixture
def set_clock(clock):
    """Stop the application's clock at a Shanghai wall-clock time."""

    def move(text):
        clock.freeze_clock(sh(text))

    return move


@pytest.fixture
def builtin_until_2026(monkeypatch):
    """Only the built-in years up to 2026, so 2027 stays unknown even after a chinese-calendar upgrade."""
    years = {y: data for y, data in sla_calendar.builtin_years().items() if y <= 2026}
    monkeypatch.setattr(sla_calendar, "builtin_years", lambda: years)
    return years
