"""Values a session keeps for one transaction (in `session.info`), forgotten when it ends, by commit or rollback.

The engine's step keeps what it read or wrote there (the clocks it read, the rows it wrote, a task read with its
instance locked) so that later code in the same transaction need not read them again; none may outlive the
transaction whose database state they describe.
"""

import sqlalchemy as sa

_KEYS = set()


def transaction_key(name: str) -> str:
    """Register `name` as a session.info key whose value ends with the transaction; return it."""
    _KEYS.add(name)
    return name


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _forget_transaction_values(session, *_):
    for name in _KEYS:
        session.info.pop(name, None)
