"""/healthz answers while the process runs; /readyz only while the database answers at the migrations' head and a
timer worker beats; the admin page shows a stalled worker."""

from datetime import timedelta

import sqlalchemy as sa

from config import TestingConfig
from workflow_app import create_app
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


def readiness(app):
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_healthz_answers_without_the_database(app):
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readiness_follows_the_workers_heartbeat(app, clock):
    status, body = readiness(app)
    assert status == 503 and body["status"] == "unready"
    assert body["checks"]["worker"] == {"ok": False, "detail": "no worker has recorded a heartbeat"}
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]

    run_worker_pass()
    status, body = readiness(app)
    assert (status, body["status"]) == (200, "ready"), body

    clock.shift_clock(timedelta(seconds=app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"] + 5))  # the worker stops
    status, body = readiness(app)
    assert status == 503 and not body["checks"]["worker"]["ok"]
    assert body["checks"]["worker"]["detail"].startswith("last heartbeat 65 s ago")

    run_worker_pass()  # it beats again
    assert readiness(app)[0] == 200


def test_a_database_behind_the_code_is_not_ready(app):
    run_worker_pass()
    head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0019'"))
    db.session.commit()
    try:
        status, body = readiness(app)
        assert status == 503 and body["checks"]["migrations"] == {
            "ok": False,
            "detail": f"database at 0019, code at {head}",
        }
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert readiness(app)[0] == 200


def test_an_unreachable_database_is_not_ready():
    config = type(
        "Unreachable",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"},
    )
    unreachable = create_app(config)
    status, body = readiness(unreachable)
    assert status == 503 and not body["checks"]["database"]["ok"]
    assert "127.0.0.1" in body["checks"]["database"]["detail"] or "refused" in body["checks"]["database"]["detail"]
    assert unreachable.test_client().get("/healthz").status_code == 200


def test_the_admin_page_shows_each_worker_and_a_stalled_one(app, create_user, client_as, clock):
    create_user("boss", roles=("admin",), org="weifang")
    client = client_as("boss")
    page = client.get("/admin/").get_data(as_text=True)
    assert "data-worker-alert" in page and "还没有定时任务进程运行过" in page

    run_worker_pass()
    page = client.get("/admin/").get_data(as_text=True)
    assert "data-worker-alert" not in page and "运行中" in page and "SLA 预警与升级" in page

    clock.shift_clock(timedelta(minutes=5))
    page = client.get("/admin/").get_data(as_text=True)
    assert "data-worker-alert" in page and "已停止或停滞" in page and "300 秒前" in page
