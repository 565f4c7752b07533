"""The pages at scale: 100,000 cases seeded in bulk, then the inbox, case page, dashboard, case list and
case search timed.

Seeding: the demo's own cases are made through the real engine (every process, several states, plus one
cancelled and one suspended case); they are the templates. Each template is then copied in bulk (Core
`INSERT`s of whole batches, not one HTTP call per case) with its workflow state, task rows, SLA clocks,
timers, audit events, agreement and comments: new ids, a county and an enterprise of its own (16 counties,
2,000 enterprises), and all its times moved back by up to a year, so due dates fall before and after now.
About 85% of the copies are of finished cases; the open ones leave 10,000+ open tasks over all counties.

Measured in process (Flask test client, HTML rendered, signed-in sessions), after a warm-up:
- inbox: a county handler's group queue, sorted by due date, first page (GET /inbox?queue=group)
- case_page: the city supervisor opens random cases (GET /cases/<id>)
- dashboard: the city supervisor's supervision dashboard (GET /supervision)
- case_list: the city supervisor's case list, newest first, first page (GET /cases/; all 100,000 are visible)
- case_search: the city supervisor searches the case list by enterprise name or case number (GET /cases/?q=)

Prints one JSON document. Usage: python bench/scale.py [--cases 100000] [--database postgresql|sqlite]
[--requests 200] [--keep] [--reuse DATABASE_URL]
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_database import create_postgres_database, drop_postgres_database  # noqa: E402

PASSWORD = "bench-pass-1"
ENTERPRISES = 2000
BATCH = 2000
FINISHED_SHARE = 0.85
# (table, the column that ties its rows to a template's instance, case, agreement)
OWNED = [
    ("process_instance", "id", "instance"),
    ("case_record", "instance_id", "instance"),
    ("task", "instance_id", "instance"),
    ("timer", "instance_id", "instance"),
    ("audit_event", "instance_id", "instance"),
    ("sla_clock", "instance_id", "instance"),
    ("agreement", "case_id", "case"),
    ("installment", "agreement_id", "agreement"),
    ("case_comment", "case_id", "case"),
    ("notification", "instance_id", "instance"),
    ("supervision_notice", "instance_id", "instance"),
]
OWNED_TABLES = [name for name, _column, _key in OWNED]  # each copied with new ids
UNIQUE_TEXT = {("case_record", "number"), ("supervision_notice", "number")}


def _percentiles(values):
    values = sorted(values)
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(values[min(len(values) - 1, int(len(values) * 0.95))] * 1000, 2),
    }


def make_app(database_url):
    from config import TestingConfig
    from workflow_app import create_app

    config = type("ScaleConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False})
    return create_app(config)


def seed_templates():
    """The demo (org units, users, enterprises, its cases through the engine) plus a cancelled and a suspended case."""
    from workflow_app.auth.operations import create_user
    from workflow_app.auth.queries import find_user
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.demo import COUNTIES, seed_demo, seed_demo_cases
    from workflow_app.engine.operations import cancel_instance, deploy_sources, read_sources, suspend_instance
    from workflow_app.extensions import db

    seed_demo(PASSWORD)
    deploy_sources(read_sources([str(ROOT / "bpmn")]))
    seed_demo_cases()
    dispatcher = find_user("dispatcher")
    uscc = db.session.scalar(sa.text("SELECT uscc FROM enterprise ORDER BY id LIMIT 1"))
    for how in ("cancel", "suspend"):
        case = start_generic_case(
            "referral",
            {
                "enterprise_uscc": uscc,
                "category": "社保",
                "description": f"bench {how}",
                "labour_shortage": False,
                "source": "市工业运行指挥部",
            },
            dispatcher,
        )
        if how == "cancel":
            cancel_instance(case.instance_id, "registered twice", dispatcher.id)
        else:
            suspend_instance(case.instance_id, "waiting for the enterprise's papers", dispatcher.id)
    for code, _name in COUNTIES:  # a handler in every county, for its group queue
        if find_user(f"{code}_handler") is None:
            create_user(f"{code}_handler", ["county_handler"], code, PASSWORD, f"{code} handler")
    db.session.commit()


def _enterprises(conn, metadata):
    """Add ENTERPRISES enterprises spread over the counties; return [(id, county id, name)]."""
    units = conn.execute(sa.text("SELECT id, name FROM org_unit WHERE level = 'county' ORDER BY id")).all()
    table = metadata.tables["enterprise"]
    start = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) + 1
    words = ["精密机械", "食品加工", "纺织", "汽车零部件", "化工", "电子科技", "新材料", "建材", "医药", "物流"]
    rows = [
        {
            "id": start + n,
            "uscc": f"91370{n:012d}X",
            "name": f"{units[n % len(units)][1]}{words[n % len(words)]}第{n}有限公司",
            "county_id": units[n % len(units)][0],
        }
        for n in range(ENTERPRISES)
    ]
    conn.execute(table.insert(), rows)
    return [(r["id"], r["county_id"], r["name"]) for r in rows]


def copy_templates(engine, metadata, copies_wanted):
    """Add `copies_wanted` copies of the cases there are (finished ones weighted to FINISHED_SHARE)."""
    from workflow_app.core.models import UTCDateTime

    rng = random.Random(7)
    with engine.begin() as conn:
        enterprises = _enterprises(conn, metadata)
        templates = conn.execute(
            sa.text(
                "SELECT i.id, i.status, i.org_unit_id, c.id, c.enterprise_id FROM process_instance i "
                "JOIN case_record c ON c.instance_id = i.id ORDER BY i.id"
            )
        ).all()
        users_by_unit = dict(
            conn.execute(
                sa.text(
                    "SELECT u.org_unit_id, min(u.id) FROM user_account u JOIN user_role ur ON ur.user_id = u.id "
                    "JOIN role r ON r.id = ur.role_id WHERE r.name = 'county_handler' GROUP BY u.org_unit_id"
                )
            ).all()
        )
        finished = [t for t in templates if t[1] in ("completed", "cancelled")]
        unfinished = [t for t in templates if t not in finished]
        plan = [(t, FINISHED_SHARE / len(finished)) for t in finished] + [
            (t, (1 - FINISHED_SHARE) / len(unfinished)) for t in unfinished
        ]
        rows_of = {}  # template instance id -> {table: [rows]}
        for template, _share in plan:
            instance_id, case_id = template[0], template[3]
            owned, keys = {}, {"instance": [instance_id], "case": [case_id]}
            for name, column, key in OWNED:
                table = metadata.tables[name]
                found = [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c[column].in_(keys[key])))]
                owned[name] = found
                if name == "agreement":
                    keys["agreement"] = [r["id"] for r in found]
            rows_of[instance_id] = owned
        next_id = {
            name: (conn.scalar(sa.select(sa.func.coalesce(sa.func.max(metadata.tables[name].c.id), 0))) + 1)
            for name in OWNED_TABLES
        }
        shifted = {
            name: [c.name for c in metadata.tables[name].columns if isinstance(c.type, UTCDateTime)]
            for name in OWNED_TABLES
        }
        pending = {name: [] for name in OWNED_TABLES}
        weights = [share for _t, share in plan]
        for n in range(copies_wanted):
            template = rng.choices(plan, weights)[0][0]
            enterprise_id, unit_id, _name = enterprises[rng.randrange(len(enterprises))]
            delta = timedelta(days=rng.uniform(0, 365), minutes=rng.uniform(0, 600))
            ids = {}  # (table, old id) -> new id
            for name in OWNED_TABLES:
                for row in rows_of[template[0]][name]:
                    new = dict(row)
                    new["id"] = ids[(name, row["id"])] = next_id[name]
                    next_id[name] += 1
                    for column in shifted[name]:
                        if new.get(column) is not None:
                            new[column] -= delta
                    _remap(name, new, ids, template, unit_id, enterprise_id, users_by_unit, n)
                    pending[name].append(new)
            if len(pending["process_instance"]) >= BATCH:
                _flush(conn, metadata, pending)
        _flush(conn, metadata, pending)
        if engine.dialect.name == "postgresql":
            for name in OWNED_TABLES:
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
    # after a bulk load, what autovacuum would do on its own a little later: statistics and the visibility map
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def _remap(name, row, ids, template, unit_id, enterprise_id, users_by_unit, n):
    """Point a copied row at its copy's instance, case, tasks, clock, agreement, county and enterprise."""
    for column, table in (
        ("instance_id", "process_instance"),
        ("case_id", "case_record"),
        ("task_id", "task"),
        ("clock_id", "sla_clock"),
        ("agreement_id", "agreement"),
    ):
        if row.get(column) is not None and (table, row[column]) in ids:
            row[column] = ids[(table, row[column])]
    template_unit = template[2]
    if row.get("org_unit_id") == template_unit:
        row["org_unit_id"] = unit_id
    if name == "task" and row.get("assignee_id") is not None and unit_id != template_unit:
        row["assignee_id"] = users_by_unit.get(unit_id) if row["state"] == "open" else row["assignee_id"]
    if row.get("enterprise_id") is not None and row["enterprise_id"] == template[4]:
        row["enterprise_id"] = enterprise_id
    for table, column in UNIQUE_TEXT:
        if table == name and row.get(column):
            row[column] = f"{row[column][:20]}-{n:06d}"


def _flush(conn, metadata, pending):
    for name in OWNED_TABLES:
        if pending[name]:
            conn.execute(metadata.tables[name].insert(), pending[name])
            pending[name].clear()


def measure(app, requests_per_page):
    """Time the pages with signed-in test clients; return their p50/p95."""
    from workflow_app.extensions import db

    rng = random.Random(11)

    def client_for(username):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not sign in"
        return client

    with app.app_context():
        case_ids = [r[0] for r in db.session.execute(sa.text("SELECT id FROM case_record"))]
        names = [r[0] for r in db.session.execute(sa.text("SELECT name FROM enterprise ORDER BY id"))]
        numbers = [r[0] for r in db.session.execute(sa.text("SELECT number FROM case_record ORDER BY id LIMIT 500"))]
        handler = db.session.execute(
            sa.text(
                "SELECT u.username, count(*) FROM task t JOIN user_account u ON u.org_unit_id = t.org_unit_id "
                "JOIN user_role ur ON ur.user_id = u.id JOIN role r ON r.id = ur.role_id "
                "WHERE t.state = 'open' AND t.assignee_id IS NULL AND t.role = 'county_handler' "
                "AND r.name = 'county_handler' GROUP BY u.username ORDER BY count(*) DESC LIMIT 1"
            )
        ).first()
        db.session.remove()
    handler_client, supervisor = client_for(handler[0]), client_for("city_supervisor")
    pages = {
        "inbox": lambda: handler_client.get("/inbox?queue=group"),
        "case_page": lambda: supervisor.get(f"/cases/{rng.choice(case_ids)}"),
        "dashboard": lambda: supervisor.get("/supervision"),
        "case_list": lambda: supervisor.get("/cases/"),
        "case_search": lambda: supervisor.get(
            "/cases/", query_string={"q": rng.choice([rng.choice(names)[-8:], rng.choice(numbers)[:12]])}
        ),
    }
    figures = {}
    for name, fetch in pages.items():
        for _ in range(10):
            assert fetch().status_code == 200
        times = []
        for _ in range(requests_per_page):
            started = time.perf_counter()
            response = fetch()
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
        figures[name] = _percentiles(times)
    figures["inbox"]["queue_size"] = handler[1]
    return figures


def run(database, cases, requests_per_page, reuse=None, keep=False):
    from flask_migrate import upgrade

    from workflow_app.extensions import db

    folder = tempfile.mkdtemp()
    admin = name = None
    if reuse:
        app = make_app(reuse)
        with app.app_context():
            upgrade()  # a database seeded by an earlier run, brought up to this code's schema
            db.session.remove()
        return {"reused": True, "pages": measure(app, requests_per_page)}
    if database == "postgresql":
        url, admin, name = create_postgres_database("scale")
    else:
        url = f"sqlite:///{folder}/scale.sqlite"
    try:
        app = make_app(url)
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            seed_templates()
            templates = db.session.scalar(sa.text("SELECT count(*) FROM case_record"))
            copy_templates(db.engine, db.metadata, cases - templates)
            stats = {
                key: db.session.scalar(sa.text(sql))
                for key, sql in {
                    "cases": "SELECT count(*) FROM case_record",
                    "open_tasks": "SELECT count(*) FROM task WHERE state = 'open'",
                    "counties_with_open_tasks": "SELECT count(DISTINCT org_unit_id) FROM task WHERE state = 'open'",
                    "finished_cases": "SELECT count(*) FROM process_instance WHERE status IN ('completed', 'cancelled')",
                    "tasks": "SELECT count(*) FROM task",
                    "audit_events": "SELECT count(*) FROM audit_event",
                    "sla_clocks": "SELECT count(*) FROM sla_clock",
                }.items()
            }
            db.session.remove()
        seed_seconds = round(time.perf_counter() - started, 1)
        figures = measure(app, requests_per_page)
        with app.app_context():
            db.engine.dispose()
        return {"seed_s": seed_seconds, "templates": templates, "copies": cases - templates, **stats, "pages": figures}
    finally:
        if admin is not None and not keep:
            drop_postgres_database(admin, name)
        if keep:
            print(f"kept: {url}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), action="append")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database (its URL goes to stderr)")
    parser.add_argument("--reuse", metavar="URL", help="measure a database kept by --keep instead of seeding one")
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    os.environ.setdefault("APP_ENV", "testing")
    result = {"cpu_count": os.cpu_count(), "cases_wanted": args.cases, "requests_per_page": args.requests}
    for database in args.database or ["postgresql"]:
        result[database] = run(database, args.cases, args.requests, args.reuse, args.keep)
    # this shared machine's speed drifts by up to 2x between sessions: the bare engine's lifecycle (as
    # bench/http_lifecycle.py measures it) tells a reader how fast it ran
    from http_lifecycle import bare_engine

    result["bare_engine_lifecycle"] = bare_engine(300)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
