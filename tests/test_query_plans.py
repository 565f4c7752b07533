"""Every query of the inbox, the supervision dashboard, the SLA sweep and the timer claim is index-backed.

The statements are those the pages and the worker really run (caught as they execute). Each is then
explained with full scans and sorts made a last resort (PostgreSQL: enable_seqscan and enable_sort off):
a full scan of a large table still there means no index can serve the query, and a sort still there
under a page's LIMIT means no index gives the page's order. On SQLite the full scans are checked.
"""

import json

import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, statements_run
from tests.sla.conftest import sh
from workflow_app.cases.models import Case
from workflow_app.cases.queries import case_text_condition
from workflow_app.engine.queries import due_timer_instance_ids
from workflow_app.extensions import db
from workflow_app.sla.escalation import run_sla_sweep

# the tables that grow with the cases; the others (org units, roles, users, versions) stay small
LARGE = {
    "task",
    "sla_clock",
    "process_instance",
    "case_record",
    "audit_event",
    "timer",
    "supervision_notice",
    "notification",
    "case_comment",
    "attachment",
}


def _postgres_nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _postgres_nodes(child)


def postgres_plan(conn, statement, parameters) -> list[dict]:
    """The nodes of the statement's PostgreSQL plan, with full scans and sorts made a last resort.

    (A test database has a few rows, where a full scan is cheapest; at scale it is not.)
    """
    conn.exec_driver_sql("SET enable_seqscan = off")
    conn.exec_driver_sql("SET enable_sort = off")
    [(document,)] = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).all()
    conn.rollback()
    document = json.loads(document) if isinstance(document, str) else document
    return list(_postgres_nodes(document[0]["Plan"]))


def plan_problems(statement, parameters) -> list[str]:
    """The full scans of large tables, and the sorts under a LIMIT, in the statement's plan."""
    problems = []
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            nodes = postgres_plan(conn, statement, parameters)
            limited = nodes[0]["Node Type"] == "Limit"
            for node in nodes:
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE:
                    problems.append(f"full scan of {node['Relation Name']}")
                if limited and node["Node Type"] == "Sort":
                    problems.append(f"sort by {node.get('Sort Key')}")
        else:
            # SQLite: full scans only (without statistics its planner prefers a lookup and a sort to an
            # ordered index scan, so the order is checked on PostgreSQL, the production database)
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all():
                words = row[-1].split()
                if words[:1] == ["SCAN"] and words[1] in LARGE and "INDEX" not in row[-1]:
                    problems.append(f"full scan of {words[1]}")
    return problems


@pytest.fixture
def busy_bureau(bureau, create_referral, clock):
    """Referrals in two counties, one overdue (a supervision notice), a due timer: every query has rows to read."""
    clock.freeze_clock(sh("2026-11-02 09:00"))
    create_referral(HUAYU)
    clock.freeze_clock(sh("2026-11-20 10:00"))
    create_referral(LVYUAN, category="融资", description="企业咨询贷款贴息")
    run_sla_sweep()
    db.session.commit()
    return bureau


def _problems_of(seen):
    found = {}
    for statement, parameters in seen:
        problems = plan_problems(statement, parameters)
        if problems:
            found[" ".join(statement.split())[:300]] = problems
    return found


@pytest.mark.parametrize(
    "username, path",
    [
        ("kuiwen_handler", "/inbox?queue=group"),
        ("kuiwen_handler", "/inbox?queue=mine"),
        ("kuiwen_supervisor", "/inbox?queue=unit"),
        ("kuiwen_supervisor", "/inbox?queue=enterprise"),
        ("kuiwen_handler", "/"),
        ("kuiwen_supervisor", "/upcoming?days=90"),
        ("city_supervisor", "/upcoming?days=90"),
        ("city_supervisor", "/supervision"),
        ("city_supervisor", "/supervision/work"),
        ("city_supervisor", "/cases/"),
    ],
)
def test_the_pages_queries_are_index_backed(app, busy_bureau, client_as, username, path):
    client = client_as(username)
    with statements_run() as seen:
        assert client.get(path).status_code == 200
    assert seen
    assert _problems_of(seen) == {}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("text", ["华宇精密", "ZB-2026", "社保"])
def test_the_case_search_reads_the_trigram_indexes(app, busy_bureau, text):
    """PostgreSQL finds the cases containing a text from its trigram indexes, not by reading every case.

    (The list may still walk its newest-first index instead, when most cases match: the planner's choice.)
    """
    with statements_run() as seen:
        db.session.scalar(sa.select(sa.func.count(Case.id)).where(case_text_condition(text)))
    assert len(seen) == 2  # the matching enterprises, then the cases
    for statement, parameters in seen:
        with db.engine.connect() as conn:
            used = {node.get("Index Name") for node in postgres_plan(conn, statement, parameters)}
        searched = (
            {"ix_case_record_number_trgm", "ix_case_record_title_trgm"}
            if "FROM case_record" in statement
            else {"ix_enterprise_name_trgm"}
        )
        if "FROM case_record" in statement and "enterprise_id IN (NULL)" not in statement:
            searched.add("ix_case_record_enterprise_id")  # the cases of the enterprises found
        assert searched <= used, statement


def test_the_sweep_and_the_timer_claim_are_index_backed(app, busy_bureau, clock):
    with statements_run() as seen:
        run_sla_sweep(sh("2026-11-25 10:00"))
        due_timer_instance_ids(sh("2026-11-25 10:00"))
    db.session.rollback()
    assert any("next_escalation_at" in s for s, _ in seen) and any("FROM timer" in s for s, _ in seen)
    assert _problems_of(seen) == {}


def test_a_query_without_an_index_is_caught(app, busy_bureau):
    """The check itself: a filter and an order no index serves are reported."""
    with statements_run() as seen:
        db.session.execute(sa.text("SELECT id FROM task WHERE bpmn_id = 'sign_for' LIMIT 5")).all()
        db.session.execute(sa.text("SELECT id FROM task WHERE state = 'open' ORDER BY name LIMIT 5")).all()
    problems = list(_problems_of(seen).values())
    assert problems[0] == ["full scan of task"]
    if db.engine.dialect.name == "postgresql":
        assert len(problems) == 2 and problems[1][0].startswith("sort by")
