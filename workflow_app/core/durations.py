"""Parse SLA durations such as `1wd`, `4wh`, `30d`, `2h`."""

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

_SLA = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|wh|d|h)\s*$")
UNITS = {"wd": "working days", "wh": "working hours", "d": "calendar days", "h": "hours"}


@dataclass(frozen=True)
class SlaDuration:
    amount: Decimal
    unit: str  # one of UNITS

    def __str__(self):
        return f"{self.amount.normalize():f}{self.unit}"


def parse_sla(text: str) -> SlaDuration:
    """Parse an SLA property value; raise ValueError naming the expected shape."""
    match = _SLA.match(text or "")
    if not match or Decimal(match.group(1)) <= 0:
        raise ValueError(
            _(
                "'%(text)s' is not an SLA duration; write a positive number followed by "
                "wd (working days), wh (working hours), d (calendar days) or h (hours), e.g. 1wd, 4wh, 30d",
                text=text,
            )
        )
    return SlaDuration(Decimal(match.group(1)), match.group(2))
