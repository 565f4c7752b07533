"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow_app.core.models import made_on
from workflow_app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,  # the trigram indexes exist on PostgreSQL only
                "include_object": lambda item, *_: made_on(item, connection.dialect.name),
            },
        )
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
    old_style = SlaClock(
        instance_id=at_note.instance_id,
        kind="task",
        process_id="sla_plain_steps",
        task_id=note.id,
        org_unit_id=note.org_unit_id,
        started_at=utcnow(),
        counted_from=utcnow(),
        level=0,
        pauses=[],
        extensions=[],
        paused_seconds=0,
        extension_days=0,
        send_backs=0,
        reopens=0,
        escalates=False,
    )
    db.session.add(old_style)
    db.session.commit()
    kept = set(db.session.scalars(sa.select(SlaClock.id).where(SlaClock.id != old_style.id)))
    assert {
        c.task.bpmn_id
        for c in db.session.scalars(sa.select(SlaClock).where(SlaClock.id.in_(kept)))
        if c.task is not None
    } == {"review", "supply"}

    db.session.commit()  # ends the reads: the downgrade drops an index of the task table they hold a lock on
    downgrade(revision="0011")
    upgrade()
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(SlaClock.id))) == kept


def test_0017_leaves_the_enterprises_own_comments_and_files_shared_and_makes_the_staffs_internal(referral, bureau):
    """What an enterprise could see before 0017 and wrote itself stays visible to it; the staff's become internal."""
    import hashlib

    from flask_migrate import downgrade, upgrade

    from workflow_app.cases.models import Attachment, Comment, StoredFile

    digest = hashlib.sha256(b"x").hexdigest()
    db.session.add(StoredFile(sha256=digest, size=1, content=b"x"))
    db.session.flush()
    staff, enterprise = bureau["kuiwen_handler"], bureau["ent_huayu"]
    for writer, visibility in ((staff, "shared"), (enterprise, "internal")):  # the opposite of what 0017 gives
        db.session.add(Comment(case_id=referral.id, author_id=writer.id, body=writer.username, visibility=visibility))
        db.session.add(
            Attachment(
                case_id=referral.id,
                uploaded_by_id=writer.id,
                file_name=f"{writer.username}.txt",
                content_type="text/plain",
                size=1,
                sha256=digest,
                visibility=visibility,
            )
        )
    db.session.commit()
    downgrade(revision="0016")
    upgrade()
    db.session.expire_all()
    assert db.session.execute(sa.select(Comment.body, Comment.visibility).order_by(Comment.id)).all() == [
        ("kuiwen_handler", "internal"),
        ("ent_huayu", "shared"),
    ]
    assert db.session.execute(sa.select(Attachment.file_name, Attachment.visibility).order_by(Attachment.id)).all() == [
        ("kuiwen_handler.txt", "internal"),
        ("ent_huayu.txt", "shared"),
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_compresses_the_workflow_state_with_lz4(app, deploy, create_case):
    deploy("straight_line.bpmn")
    case = create_case("straight_line", {"notes": "x" * 3000})  # over the 2 KB from which a row's text is compressed
    db.session.commit()
    compression = db.session.execute(
        sa.text(
            "SELECT attcompression, pg_column_compression(state_json) FROM pg_attribute, process_instance "
            "WHERE attrelid = 'process_instance'::regclass AND attname = 'state_json' AND process_instance.id = :id"
        ),
        {"id": case.instance_id},
    ).one()
    assert compression == ("l", "lz4")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_user_who_may_not_create_extensions_gets_the_schema_without_trigram_indexes(app, capfd):
    """As a DBA might set it up: a role that owns its tables but may not CREATE in the database (so no
    CREATE EXTENSION): the migrations warn, leave the trigram indexes out, and the search still answers."""
    import os
    import uuid

    from flask_migrate import upgrade

    from config import TestingConfig
    from workflow_app import create_app
    from workflow_app.cases.models import Case
    from workflow_app.cases.queries import case_text_condition

    name = f"workflow_restricted_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(TestingConfig.TEST_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{name}" LOGIN'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # owned by the administrator, not by the role
        conn.execute(sa.text(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC'))
    url = sa.engine.make_url(TestingConfig.TEST_POSTGRES_URL).set(database=name)
    with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'GRANT USAGE, CREATE ON SCHEMA public TO "{name}"'))
    restricted = create_app(
        type(
            "RestrictedConfig",
            (TestingConfig,),
            {"SQLALCHEMY_DATABASE_URI": url.set(username=name, password=None).render_as_string(hide_password=False)},
        )
    )
    try:
        with restricted.app_context():
            upgrade()
            said = capfd.readouterr().err  # alembic's log goes to stderr (migrations/alembic.ini)
            indexes = db.session.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm'")).all()
            found = db.session.scalars(sa.select(Case.id).where(case_text_condition("华宇"))).all()
            compression = db.session.scalar(
                sa.text(
                    "SELECT attcompression FROM pg_attribute WHERE attrelid = "
                    "'process_instance'::regclass AND attname = 'state_json'"
                )
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()
    assert "pg_trgm is not available (permission denied to create extension" in said
    assert indexes == [] and found == []
    assert compression == "l"  # lz4 needs only the table's ownership
