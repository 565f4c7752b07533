"""Several counts read in one statement: the top bar's badges, the inbox's queue tabs.

Each count is a scalar subquery built once with bind parameters, given here with its parameters' values. The
statement that selects them is built once per set of counts: building a statement and its cache key cost
more in Python than PostgreSQL takes to answer it from the indexes.
"""

import sqlalchemy as sa
from flask import current_app, g

from workflow_app.extensions import db

_STATEMENTS = {}


def read_counts(counts: dict) -> dict[str, int]:
    """{name: (scalar subquery, its parameters)} -> {name: count}, in one round trip."""
    key = tuple((name, id(column)) for name, (column, _params) in counts.items())
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = sa.select(*(column.label(name) for name, (column, _params) in counts.items()))
    params = {}
    for _column, values in counts.values():
        params.update(values)
    return dict(db.session.execute(statement, params).one()._mapping)


def read_counts_with_top_bar(counts: dict) -> dict[str, int]:
    """Read `counts` in the statement that reads the top bar's counts (kept in g for it): one round trip less
    for a page that counts something itself. The top bar's counts come from the function the app registered
    as extensions["top_bar_counts"] (the top bar is above the pages that call this)."""
    values = read_counts({**current_app.extensions["top_bar_counts"](), **counts})
    g.top_bar_counts = values
    return {name: values[name] for name in counts}
