"""Small reference tables kept by each worker process between requests, as plain values.

The org unit tree, the roles' labels, the deployed processes and the calendar's stored years change only by an
admin's hand, yet every page read them: two to four of a page's ten statements. A worker keeps what it read
for REFERENCE_KEEP_SECONDS. The operation that changes one of them says so with `forget_on_commit`; this
process reads it afresh once the transaction ends, and every other worker process within those seconds.
Kept values are plain data (tuples, dicts), never ORM objects: those belong to one session.
"""

import functools
import time

from flask import current_app, has_app_context

from workflow_app.core.database import call_when_transaction_ends


def kept(name: str, read):
    """The value of `read()`, kept under `name` for REFERENCE_KEEP_SECONDS (read afresh outside an app)."""
    if not has_app_context():
        return read()
    store = current_app.extensions["reference"]
    entry = store.get(name)
    now = time.monotonic()
    if entry is not None and now - entry[0] < current_app.config["REFERENCE_KEEP_SECONDS"]:
        return entry[1]
    value = read()
    store[name] = (now, value)
    return value


def forget_on_commit(session, *names: str) -> None:
    """Forget the kept `names` now and again when the session's transaction ends (commit or rollback).

    Forgetting at the end as well keeps a value read between the change and its commit, or a change that was
    rolled back, from being kept.
    """
    forget(*names)
    call_when_transaction_ends(session, functools.partial(forget, *names))


def forget(*names: str) -> None:
    if has_app_context():
        store = current_app.extensions["reference"]
        for name in names:
            store.pop(name, None)


def keep_reference_data(app) -> None:
    """Give the app its store."""
    app.extensions["reference"] = {}
