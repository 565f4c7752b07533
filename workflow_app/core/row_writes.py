"""Write an engine step's new and changed rows with one plain INSERT or UPDATE each, not the ORM's unit of work.

Why: a case's start writes four rows and a completion changes two, and for so few rows the unit of work's
own bookkeeping (sorting the objects, dependency actions, events, result handling) cost more than running
the statements: ~1.5-2 ms of a start's ~9 ms of Python, measured. Here each row of a model registered with
`written_directly` is written by a statement built once per table and the object made persistent (or clean)
without SQL, as the ORM would leave it: primary key and defaults set, history reset, noted by the transaction
(through the session's own step for that, `_register_persistent`: SQLAlchemy is pinned, and
tests/core/test_row_writes.py checks what it does). Anything this does not
handle (a deletion, another model, a change of a collection) is left to the ORM's flush, untouched.
"""

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import MANYTOONE

_MODELS: dict[type, "_Writer"] = {}


def written_directly(model):
    """Register a model whose new and changed rows `write_rows` writes (a class decorator)."""
    _MODELS[model] = None  # built on first use, when every mapper is configured
    return model


class _Writer:
    """What writing one model's rows needs, worked out once."""

    def __init__(self, model):
        mapper = sa.inspect(model)
        self.table = table = mapper.local_table
        self.order = table.metadata.sorted_tables.index(table)  # its place in the tables' dependency order
        (self.pk_prop,) = [mapper.get_property_by_column(column) for column in mapper.primary_key]
        self.columns = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
        only_on_server = [c.name for c in table.columns if c.server_default is not None and c.default is None]
        if only_on_server:  # its value would have to be read back: leave such a model to the ORM
            raise TypeError(f"{model.__name__}: columns with only a server default: {', '.join(only_on_server)}")
        self.insert = table.insert()  # the new key comes back as PostgreSQL's RETURNING or SQLite's last row id
        self.version = mapper.version_id_col
        self.version_key = mapper.get_property_by_column(self.version).key if self.version is not None else None
        # many-to-one relationships the ORM would follow: a row's foreign key is taken from the object it names
        self.references = [
            (rel.key, [(mapper.get_property_by_column(local).key, remote) for local, remote in rel.local_remote_pairs])
            for rel in mapper.relationships
            if not rel.viewonly and rel.direction is MANYTOONE
        ]
        self.collections = [
            rel.key for rel in mapper.relationships if not rel.viewonly and rel.direction is not MANYTOONE
        ]
        update = table.update().where(table.c[self.pk_prop.columns[0].key] == sa.bindparam("_pk"))
        # the version column, if any: the UPDATE finds the row only at the version read (as the ORM's does)
        self.update = update.where(self.version == sa.bindparam("_version")) if self.version is not None else update


def _writer(model) -> "_Writer | None":
    if model not in _MODELS:
        return None
    if _MODELS[model] is None:
        _MODELS[model] = _Writer(model)
    return _MODELS[model]


def write_rows(session) -> None:
    """Write the session's pending rows: the registered models' directly, when nothing else is pending; else flush."""
    if isinstance(session, sa.orm.scoped_session):
        session = session()
    if session.deleted:
        session.flush()
        return
    new = [(_writer(type(obj)), obj) for obj in session.new]
    dirty = [(_writer(type(obj)), obj) for obj in session.dirty]
    if any(writer is None or _changes_collection(writer, obj) for writer, obj in new + dirty):
        session.flush()
        return
    connection = session.connection()
    # the ORM's order: table by table (a row before the rows that refer to it), a table's changes before its new rows
    # (so a step that lost a race fails on the instance's version before it adds a task that clashes)
    writes = [(writer.order, 0, 0, _update, writer, obj) for writer, obj in dirty] + [
        (writer.order, 1, sa.inspect(obj).insert_order, _insert, writer, obj) for writer, obj in new
    ]
    for *_order, write, writer, obj in sorted(writes, key=lambda write: write[:3]):
        write(connection, writer, obj)
    # what the ORM does with the rows it flushed: the values set become the committed ones, new rows take their
    # identity, and the transaction notes them all, so that a rollback forgets the new ones and expires the rest
    session._register_persistent({sa.inspect(obj) for _writer, obj in new + dirty})


def _changes_collection(writer, obj) -> bool:
    state = sa.inspect(obj)
    return any(
        key in state.committed_state or (state.key is None and state.dict.get(key)) for key in writer.collections
    )


def _insert(connection, writer, obj) -> None:
    state = sa.inspect(obj)
    values = state.dict
    _take_references(writer, values, values, [key for key, _pairs in writer.references if values.get(key) is not None])
    params = {
        writer.columns[key].key: value for key, value in values.items() if key in writer.columns and value is not None
    }
    result = connection.execute(writer.insert, params)
    (values[writer.pk_prop.key],) = result.inserted_primary_key
    used = result.last_inserted_params()  # with the values of the Python-side defaults the statement ran
    for key, column in writer.columns.items():
        if values.get(key) is None:
            values[key] = used.get(column.key)


def _take_references(writer, values: dict, into: dict, keys) -> None:
    """Set into `into` the foreign keys of the many-to-one relationships named in `keys` from the objects they name
    in `values` (a clock's task_id from the task, written just before), or None where they name none."""
    for key, pairs in writer.references:
        if key not in keys:
            continue
        target = values.get(key)
        for local_key, remote in pairs:
            into[local_key] = (
                None if target is None else getattr(target, sa.inspect(type(target)).get_property_by_column(remote).key)
            )


def _update(connection, writer, obj) -> None:
    state = sa.inspect(obj)
    changed = {
        key: state.dict[key]
        for key in state.committed_state
        if key in writer.columns and state.attrs[key].history.has_changes()
    }
    _take_references(writer, state.dict, changed, state.committed_state)
    if changed:
        params = {"_pk": state.dict[writer.pk_prop.key]}
        if writer.version is not None:
            old = state.committed_state.get(writer.version_key, state.dict[writer.version_key])
            params["_version"] = old
            changed[writer.version_key] = old + 1
        params.update({writer.columns[key].key: value for key, value in changed.items()})
        if connection.execute(writer.update, params).rowcount != 1:
            raise StaleDataError(
                f"UPDATE statement on table '{writer.table.name}' expected to update 1 row(s); 0 were matched."
            )
        state.dict.update(changed)
