"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow_app.core.models import made_on
from workflow_app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,  # the trigram indexes exist on PostgreSQL only
            "include_object": lambda item, *_: made_on(item, connection.dialect.name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_0012_removes_only_the_running_clocks_of_plain_open_tasks(app, deploy, create_case, create_user):
    """Clocks that code before 0012 gave every task: those of open tasks that count nothing go, the rest stay."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import open_task_of
    from workflow_app.core.time import utcnow
    from workflow_app.engine.operations import complete_task
    from workflow_app.sla.models import SlaClock

    deploy("sla_plain_steps.bpmn")
    clerk = create_user("clerk1", roles=("clerk",))
    enterprise = create_user("ent1", roles=("enterprise",))
    at_review, at_supply, at_note = (create_case("sla_plain_steps") for _ in range(3))
    for case in (at_supply, at_note):
        complete_task(open_task_of(case, "review").id, {}, clerk.id)
    complete_task(open_task_of(at_note, "supply").id, {}, enterprise.id)
    note = open_task_of(at_note, "note")
    old_style = SlaClock(instance_id=at_note.instance_id, kind="task", process_id="sla_plain_steps", task_id=note.id,
                         org_unit_id=note.org_unit_id, started_at=utcnow(), counted_from=utcnow(), level=0,
                         pauses=[], extensions=[], paused_seconds=0, extension_days=0, send_backs=0, reopens=0,
                         escalates=False)
    db.session.add(old_style)
    db.session.commit()
    kept = set(db.session.scalars(sa.select(SlaClock.id).where(SlaClock.id != old_style.id)))
    assert {c.task.bpmn_id for c in db.session.scalars(sa.select(SlaClock).where(SlaClock.id.in_(kept)))
            if c.task is not None} == {"review", "supply"}

    downgrade(revision="0011")
    upgrade()
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(SlaClock.id))) == kept


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_compresses_the_workflow_state_with_lz4(app, deploy, create_case):
    deploy("straight_line.bpmn")
    case = create_case("straight_line", {"notes": "x" * 3000})  # over the 2 KB from which a row's text is compressed
    db.session.commit()
    compression = db.session.execute(sa.text(
        "SELECT attcompression, pg_column_compression(state_json) FROM pg_attribute, process_instance "
        "WHERE attrelid = 'process_instance'::regclass AND attname = 'state_json' AND process_instance.id = :id"),
        {"id": case.instance_id}).one()
    assert compression == ("l", "lz4")
