"""Ids in URLs and query strings: whole numbers the database's INTEGER keys can hold, else they name nothing."""

from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, ValidationError

from workflow_app.core.errors import BadQueryArgument

# PostgreSQL's INTEGER maximum, for every database: a larger id names no row, where the databases would fail on it
# (PostgreSQL past 2^31, SQLite past 2^63) instead of finding nothing; the OpenAPI document's maximum for ids
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """The `int` URL converter, bounded to 1..ID_MAX: an id out of range is a 404, as an unknown id is."""

    def __init__(self, map, fixed_digits=0, min=1, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value):
        if len(value.lstrip("0")) > len(str(ID_MAX)):  # also spares int() thousands of digits (a ValueError, a 500)
            raise ValidationError()
        return super().to_python(value)


def parse_id(typed) -> int | None:
    """An id typed as text, or None when it is none: empty, not digits, or out of 1..ID_MAX."""
    typed = (typed or "").strip()
    if not typed.isdecimal() or len(typed) > len(str(ID_MAX)):
        return None
    number = int(typed)
    return number if 1 <= number <= ID_MAX else None


def id_arg(args, name: str) -> int | None:
    """The id in query argument `name` (None when absent or empty); 400 naming the argument when it is no id."""
    typed = args.get(name, "").strip()
    if not typed:
        return None
    number = parse_id(typed)
    if number is None:
        raise BadQueryArgument(
            name, _l("'%(name)s' must be an id, a whole number from 1 to %(max)d", name=name, max=ID_MAX)
        )
    return number
