"""Fixtures: an app per database (SQLite and PostgreSQL), schema made by the migrations.

Every test that takes `app` runs twice, once per database. PostgreSQL is required when
REQUIRE_POSTGRES=1 (CI); otherwise a missing server skips its half with the reason.
"""

import io
import os
import uuid
import weakref
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask.testing import FlaskClient

from config import TestingConfig
from workflow_app import create_app
from workflow_app.auth.models import Enterprise, OrgUnit, Role
from workflow_app.cases.models import Attachment
from workflow_app.engine.models import ProcessVersion, Task
from workflow_app.extensions import db

DATA = Path(__file__).parent / "data"
PASSWORD = "secret-pass-1"


def _postgres_admin_url():
    return TestingConfig.TEST_POSTGRES_URL


def _make_postgres_database():
    admin = sa.create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"workflow_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            # a commit need not wait for its flush to disk: a test database outlives no crash
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {_postgres_admin_url()}: {str(exc.orig).splitlines()[0]}"
        if TestingConfig.REQUIRE_POSTGRES:
            pytest.fail(reason + " (REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    url = sa.engine.make_url(_postgres_admin_url()).set(database=name)
    return url.render_as_string(hide_password=False), admin, name


@pytest.fixture(scope="session")
def _test_databases(tmp_path_factory):
    """The test process's databases and their apps, each made on first use and kept to the end: {kind: (url, app)}.

    Kept here, not by the parametrized fixtures below: pytest tears a parametrized session fixture down whenever
    the next test takes the other parameter, which under xdist is at nearly every file, and each remaking (a
    database, its migrations, the bureau's seeding) costs one to two seconds.
    """
    made, dropped = {}, []
    yield made, dropped
    for _url, app in made.values():
        with app.app_context():
            db.engine.dispose()
    for admin, name in dropped:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory, _test_databases):
    made, dropped = _test_databases
    if request.param not in made:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        else:
            url, admin, name = _make_postgres_database()
            dropped.append((admin, name))
        made[request.param] = (url, _migrated_app(url))
    return made[request.param][0]


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The tests hold an app context, which Flask reuses for the client's requests; without this,
    `g` (and Flask-Login's cached user in it) would carry over from one request to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


def _migrated_app(url):
    """An app on the database at `url`, its schema made by the migrations."""
    config = type("TestConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    app.test_client_class = FreshRequestClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


@pytest.fixture(scope="session")
def app_for_database(database_url, _test_databases):
    made, _dropped = _test_databases
    return next(app for url, app in made.values() if url == database_url)


@pytest.fixture
def app(app_for_database):
    """The app with an empty database and the base org units; an app context is active."""
    with app_for_database.app_context():
        _empty_all_tables()
        app_for_database.extensions["reference"].clear()  # what the last test kept is gone with its rows
        _seed_org_units()
        db.session.commit()
        yield app_for_database
        db.session.remove()


def _empty_all_tables():
    # DELETE, not TRUNCATE: TRUNCATE rewrites every table's files, which costs far more than a test's few rows;
    # the sequences then restart as TRUNCATE ... RESTART IDENTITY would restart them
    quote = db.engine.dialect.identifier_preparer.format_table
    statements = ["UPDATE enterprise SET specialist_id = NULL"]  # the one FK cycle
    statements += [f"DELETE FROM {quote(table)}" for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        statements.append(
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
            " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
        )
    _run_script(statements)
    db.session.commit()


def _run_script(statements: list[str]) -> None:
    """Run SQL statements without parameters, on PostgreSQL in one round trip (one per statement was most of a
    test's setup there)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":  # the simple query protocol takes several statements at once
        connection.exec_driver_sql(";\n".join(statements), execution_options={"no_parameters": True})
    else:
        for statement in statements:
            connection.exec_driver_sql(statement)


def _seed_org_units():
    from workflow_app.auth.operations import create_org_unit

    city = create_org_unit("weifang", "潍坊市人力资源和社会保障局", "city", None)
    create_org_unit("kuiwen", "奎文区", "county", city)
    create_org_unit("shouguang", "寿光市", "county", city)


@pytest.fixture
def db_name(app):
    return db.engine.dialect.name


@pytest.fixture
def org_unit(app):
    from workflow_app.auth.queries import find_org_unit

    return find_org_unit("kuiwen")


@pytest.fixture
def city_unit(app):
    from workflow_app.auth.queries import find_org_unit

    return find_org_unit("weifang")


@pytest.fixture
def create_user(app):
    from workflow_app.auth.operations import create_user as create

    def factory(username="handler", roles=("clerk",), org="kuiwen", **kwargs):
        user = create(username, list(roles), org, PASSWORD, **kwargs)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def user(create_user):
    return create_user()


@pytest.fixture
def deploy(app):
    """Deploy files from tests/data (by name) or {name: text} sources; commit."""
    from workflow_app.engine.operations import deploy_sources

    def factory(*names, sources=None):
        files = dict(sources or {})
        for name in names:
            files[name] = (DATA / name).read_bytes()
        result = deploy_sources({k: v.encode() if isinstance(v, str) else v for k, v in files.items()})
        db.session.commit()
        return result

    return factory


@pytest.fixture
def create_case(app, org_unit):
    from workflow_app.cases.operations import start_case

    def factory(process_id, data=None, actor_id=None, title="Test case", **kwargs):
        case = start_case(process_id, data or {}, org_unit.id, actor_id, title, **kwargs)
        db.session.commit()
        return case

    return factory


@pytest.fixture
def case(deploy, create_case):
    deploy("straight_line.bpmn")
    return create_case("straight_line", {"amount": "10.50"})


@pytest.fixture
def clock():
    """The application's clock, to move forward in a test (reset afterwards)."""
    from workflow_app.core import time as app_time

    yield app_time
    app_time.reset_clock()


@pytest.fixture(autouse=True)
def _app_clock_reset_after_each_test():
    """Whatever a test or a helper did to the application's clock ends with the test."""
    yield
    from workflow_app.core import time as app_time

    app_time.reset_clock()


def let_time_pass(seconds: float) -> None:
    """Move the application's clock `seconds` on, as waiting would (timers, the worker and deadlines read it)."""
    from datetime import timedelta

    from workflow_app.core import time as app_time

    app_time.shift_clock(timedelta(seconds=seconds))


@pytest.fixture
def bureau(app):
    """The demo bureau (org units, one user per role, enterprises) and all of bpmn/ deployed; users by name.

    Seeded once per app: its rows are kept and written again for each later test that starts from the same rows
    with the clock untouched (deploying bpmn/ is most of a second or two; writing the rows, a few milliseconds).
    """
    from workflow_app.auth.models import User

    seedings = _BUREAU_ROWS.setdefault(app, [])
    fitting = next((seeded for seeded in seedings if seeded.fits_now()), None)
    if fitting is not None:
        fitting.restore()
    else:
        seeded = _seed_bureau(app)
        if seeded is not None and len(seedings) < 4:
            seedings.append(seeded)
    return {u.username: u for u in db.session.scalars(sa.select(User))}


def _seed_bureau(app) -> "SeededRows | None":
    from workflow_app.demo import seed_demo
    from workflow_app.engine.operations import deploy_sources, read_sources

    before = SeededRows() if clock_untouched() else None
    seed_demo(PASSWORD)
    result = deploy_sources(read_sources([app.config["BPMN_DIR"]]))
    db.session.commit()
    assert result.warnings == []
    return SeededRows(before) if before is not None else None


def clock_untouched() -> bool:
    from workflow_app.core import time as app_time

    return app_time._frozen is None and not app_time._offset


class SeededRows:
    """Every row of every table and the PostgreSQL sequences' values, to write the same rows again later."""

    def __init__(self, before: "SeededRows | None" = None):
        self.rows = {table: _rows_of(table) for table in db.metadata.sorted_tables}
        self.counts = {table.name: len(rows) for table, rows in self.rows.items()}
        self.sequences = []
        if db.engine.dialect.name == "postgresql":
            self.sequences = db.session.execute(
                sa.text(
                    "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
                    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).all()
        self.before = before

    def fits_now(self) -> bool:
        """Whether the database holds what it held before the seeding (the app fixture's rows), the clock unmoved."""
        if not clock_untouched():
            return False
        counts = sa.union_all(
            *(sa.select(sa.literal(t.name), sa.func.count()).select_from(t) for t in db.metadata.sorted_tables)
        )
        org_units = OrgUnit.__table__
        return (
            dict(db.session.execute(counts).all()) == self.before.counts
            and _rows_of(org_units) == self.before.rows[org_units]
        )

    def restore(self) -> None:
        """Replace the app fixture's rows by the seeded ones: the same ids, the sequences where they were."""
        db.session.execute(OrgUnit.__table__.delete())
        specialists = []
        for table, rows in self.rows.items():
            if table.name == "enterprise":  # the one FK cycle: enterprise.specialist_id is set once the users exist
                specialists = [{"row_id": row["id"], "user_id": row["specialist_id"]} for row in rows]
                rows = [{**row, "specialist_id": None} for row in rows]
            if rows:
                db.session.execute(table.insert(), rows)
        enterprise = Enterprise.__table__
        if specialists:
            db.session.execute(
                enterprise.update()
                .where(enterprise.c.id == sa.bindparam("row_id"))
                .values(specialist_id=sa.bindparam("user_id")),
                specialists,
            )
        if self.sequences:  # in one statement, not one each
            calls = ", ".join(f"setval(CAST(:s{i} AS regclass), :v{i}, true)" for i in range(len(self.sequences)))
            values = {
                f"{kind}{i}": x for i, row in enumerate(self.sequences) for kind, x in zip("sv", row, strict=True)
            }
            db.session.execute(sa.text(f"SELECT {calls}"), values)
        db.session.commit()
        current_app.extensions["reference"].clear()  # what was kept of the rows just replaced


def _rows_of(table) -> list[dict]:
    keys = [column.key for column in table.columns]
    return [
        dict(zip(keys, row, strict=True)) for row in db.session.execute(sa.select(table).order_by(*table.primary_key))
    ]


_BUREAU_ROWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # app -> the SeededRows of its bureau


@pytest.fixture
def client_as(app):
    """A test client signed in as a user (by user name); `client_as(None)` is anonymous."""

    def factory(username):
        client = app.test_client()
        if username is not None:
            response = client.post("/login", data={"username": username, "password": PASSWORD})
            assert response.status_code == 302, f"{username} could not sign in"
        return client

    return factory


# Referrals registered by the demo dispatcher (the inbox, case-page and route tests use them)
HUAYU = "潍坊华宇精密机械有限公司"  # kuiwen
LVYUAN = "寿光市绿源食品加工有限公司"  # shouguang


def start_through_form(process_id: str, user, data: dict, settings: dict | None = None):
    """Start a process as its start page and the API do: its start event's JSON Schema form (and the rules it names)
    checks `data`, then the generic start; `settings` are start variables no form asks for (a process setting)."""
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.cases.schema_tasks import checked_data, start_form_context
    from workflow_app.cases.starting import startable_process

    process = startable_process(process_id)
    values = checked_data(process.schema, data, start_form_context(user, process_id, data))
    return start_generic_case(process_id, {**values, **(settings or {})}, user)


@pytest.fixture
def create_referral(bureau):
    def factory(enterprise=HUAYU, category="社保", labour_shortage=False, description="企业反映社保补贴问题", **fields):
        uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == enterprise))
        data = {
            "enterprise_uscc": uscc,
            "category": category,
            "description": description,
            "labour_shortage": labour_shortage,
            "source": "市工业运行指挥部",
            **fields,
        }
        case = start_through_form("referral", bureau["dispatcher"], data)
        db.session.commit()
        return case

    return factory


@pytest.fixture
def referral(create_referral):
    return create_referral()


@contextmanager
def statements_run():
    """Collect (statement, parameters) of every SELECT run inside the block."""
    seen = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)


def open_task_of(case, bpmn_id=None):
    db.session.expire_all()
    statement = sa.select(Task).where(Task.instance_id == case.instance_id, Task.state == "open")
    if bpmn_id:
        statement = statement.where(Task.bpmn_id == bpmn_id)
    return db.session.scalars(statement).one()


# The stages of an installment agreement a test can ask for, in order
AGREEMENT_STAGES = ("applied", "drafted", "signed", "active", "paid_once")


@pytest.fixture
def create_agreement_case(bureau):
    """An enterprise's installment agreement case driven to `stage` by the same forms and operations the pages use,
    under the package's policy extended to the end of next year (the notice's 2023-12-31 has passed)."""
    from datetime import date, timedelta
    from decimal import Decimal

    from workflow_app.auth.models import User
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.cases.schema_tasks import checked_data, start_form_context, start_schema_form
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy
    from workflow_app.engine.queries import latest_version

    open_installment_policy(date(local_today().year + 1, 12, 31))
    db.session.commit()

    def step(case, bpmn_id, username, data):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        submit_task(open_task_of(case, bpmn_id).id, data, user, client_ip="127.0.0.1")
        db.session.commit()

    made = []  # each case of a test its own deferral: one open application per deferral (oneOpenCasePerEnterprise)

    def factory(stage="drafted", username="ent_huayu", installments=3, pension="1000.00"):
        today = local_today()
        made.append(stage)
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.enterprise.legal_representative = user.enterprise.legal_representative or "王建华"
        values = {
            "pension_yuan": pension,
            "unemployment_yuan": "200.00",
            "deferral_end_date": str(today - timedelta(days=10 + 30 * (len(made) - 1))),
            "hardship_reason": "订单减少",
            "proposed_installments": installments,
        }
        form = start_schema_form(latest_version("installment_agreement"))
        case = start_generic_case(
            "installment_agreement",
            checked_data(form, values, start_form_context(user, "installment_agreement", values)),
            user,
        )
        db.session.commit()
        stages = AGREEMENT_STAGES[1 : AGREEMENT_STAGES.index(stage) + 1]
        if "drafted" in stages:
            step(
                case,
                "agency_check",
                "agency",
                {"check_decision": "approve", "deferral_confirmed": True, "check_opinion": None},
            )
            step(
                case,
                "draft_schedule",
                "agency",
                {"installment_count": installments, "first_due_date": str(today + timedelta(days=20))},
            )
        if "signed" in stages:
            step(
                case,
                "sign",
                username,
                {
                    "sign_decision": "sign",
                    "read_confirmed": True,
                    "legal_rep_name": user.enterprise.legal_representative,
                    "decline_reason": None,
                },
            )
        if "active" in stages:
            step(case, "countersign", "agency", {"countersign_confirmed": True})
        if "paid_once" in stages:
            from workflow_app.agreements.queries import current_agreement

            first = current_agreement(case.id).installments[0]
            step(
                case,
                "record_payment",
                "agency",
                {"paid_amount": Decimal(first.amount_fen) / 100, "paid_on": str(today), "receipt_no": "SB-1"},
            )
        return case

    return factory


@pytest.fixture
def agreement_case(create_agreement_case):
    return create_agreement_case()


@pytest.fixture
def route_ids(bureau, create_referral, client_as, create_agreement_case):
    """Ids for every URL variable, pointing at a Kuiwen referral with one attachment (shared with the enterprise)."""
    from datetime import timedelta

    from workflow_app.core import time as app_time
    from workflow_app.notifications.models import Notification
    from workflow_app.sla.escalation import run_sla_sweep
    from workflow_app.sla.models import SupervisionNotice

    case = create_referral()
    client_as("kuiwen_handler").post(
        f"/cases/{case.id}/attachments",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"hello"), "a.txt"), "visibility": "shared"},
    )
    from workflow_app.agreements.queries import current_agreement

    agreement_case = create_agreement_case("drafted")
    agreement = current_agreement(agreement_case.id)
    from workflow_app.auth.operations import create_api_token

    token, _secret = create_api_token(bureau["kuiwen_handler"], "route matrix")
    app_time.freeze_clock(app_time.utcnow() + timedelta(days=30))  # the sign-for is long overdue: notices
    try:
        run_sla_sweep()
    finally:
        app_time.reset_clock()
    return {
        "notice_id": db.session.scalar(sa.select(SupervisionNotice.id).where(SupervisionNotice.level == "county")),
        "notification_id": db.session.scalar(
            sa.select(Notification.id).where(Notification.user_id == bureau["kuiwen_supervisor"].id)
        ),
        "case_id": case.id,
        "task_id": open_task_of(case).id,
        "process_id": "referral",
        "code": "en",
        "attachment_id": db.session.scalar(sa.select(Attachment.id).order_by(Attachment.id)),
        "agreement_id": agreement.id,
        "installment_id": agreement.installments[0].id,
        "agreement_case_id": agreement_case.id,
        "sign_task_id": open_task_of(agreement_case).id,
        "user_id": bureau["kuiwen_handler"].id,
        "unit_id": db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == "kuiwen")),
        "role_id": db.session.scalar(sa.select(Role.id).where(Role.name == "specialist")),
        "enterprise_id": db.session.scalar(sa.select(Enterprise.id).order_by(Enterprise.id)),
        "version_id": db.session.scalar(sa.select(ProcessVersion.id).order_by(ProcessVersion.id)),
        "instance_id": case.instance_id,
        "action": None,
        "filename": "app.css",
        "token_id": token.id,
    }
