"""Instructions per API lifecycle, counted by valgrind's callgrind: a figure that does not drift with the machine.

This VM's speed moves by up to 2x within minutes, so timings of two versions of the code tell a 5% change only
when taken side by side (bench/compare_http.py). Counting the instructions the application executes does not
depend on the machine's speed: the same code, inputs and environment count the same (the same code counted
three times here on fresh databases: 26.73M, 26.77M, 26.82M per lifecycle, within 0.4%).
What it counts: one process running lifecycles (start a case, read the group queue, complete the task) through
Flask's test client against a fresh database, user-space instructions only; not the kernel (each round trip to
PostgreSQL costs the process system time too), not the database server, not an HTTP server. So it judges a change
to the application's own work; bench/http_lifecycle.py remains the measure of the served whole.

Each version runs twice under callgrind, with 10 and with 60 lifecycles; the difference over 50 is one lifecycle's
count (start-up, migrations and warm-up cancel out). About a minute per run.

Prints one JSON document. Usage: python bench/instructions.py [--database postgresql|sqlite] [--old TREE]
(`git worktree add /tmp/old <rev>` for --old; both versions run against the same kind of database).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNS = (10, 60)


def run_lifecycles(count: int) -> None:
    """The measured process: `count` lifecycles through the test client (the stack's database and token from env)."""
    import config
    from workflow_app import create_app

    settings = type(
        "Counted",
        (config.ProductionConfig,),
        {"SQLALCHEMY_DATABASE_URI": os.environ["COUNTED_DATABASE_URL"], "SECRET_KEY": "counted-" + "x" * 24},
    )
    client = create_app(settings).test_client()
    headers = {"Authorization": f"Bearer {os.environ['COUNTED_TOKEN']}"}
    for _ in range(count):
        created = client.post("/api/v1/cases", json={"process": "one_step", "data": {}}, headers=headers)
        assert created.status_code == 201, created.json
        assert client.get("/api/v1/tasks", query_string={"queue": "group"}, headers=headers).status_code == 200
        task_id = created.json["current_steps"][0]["id"]
        done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}, headers=headers)
        assert done.status_code == 200, done.json


def count_instructions(tree: Path, stack, lifecycles: int) -> int:
    """Run `lifecycles` lifecycles of the code in `tree` under callgrind; return the instructions it counted."""
    env = {
        **stack.env,
        "PYTHONPATH": str(tree),
        "COUNTED_DATABASE_URL": stack.database_url,
        "COUNTED_TOKEN": stack.tokens[0],
    }
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(Path(__file__).resolve()),
            "--inner",
            str(lifecycles),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the counted run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found.group(1))


def per_lifecycle(tree: Path, database: str) -> dict:
    from live_stack import LiveStack  # here, not at the top: the counted process imports the code of its own tree

    stack = LiveStack(database, clients=1)
    try:
        counts = {n: count_instructions(tree, stack, n) for n in RUNS}
    finally:
        stack.stop()
    return {
        "instructions_per_lifecycle": round((counts[RUNS[1]] - counts[RUNS[0]]) / (RUNS[1] - RUNS[0])),
        "instructions": {str(n): count for n, count in counts.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--old", type=Path, help="a checkout of the old code to count beside this one")
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner is not None:
        run_lifecycles(args.inner)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    result = {"database": args.database, "lifecycles_counted": list(RUNS)}
    sys.path.insert(0, str(BENCH))
    root = BENCH.parent
    versions = (("old", args.old.resolve()), ("new", root)) if args.old else (("new", root),)
    for name, tree in versions:
        result[name] = per_lifecycle(tree, args.database)
    if args.old:
        old, new = (result[name]["instructions_per_lifecycle"] for name in ("old", "new"))
        result["change"] = f"{(new - old) / old:+.1%}"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
