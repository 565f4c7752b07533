"""What the PostgreSQL backends of the web workers wait on while 4 clients run lifecycles through the JSON API.

A sampler reads pg_stat_activity every 2 ms (in autocommit: within a transaction PostgreSQL shows one snapshot
of it) while `bench/http_lifecycle.py`'s 4 clients run against gunicorn with 2 workers. Each sample counts the
app's backends by what they do: running (`active`), waiting on a lock (`Lock`, with the statement), on the WAL
(`IO WALSync`: a commit's flush), or on the app (`Client ClientRead`: idle, or in a transaction while a worker
computes). A lock wait idles a worker while the other may not be able to use the CPU it leaves; this is how the
case-number counter row was found (a start held it locked to its commit: 6.6% of the samples had a backend
waiting on it).

Prints one JSON document: the 4 clients' rate, the number of samples, and per kind of wait the mean number of
backends in it per sample. Usage: python bench/lock_waits.py [--seconds 10]
"""

import argparse
import collections
import json
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_lifecycle import ApiClient, lifecycle, lifecycles_per_second  # noqa: E402
from live_stack import LiveStack  # noqa: E402

_ACTIVITY = sa.text(
    "SELECT state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND backend_type = 'client backend'"
)


def sample_waits(engine, stop: threading.Event, counts: collections.Counter, samples: list) -> None:
    """Count the backends of each (state, wait) every 2 ms until `stop`; a lock wait is keyed with its statement."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while not stop.is_set():
            for state, kind, event, query in connection.execute(_ACTIVITY):
                key = f"{state} {kind or '-'} {event or '-'}"
                counts[f"{key}: {query}" if kind == "Lock" else key] += 1
            samples[0] += 1
            time.sleep(0.002)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the 4 clients run")
    args = parser.parse_args()
    stack = LiveStack("postgresql", clients=4)
    try:
        stack.start_web("gunicorn", workers=2)
        warm = ApiClient(stack.url, stack.tokens[0])
        for _ in range(30):
            lifecycle(warm)
        engine = stack.engine()
        counts, samples, stop = collections.Counter(), [0], threading.Event()
        sampler = threading.Thread(target=sample_waits, args=(engine, stop, counts, samples))
        sampler.start()
        try:
            rate = lifecycles_per_second(stack, 4, args.seconds)
        finally:
            stop.set()
            sampler.join()
            engine.dispose()
        print(
            json.dumps(
                {
                    "lifecycles_per_s_4_clients": round(rate, 1),
                    "samples": samples[0],
                    "backends_per_sample": {key: round(count / samples[0], 4) for key, count in counts.most_common()},
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
