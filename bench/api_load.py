"""Load through the JSON API: N clients start one-user-task cases and complete tasks of their shared group
queue for S seconds on PostgreSQL with gunicorn (2 workers). Two clients often pick the same task: one wins,
the other gets 409 (an expected conflict). Afterwards the database is checked against the clients' own
records: every completion a client was told of is in the database once, none is lost or doubled, and the
audit trail counts the same.

Prints one JSON document. Usage: python bench/api_load.py [--clients 8] [--seconds 60] [--database postgresql]
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_stack import LiveStack  # noqa: E402


def run_load(stack: LiveStack, clients: int, seconds: float, process="one_step") -> dict:
    """Drive the API with `clients` threads for `seconds`; return what they saw and what the database holds."""
    deadline = time.monotonic() + seconds
    records = [{"created": [], "completed": [], "conflicts": 0, "errors": []} for _ in range(clients)]

    def client(token, record):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        rng = random.Random(token)
        while time.monotonic() < deadline:
            response = session.post(f"{stack.url}/api/v1/cases", json={"process": process, "data": {}}, timeout=30)
            if response.status_code == 201:
                record["created"].append(response.json()["id"])
            else:
                record["errors"].append(f"create {response.status_code}: {response.text[:200]}")
            listing = session.get(f"{stack.url}/api/v1/tasks", params={"queue": "group", "per_page": 10}, timeout=30)
            if listing.status_code != 200:
                record["errors"].append(f"list {listing.status_code}: {listing.text[:200]}")
                continue
            items = listing.json()["items"]
            if not items:
                continue
            task_id = rng.choice(items)["id"]
            done = session.post(f"{stack.url}/api/v1/tasks/{task_id}/complete", json={"data": {}}, timeout=30)
            if done.status_code == 200:
                record["completed"].append(task_id)
            elif done.status_code == 409:
                record["conflicts"] += 1
            else:
                record["errors"].append(f"complete {done.status_code}: {done.text[:200]}")

    started = time.monotonic()
    threads = [
        threading.Thread(target=client, args=(token, record))
        for token, record in zip(stack.tokens[:clients], records, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    told = [task_id for record in records for task_id in record["completed"]]
    created = [case_id for record in records for case_id in record["created"]]
    engine = stack.engine()
    with engine.connect() as conn:
        stored = set(conn.scalars(sa.text("SELECT id FROM task WHERE state = 'completed'")))
        audited = conn.scalar(sa.text("SELECT count(*) FROM audit_event WHERE kind = 'task_completed'"))
        cases = conn.scalar(sa.text("SELECT count(*) FROM case_record"))
    engine.dispose()
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "cases_created": len(created),
        "cases_stored": cases,
        "completions": len(told),
        "completions_per_s": round(len(told) / elapsed, 1),
        "requests_per_s": round((len(created) * 2 + len(told) + sum(r["conflicts"] for r in records)) / elapsed, 1),
        "conflicts": sum(r["conflicts"] for r in records),
        "errors": [e for r in records for e in r["errors"]][:20],
        "error_count": sum(len(r["errors"]) for r in records),
        "duplicated_completions": sum(n - 1 for n in Counter(told).values() if n > 1),
        "lost_completions": len(stored - set(told)),  # completed in the database, no client was told
        "phantom_completions": len(set(told) - stored),  # a client was told, the database does not have it
        "stored_completions": len(stored),
        "audited_completions": audited,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    stack = LiveStack(args.database, args.clients)
    try:
        stack.start_web("gunicorn" if args.database == "postgresql" else "flask")
        result = run_load(stack, args.clients, args.seconds)
        check = stack.flask("processes", "check")
        result["consistency_check"] = check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr[-300:]
        result["consistent"] = check.returncode == 0
    finally:
        stack.stop()
    result.update(
        database=args.database,
        server="gunicorn -w 2" if args.database == "postgresql" else "flask run",
        cpus=os.cpu_count(),
    )
    result["target_met"] = (
        result["error_count"] == 0
        and result["duplicated_completions"] == 0
        and result["lost_completions"] == 0
        and result["phantom_completions"] == 0
        and result["stored_completions"] == result["audited_completions"]
        and result["consistent"]
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
