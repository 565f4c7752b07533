"""docs/operations.md's backup and restore, run as written on PostgreSQL: pg_dump, the database dropped, pg_restore
into a fresh one, `flask processes check` clean, and a case goes on where it stood (about 15 s)."""

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import DATA, _make_postgres_database
from workflow_app import create_app
from workflow_app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def libpq_url(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return "postgresql://" + url.split("://", 1)[1]


def app_on(url):
    return create_app(type("OnDatabase", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def start_a_case_and_take_its_first_step(url) -> tuple[str, int]:
    """Migrate, deploy, start a case and complete its first task; return its number and instance id."""
    from flask_migrate import upgrade

    from workflow_app.auth.operations import create_org_unit, create_user
    from workflow_app.cases.operations import start_case
    from workflow_app.engine.models import Task
    from workflow_app.engine.operations import complete_task, deploy_sources

    app = app_on(url)
    with app.app_context():
        upgrade()
        city = create_org_unit("weifang", "潍坊市人力资源和社会保障局", "city", None)
        create_org_unit("kuiwen", "奎文区", "county", city)
        clerk = create_user("clerk1", ["clerk"], "kuiwen", "secret-pass-1")
        deploy_sources({"straight_line.bpmn": (DATA / "straight_line.bpmn").read_bytes()})
        case = start_case("straight_line", {"amount": "10.50"}, clerk.org_unit_id, clerk.id, "Backed up")
        db.session.commit()
        enter = db.session.scalar(sa.select(Task).where(Task.instance_id == case.instance_id, Task.state == "open"))
        complete_task(enter.id, {}, clerk.id)
        db.session.commit()
        number, instance_id = case.number, case.instance_id
        db.session.remove()
        db.engine.dispose()
    return number, instance_id


def test_a_dump_restored_into_a_fresh_database_is_consistent_and_its_cases_go_on(tmp_path):
    source_url, admin, source = _make_postgres_database()
    restored = f"{source}_restored"
    dump = tmp_path / "workflow.pgdump"
    try:
        number, instance_id = start_a_case_and_take_its_first_step(source_url)

        # the backup (operations.md): custom format, compressed, restorable table by table
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq_url(source_url)], check=True)
        with admin.connect() as conn:  # the database is lost
            conn.execute(sa.text(f'DROP DATABASE "{source}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{restored}"'))
        restored_url = sa.engine.make_url(source_url).set(database=restored).render_as_string(hide_password=False)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_url(restored_url)}", str(dump)],
            check=True,
        )

        env = {**os.environ, "DATABASE_URL": restored_url, "APP_ENV": "development", "FLASK_APP": "wsgi"}
        check = subprocess.run(
            [sys.executable, "-m", "flask", "processes", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.splitlines()[-1] == "已检查 1 个流程实例，发现 0 个问题", check.stdout

        from workflow_app.cases.models import Case
        from workflow_app.engine.models import ProcessInstance, Task
        from workflow_app.engine.operations import complete_task
        from workflow_app.engine.queries import instance_inconsistencies

        app = app_on(restored_url)
        with app.app_context():
            case = db.session.scalar(sa.select(Case).where(Case.number == number))
            review = db.session.scalar(sa.select(Task).where(Task.instance_id == instance_id, Task.state == "open"))
            assert (case.instance_id, review.bpmn_id) == (instance_id, "review")
            complete_task(review.id, {}, None)
            db.session.commit()
            instance = db.session.get(ProcessInstance, instance_id)
            assert instance.status == "completed" and list(instance_inconsistencies(instance)) == []
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            for name in (source, restored):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
