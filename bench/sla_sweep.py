"""Cost of the SLA escalation sweep (workflow_app.sla.escalation.run_sla_sweep) over many open tasks.

For each database (SQLite in a temp file, PostgreSQL in a scratch database) and each size N, a fresh
database is migrated, seeded with the demo org units/users/roles and the deployed bpmn/, then bulk-filled
with N running referral instances, their case records, N open tasks (role county_handler, the counties
round robin, half of those in a county with a handler claimed) and N running task clocks whose
next_escalation_at is spread over the next 30 days except for a share (--due-share, 1%) that is due at the
sweep's `now`, a third each at ladder level 0, 1 and 2 (so a sweep warns, issues county notices and
escalates to the city, one step per clock).

sweep_s:      run_sla_sweep(now) with that share due; p50 and max of --repeats runs, each on the same work
              (the due clocks reset and the notices/notifications it made deleted, untimed, between runs);
              first_run_s is the warm-up run before them (cold statement and calendar caches), left out of
              p50/max; sweep_cpu_s is the p50 of this process's CPU time in a sweep (the database server's
              left out), steadier than wall time on a shared machine.
idle_sweep_s: run_sla_sweep(now) when nothing is due (after the runs: the pure index probe), median of 5.
statements:   SQL statements one sweep sends (the sweep must not grow with N, only with the due clocks).
claim_plan:   the plan of the sweep's own claim query (captured as it ran: SELECT ... WHERE next_escalation_at
              <= now ORDER BY ... LIMIT ... FOR UPDATE SKIP LOCKED); PostgreSQL's must use
              ix_sla_clock_next_escalation_at (asserted), claim_ms is its EXPLAIN ANALYZE execution time
              (with the due clocks due again, rolled back).

Prints one JSON document. Usage: python bench/sla_sweep.py [--sizes 10000,100000]
[--databases sqlite,postgresql] [--repeats 5] [--due-share 0.01]
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from scratch_database import create_postgres_database, drop_postgres_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLAIM_INDEX = "ix_sla_clock_next_escalation_at"
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
CHUNK = 5000
# a running referral's serialized state is 6-10 KB; the due instances get one that size (the sweep loads them),
# the rest a placeholder (nothing reads them; 100,000 real ones would only make seeding slow)
DUE_STATE_JSON = json.dumps({"bench": "x" * 7000})
IDLE_RUNS = 5


def seed(n, due_share):
    """Fill the open work; return the due clocks as {id: (level, next_escalation_at)}."""
    from workflow_app.auth.models import OrgUnit, User
    from workflow_app.cases.models import Case
    from workflow_app.demo import seed_demo
    from workflow_app.engine.models import ProcessInstance, ProcessVersion, Task
    from workflow_app.engine.operations import deploy_sources, read_sources
    from workflow_app.extensions import db
    from workflow_app.sla.models import SlaClock

    seed_demo("bench-password")
    deploy_sources(read_sources([ROOT / "bpmn"]))
    db.session.commit()
    version_id = db.session.scalar(
        sa.select(ProcessVersion.id)
        .where(ProcessVersion.process_id == "referral")
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )
    counties = list(db.session.scalars(sa.select(OrgUnit.id).where(OrgUnit.level == "county").order_by(OrgUnit.id)))
    handlers = {u.org_unit_id: u.id for u in db.session.scalars(sa.select(User).where(User.username.like("%_handler")))}
    every = max(1, round(1 / due_share)) if due_share > 0 else n + 1
    due = {}
    instances, cases, tasks, clocks = [], [], [], []

    def flush():
        for model, rows in ((ProcessInstance, instances), (Case, cases), (Task, tasks), (SlaClock, clocks)):
            if rows:
                db.session.execute(sa.insert(model.__table__), rows)
                rows.clear()

    for i in range(n):
        ident = i + 1
        unit = counties[i % len(counties)]
        level = i % 3
        if i % every == 0:  # due now, the step at its level has come within the last hour
            nxt = NOW - timedelta(seconds=1 + (i * 37) % 3600)
            due_at = {0: NOW + timedelta(days=2), 1: nxt, 2: NOW - timedelta(days=10)}[level]
            warn_at = nxt if level == 0 else due_at - timedelta(days=2)
            due[ident] = (level, nxt)
            state_json = DUE_STATE_JSON
        else:  # some time in the next 30 days
            nxt = NOW + timedelta(seconds=60 + (i * 7919) % (30 * 86400))
            due_at = {0: nxt + timedelta(days=2), 1: nxt, 2: nxt - timedelta(days=3)}[level]
            warn_at = nxt if level == 0 else due_at - timedelta(days=2)
            state_json = "{}"
        started = due_at - timedelta(days=7)
        instances.append(
            {
                "id": ident,
                "process_version_id": version_id,
                "process_id": "referral",
                "status": "running",
                "org_unit_id": unit,
                "state_json": state_json,
                "serializer_version": "1.3",
                "lock_version": 1,
                "current_step": "协调解决",
                "created_at": started,
                "updated_at": started,
            }
        )
        cases.append(
            {
                "id": ident,
                "number": f"ZB-BENCH-{ident:07d}",
                "instance_id": ident,
                "process_id": "referral",
                "title": f"bench case {ident}",
                "priority": "normal",
                "created_at": started,
            }
        )
        tasks.append(
            {
                "id": ident,
                "instance_id": ident,
                "spiff_task_id": str(uuid.uuid4()),
                "bpmn_id": "handle",
                "name": "协调解决",
                "role": "county_handler",
                "org_unit_id": unit,
                "assignee_id": handlers.get(unit) if i % 2 else None,
                "sla": "5wd",
                "sla_urgent": "2wd",
                "due_at": due_at,
                "warn_at": warn_at,
                "due_provisional": False,
                "state": "open",
                "created_at": started,
            }
        )
        clocks.append(
            {
                "id": ident,
                "instance_id": ident,
                "task_id": ident,
                "kind": "task",
                "phase": "handling",
                "process_id": "referral",
                "org_unit_id": unit,
                "sla": "5wd",
                "escalates": True,
                "started_at": started,
                "counted_from": started,
                "base_due_at": due_at,
                "due_at": due_at,
                "warn_at": warn_at,
                "due_provisional": False,
                "pauses": [],
                "paused_seconds": 0,
                "extension_days": 0,
                "extensions": [],
                "send_backs": 0,
                "reopens": 0,
                "level": level,
                "next_escalation_at": nxt,
            }
        )
        if len(clocks) >= CHUNK:
            flush()
    flush()
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("process_instance", "case_record", "task", "sla_clock"):
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    db.session.commit()
    return due


def reset(due):
    """Put the due clocks back where the seed left them and drop what a sweep made (untimed)."""
    from workflow_app.extensions import db
    from workflow_app.notifications.models import Notification
    from workflow_app.sla.models import SlaClock, SupervisionNotice

    db.session.remove()
    db.session.execute(sa.delete(Notification.__table__))
    db.session.execute(sa.delete(SupervisionNotice.__table__))
    table = SlaClock.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(level=sa.bindparam("b_level"), next_escalation_at=sa.bindparam("b_next")),
        [{"b_id": ident, "b_level": level, "b_next": nxt} for ident, (level, nxt) in due.items()],
    )
    db.session.commit()
    db.session.remove()
    vacuum()


def vacuum():
    """PostgreSQL: what autovacuum would have done by the next sweep (dead rows gone, statistics fresh)."""
    from workflow_app.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


class Recorder:
    """Counts the statements sent and keeps the sweep's claim query as the driver saw it."""

    def __init__(self, engine):
        self.count = 0
        self.claim = None
        sa.event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        flat = " ".join(statement.split())
        if (
            self.claim is None
            and flat.startswith("SELECT sla_clock.id FROM sla_clock")
            and "next_escalation_at <=" in flat
            and "LIMIT" in flat
        ):
            self.claim = (statement, parameters)


def explain_claim(claim):
    """The claim query's plan as text lines, the index names it uses, and (PostgreSQL) its run time."""
    from workflow_app.extensions import db

    statement, parameters = claim
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            lines = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
            [[analyzed]] = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).all()
            conn.rollback()  # the analyzed run took row locks
            plan = analyzed[0] if isinstance(analyzed, list) else json.loads(analyzed)[0]
            names = []

            def walk(node):
                if "Index Name" in node:
                    names.append(node["Index Name"])
                for child in node.get("Plans", []):
                    walk(child)

            walk(plan["Plan"])
            return lines, names, round(plan["Execution Time"], 3)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        lines = [row[-1] for row in rows]
        names = [m.group(1) for line in lines for m in [re.search(r"INDEX (\w+)", line)] if m]
        return lines, names, None


def measure(database_url, n, repeats, due_share):
    from flask_migrate import upgrade

    from config import TestingConfig
    from workflow_app import create_app
    from workflow_app.extensions import db
    from workflow_app.sla.escalation import run_sla_sweep

    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})
    app = create_app(config)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        due = seed(n, due_share)
        vacuum()
        seed_s = time.perf_counter() - started
        expected = {
            "clocks": len(due),
            "warned": sum(1 for lv, _ in due.values() if lv == 0),
            "notices": sum(1 for lv, _ in due.values() if lv == 1),
            "escalated": sum(1 for lv, _ in due.values() if lv == 2),
        }
        recorder = Recorder(db.engine)

        def sweep():
            db.session.remove()
            before = recorder.count
            began, began_cpu = time.perf_counter(), time.process_time()
            counts = run_sla_sweep(NOW)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
            db.session.remove()
            return elapsed, cpu, counts, recorder.count - before

        first, _, counts, _ = sweep()
        assert counts == expected, (counts, expected)
        times, cpu_times, statements = [], [], []
        for _ in range(repeats):
            reset(due)
            elapsed, cpu, counts, sent = sweep()
            assert counts == expected, (counts, expected)
            times.append(elapsed)
            cpu_times.append(cpu)
            statements.append(sent)
        idle = []
        for _ in range(IDLE_RUNS):
            elapsed, _, counts, idle_sent = sweep()
            assert counts["clocks"] == 0, counts
            idle.append(elapsed)
        assert recorder.claim is not None, "the sweep's claim query was not seen"
        reset(due)  # explain it with the work due, as the sweep found it
        plan, indexes, claim_ms = explain_claim(recorder.claim)
        db.session.remove()
        db.engine.dispose()
    result = {
        "due": len(due),
        "steps": {k: v for k, v in expected.items() if k != "clocks"},
        "sweep_s": {"p50": round(statistics.median(times), 4), "max": round(max(times), 4)},
        "sweep_cpu_s": round(statistics.median(cpu_times), 4),
        "first_run_s": round(first, 4),
        "idle_sweep_s": round(statistics.median(idle), 4),
        "statements": {"sweep": max(statements), "idle_sweep": idle_sent},
        "claim_plan": plan,
        "claim_indexes": indexes,
        "seed_s": round(seed_s, 1),
    }
    if claim_ms is not None:
        result["claim_ms"] = claim_ms
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="open task counts, comma separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--repeats", type=int, default=5, help="timed sweeps per size")
    parser.add_argument("--due-share", type=float, default=0.01, help="share of the clocks due at the sweep")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    import logging

    logging.disable(logging.INFO)

    result = {"cpu_count": os.cpu_count()}
    for database in databases:
        section = {}
        for n in sizes:
            if database == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    section[f"open_tasks_{n}"] = measure(
                        f"sqlite:///{folder}/bench.sqlite", n, args.repeats, args.due_share
                    )
            else:
                url, admin, name = create_postgres_database("bench_sla")
                try:
                    section[f"open_tasks_{n}"] = measure(url, n, args.repeats, args.due_share)
                finally:
                    drop_postgres_database(admin, name)
                    admin.dispose()
        used = {name for entry in section.values() for name in entry["claim_indexes"]}
        if database == "postgresql":
            assert used == {CLAIM_INDEX}, f"the claim query does not use {CLAIM_INDEX} alone: {sorted(used)}"
        section["claim_index"] = ",".join(sorted(used)) or None
        result[database] = section
    result["target"] = "100,000 open tasks on PostgreSQL under 1 s"
    if "postgresql" in result and "open_tasks_100000" in result["postgresql"]:
        result["target_met"] = result["postgresql"]["open_tasks_100000"]["sweep_s"]["max"] < 1.0
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
