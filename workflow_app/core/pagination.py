"""One page of a query's rows, with the total to draw the pager."""

import math
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.core.errors import BadQueryArgument
from workflow_app.extensions import db

# The highest page number a list takes (the API's maximum too): a page past the last one shows the last one, but a
# number past this is a mistake, refused before the database is asked to skip that many rows (an OFFSET beyond its
# integers fails)
PAGE_MAX = 100000


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int
    more: bool = False  # rows beyond `total` exist, not counted (see `count_up_to`)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(
    statement,
    number: int,
    per_page: int,
    scalars: bool = False,
    total: int | None = None,
    count_up_to: int | None = None,
    counted=None,
    params: dict | None = None,
) -> Page:
    """Run `statement` for page `number` (1-based; out-of-range numbers are clamped).

    `total` may pass the number of rows when the caller knows it already. Otherwise a page that is not
    full tells the total by itself (most queues fit on their first page), and only a full page, or
    a page past the end, costs a count. `count_up_to` stops that count after so many rows (or the
    rows up to the page asked for, if more): a list of a hundred thousand cases is not read whole for
    its pager, which then says "more than" (`Page.more`). `counted` may give a leaner statement of the same
    rows to count (one that leaves out the joins that only add columns); `params`, the values of the statements'
    bind parameters (for a statement built once).
    """
    number = min(max(1, number), PAGE_MAX)
    more = False
    if total is None:
        rows = _page_rows(statement, number, per_page, scalars, params)
        if rows and len(rows) < per_page:
            return Page(rows, number, per_page, (number - 1) * per_page + len(rows))
        if not rows and number == 1:
            return Page(rows, 1, per_page, 0)
        counted = statement if counted is None else counted
        if count_up_to is None:
            total = _count(counted.order_by(None), params)
        else:  # in the list's order, so that the database reads the first rows the way it reads a page
            limit = max(count_up_to, number * per_page)
            total = _count(counted.limit(limit + 1), params)
            total, more = min(total, limit), total > limit
        if rows:
            return Page(rows, number, per_page, total, more)
    pages = max(1, math.ceil(total / per_page))
    number = min(number, pages)
    return Page(_page_rows(statement, number, per_page, scalars, params), number, per_page, total, more)


def page_number(args) -> int:
    """The page number a list's query string asks for (`page`, 1 when absent); 400 naming it when out of range."""
    typed = args.get("page", "").strip()
    if not typed:
        return 1
    if not typed.isdecimal() or len(typed) > len(str(PAGE_MAX)) or not 1 <= int(typed) <= PAGE_MAX:
        raise BadQueryArgument("page", _l("The page number must be a whole number from 1 to %(max)d", max=PAGE_MAX))
    return int(typed)


def _count(statement, params) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()), params)


# The pages of each statement, kept as long as the statement lives: one built once (the inbox's unfiltered queues)
# gets its pages built and keyed once too, where a new page statement was keyed again at every request, which
# cost more than the short query. The bounds stay literals: PostgreSQL plans a page by its LIMIT.
_PAGES = weakref.WeakKeyDictionary()


def _paged(statement, limit: int, offset: int):
    pages = _PAGES.setdefault(statement, {})
    if (limit, offset) not in pages:
        pages[limit, offset] = statement.limit(limit).offset(offset)
    return pages[limit, offset]


def _page_rows(statement, number: int, per_page: int, scalars: bool, params) -> list:
    paged = _paged(statement, per_page, (number - 1) * per_page)
    return list(db.session.scalars(paged, params).all() if scalars else db.session.execute(paged, params).all())
