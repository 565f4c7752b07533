"""Chinese telephone numbers as a register keeps them: a mobile number, a landline with its area code, or a
400/800 service number."""

import re
import unicodedata

from flask_babel import gettext as _

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
# area code (010, 02x, else four digits from 03), the number (7 or 8 digits, not starting with 0 or 1), extension
_LANDLINE = re.compile(r"\(?(0(?:10|2\d|[3-9]\d{2}))\)?-?([2-9]\d{6,7})(?:(?:-|转|ext\.?|x)(\d{1,6}))?", re.I)
_SERVICE = re.compile(r"([48]00)-?(\d{3})-?(\d{4})")


def normalise_phone(text) -> str | None:
    """A number as typed (full-width, spaces, +86, brackets around the area code), as the register keeps it:
    13812345678, 0536-8123456, 0536-8123456-801, 400-123-4567; None when it is none of these."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))
    if found := _MOBILE.fullmatch(compact):
        return found.group(1)
    if found := _LANDLINE.fullmatch(compact):
        area, number, extension = found.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    if found := _SERVICE.fullmatch(compact):
        return "-".join(found.groups())
    return None


def phone_problem(text) -> str | None:
    """Why `text` is no telephone number the bureau can call (in the user's language), or None."""
    if normalise_phone(text) is None:
        return _(
            "Give a mobile number (11 digits starting with 1) or a landline with its area code, such as 0536-8123456"
        )
    return None
