"""The old code's demo upgraded by the new code (issue 29): the demo of d720d35, whose bureau processes had
hand-written WTForms forms, is seeded by that code (its own `flask db upgrade`, `flask seed-demo`, `flask processes
deploy`, run with this venv's python on its own tree), then this code migrates the database and deploys bpmn/. Every
old case's page and history show, labelled; every old open task renders its form (the packages' form_keys put JSON
Schema forms in place of the old formKeys); an old referral's open task completes through the new form and its old
model routes on what the new form gives.

On SQLite and on PostgreSQL (a fresh database of its own)."""

import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import PASSWORD, FreshRequestClient, _make_postgres_database
from workflow_app import create_app
from workflow_app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD_COMMIT = "d720d35"  # the last commit whose bureau processes had WTForms forms
CODE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")  # a field's code shown where its label belongs


def _old_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("old-code")
    archive = subprocess.run(["git", "-C", ROOT, "archive", OLD_COMMIT], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _old_flask(tree, url, *args):
    """Run the old code's flask command on its own tree (its own packages first on the path) against `url`."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_APP": "wsgi",
        "PYTHONPATH": str(tree),
        "DEMO_PASSWORD": PASSWORD,
        "INPROCESS_WORKER": "0",
    }
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=tree, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"old code: flask {' '.join(args)}:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def upgraded(request, tmp_path_factory):
    """The new app on a database the old code seeded with its demo, migrated, with bpmn/ deployed; an app context
    is active. Yields (app, the deploy's result)."""
    tree = _old_tree(tmp_path_factory)
    admin = name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('old-db') / 'old-demo.sqlite'}"
    else:
        url, admin, name = _make_postgres_database()
    try:
        _old_flask(tree, url, "db", "upgrade")
        _old_flask(tree, url, "seed-demo")
        _old_flask(tree, url, "processes", "deploy")
        app = create_app(type("UpgradeConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
        app.test_client_class = FreshRequestClient
        with app.app_context():
            from flask_migrate import upgrade

            from workflow_app.engine.operations import deploy_sources, read_sources

            upgrade()
            result = deploy_sources(read_sources([app.config["BPMN_DIR"]]))
            db.session.commit()
            yield app, result
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _client(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302, username
    return client


def _old_cases():
    from workflow_app.cases.models import Case

    return list(db.session.scalars(sa.select(Case).order_by(Case.id)))


def _old_open_tasks():
    from workflow_app.engine.models import ProcessInstance, ProcessVersion, Task

    later = sa.orm.aliased(ProcessVersion)
    newest = (
        sa.select(sa.func.max(later.version))
        .where(later.process_id == ProcessInstance.process_id)
        .correlate(ProcessInstance)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Task)
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
            .where(Task.state == "open", ProcessInstance.status == "running", ProcessVersion.version < newest)
            .order_by(Task.id)
        )
    )


def _actor_of(task):
    """A user who may act on the task: its assignee, a holder of its role in its unit or its enterprise's user; for a
    unit where the demo has nobody of the role (a referral dispatched to 潍城区), one given the role there now."""
    from workflow_app.auth.models import OrgUnit, User
    from workflow_app.auth.operations import create_user
    from workflow_app.cases.permissions import may_act_on

    actor = next(
        (user for user in db.session.scalars(sa.select(User).order_by(User.id)) if may_act_on(user, task)), None
    )
    if actor is None and task.assignee_id is None and task.role != "enterprise":
        unit = db.session.get(OrgUnit, task.org_unit_id)
        actor = create_user(f"{unit.code}_{task.role}", [task.role], unit.code, PASSWORD)
        db.session.commit()
    return actor


def test_the_old_demo_is_there_and_the_new_packages_deploy_over_it(upgraded):
    _app, result = upgraded
    assert result.created, "bpmn/ deployed no new version over the old demo"
    assert len(_old_cases()) >= 10 and _old_open_tasks(), "the old demo has no cases or open tasks of old versions"


def test_every_old_case_page_and_history_show_labelled(upgraded):
    from workflow_app.cases.queries import described_audit_events

    app, _result = upgraded
    client, coded = _client(app, "admin"), []
    for case in _old_cases():
        page = client.get(f"/cases/{case.id}")
        assert page.status_code == 200, (case.number, page.status_code)
        assert case.number in page.get_data(as_text=True)
        for entry in described_audit_events(case.instance_id):
            if entry.kind == "audit" and entry.item.kind in ("instance_started", "task_completed"):
                coded += [
                    (case.number, entry.item.task_name or entry.item.kind, str(label))
                    for label, _value in entry.described
                    if CODE.fullmatch(str(label))
                ]
    assert coded == [], f"history shows field codes instead of labels: {coded}"


def test_every_old_open_task_renders_its_form_on_the_page_and_in_the_api(upgraded):
    from forms import known_form_keys
    from workflow_app.auth.operations import create_api_token
    from workflow_app.cases.schema_tasks import task_schema_form

    app, _result = upgraded
    unrendered = []
    for task in _old_open_tasks():
        schema = task_schema_form(task)
        if task.form_key and schema is None and task.form_key not in known_form_keys():
            unrendered.append((task.instance.process_id, task.form_key, "no form_keys entry"))
            continue
        actor = _actor_of(task)
        assert actor is not None, f"nobody may act on {task.name} ({task.form_key})"
        path = f"/portal/tasks/{task.id}" if actor.enterprise_id is not None else f"/tasks/{task.id}"
        page = _client(app, actor.username).get(path)
        html = page.get_data(as_text=True)
        if page.status_code != 200 or (schema is not None and 'name="data.' not in html):
            unrendered.append((task.instance.process_id, task.form_key, f"page {page.status_code}"))
            continue
        _row, token = create_api_token(actor, "upgrade")
        db.session.commit()
        detail = app.test_client().get(f"/api/v1/tasks/{task.id}", headers={"Authorization": f"Bearer {token}"})
        if detail.status_code != 200 or (
            schema is not None and "properties" not in detail.get_json()["form"]["schema"]
        ):
            unrendered.append((task.instance.process_id, task.form_key, f"api {detail.status_code}"))
    assert unrendered == [], f"old open tasks whose form does not render: {unrendered}"


def test_an_old_referral_task_completes_through_the_new_form_and_the_old_model_routes_on_it(upgraded):
    from workflow_app.engine.models import ProcessInstance
    from workflow_app.engine.queries import open_tasks

    app, _result = upgraded
    waiting = [
        task
        for task in _old_open_tasks()
        if task.instance.process_id == "referral" and task.form_key == "referral_sign_for"
    ]
    assert waiting, "the old demo has no referral waiting to be signed for"
    task = waiting[0]
    instance_id, actor = task.instance_id, _actor_of(task)
    client = _client(app, actor.username)
    done = client.post(f"/tasks/{task.id}", data={"data.sign_decision": "sign"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.status == "running" and instance.error_message is None
    now_open = [t.bpmn_id for t in open_tasks(instance_id)]
    assert now_open and task.bpmn_id not in now_open  # signed for: the old model moved on to the handling
