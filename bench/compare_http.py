"""Two versions of the code served side by side, measured in turn lifecycle by lifecycle (paired against drift).

This machine's speed drifts by up to 50% within minutes, so runs of the old code and then the new cannot
tell a 5% change. Here both are served at once (each its own fresh database) and one client alternates
between them; then 4 clients run on each in alternating 2-second phases. Prints one JSON document with the
p50 of each call and the median 4-client rate, for "old" and "new".

Usage: git worktree add /tmp/old <rev>; python bench/compare_http.py --old /tmp/old [--database sqlite]
"""

import argparse
import json
import statistics
from pathlib import Path

import live_stack
from http_lifecycle import ApiClient, lifecycle, lifecycles_per_second
from live_stack import ROOT, LiveStack


def serve(tree: Path, database: str) -> LiveStack:
    """A live stack whose web server runs the code of `tree` (the database is prepared by this checkout's code)."""
    stack = LiveStack(database, clients=4)
    stack.env["PYTHONPATH"] = str(tree)
    saved, live_stack.ROOT = live_stack.ROOT, tree  # start_web runs the server in ROOT
    try:
        stack.start_web("gunicorn" if database == "postgresql" else "flask")
    finally:
        live_stack.ROOT = saved
    return stack


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the old code (git worktree)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the new code (default: this checkout)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--lifecycles", type=int, default=300, help="per version, one client")
    parser.add_argument("--phases", type=int, default=6, help="4-client phases per version")
    args = parser.parse_args()
    stacks = {}
    try:
        for name, tree in (("old", args.old), ("new", args.new)):
            stacks[name] = serve(tree.resolve(), args.database)
        clients = {name: ApiClient(stack.url, stack.tokens[0]) for name, stack in stacks.items()}
        for _ in range(30):  # warm up both
            for api in clients.values():
                lifecycle(api)
        timings = {name: {"create": [], "inbox": [], "complete": [], "lifecycle": []} for name in stacks}
        for i in range(args.lifecycles):
            for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
                lifecycle(clients[name], timings[name])
        rates = {name: [] for name in stacks}
        for phase in range(args.phases):
            for name in ("old", "new") if phase % 2 == 0 else ("new", "old"):
                rates[name].append(lifecycles_per_second(stacks[name], 4, 2.0))
        result = {"database": args.database}
        for name in stacks:
            result[name] = {
                call: {"p50_ms": round(statistics.median(values) * 1000, 2)} for call, values in timings[name].items()
            }
            result[name]["lifecycles_per_s_4_clients"] = round(statistics.median(rates[name]), 1)
        print(json.dumps(result, indent=2))
    finally:
        for stack in stacks.values():
            stack.stop()


if __name__ == "__main__":
    main()
