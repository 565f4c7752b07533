"""One page of a query's rows, with the total to draw the pager."""
import math
from dataclasses import dataclass

import sqlalchemy as sa

from workflow_app.extensions import db


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(statement, number: int, per_page: int, scalars: bool = False, total: int | None = None) -> Page:
    """Run `statement` for page `number` (1-based; out-of-range numbers are clamped).

    `total` may pass the number of rows when the caller knows it already (it is counted otherwise).
    """
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, number), pages)
    paged = statement.limit(per_page).offset((number - 1) * per_page)
    rows = db.session.scalars(paged).all() if scalars else db.session.execute(paged).all()
    return Page(list(rows), number, per_page, total)
