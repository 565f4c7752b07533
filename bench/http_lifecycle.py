"""One-user-task case lifecycles through the JSON API on a running app, beside the bare engine's floor.

A lifecycle: POST /cases (start), GET /tasks?queue=group (the inbox), POST /tasks/{id}/complete.
- sqlite: the development server (`flask run`, threads), an SQLite file; postgresql: gunicorn, 2 workers.
- p50/p95 of each call with one client; lifecycles per second with 1 and 4 clients; in rounds (`--rounds`, 3), each
  round one client's lifecycles and then 4 clients', with each round's figures beside the whole run's, and the bare
  engine's p50 as each round starts (`bare_engine_p50_ms_rounds`: the machine's speed then, which drifts here).
- bare_engine: SpiffWorkflow alone, in memory, the same lifecycle (spec parsed once; create, run, serialize;
  deserialize, complete the task, run, serialize) with its stock serializer.
- timer_latency_s: a running `flask worker` (default WORKER_POLL_SECONDS) firing 40 timers; delay from
  each timer's due time to its firing.

The clients share the machine's 2 cores with the server, so each is a plain keep-alive `http.client`
connection rather than `requests` (measured here: 0.7 ms of client CPU per call against 2.1 ms).

Prints one JSON document. Usage: python bench/http_lifecycle.py [--lifecycles 200] [--seconds 10] [--rounds 3]
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_stack import LiveStack, one_step_bpmn  # noqa: E402

TIMER_SECONDS = 2


def _percentiles(values):
    values = sorted(values)
    return {"p50_ms": round(statistics.median(values) * 1000, 2),
            "p95_ms": round(values[min(len(values) - 1, int(len(values) * 0.95))] * 1000, 2)}


class ApiClient:
    """One client of the JSON API: a keep-alive connection (opened again when the server closes it) and a token."""

    def __init__(self, url, token):
        address = urlsplit(url)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None, params=None):
        """Return (status, decoded JSON body)."""
        if params:
            path = f"{path}?{urlencode(params)}"
        self.connection.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def lifecycle(client, timings=None):
    """Start a case, read the group queue, complete the case's task; record the three durations."""
    t0 = time.perf_counter()
    status, created = client.call("POST", "/api/v1/cases", {"process": "one_step", "data": {}})
    t1 = time.perf_counter()
    assert status == 201, created
    status, inbox = client.call("GET", "/api/v1/tasks", params={"queue": "group"})
    t2 = time.perf_counter()
    assert status == 200, inbox
    task_id = created["current_steps"][0]["id"]
    status, done = client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": {}})
    t3 = time.perf_counter()
    assert status == 200, done
    if timings is not None:
        timings["create"].append(t1 - t0)
        timings["inbox"].append(t2 - t1)
        timings["complete"].append(t3 - t2)
        timings["lifecycle"].append(t3 - t0)


def measure_server(stack, lifecycles, seconds, rounds=3):
    """Rounds of (one client: `lifecycles` lifecycles; then 4 clients for `seconds`), taken in turn, so that a spell of
    the shared machine running slow weighs on one round, not on one figure. Per call: p50/p95 of every round's
    lifecycles together, and each round's p50; lifecycles per second: the median round, and each round's."""
    one = ApiClient(stack.url, stack.tokens[0])
    for _ in range(20):  # warm up: caches, connections, the parsed spec
        lifecycle(one)
    timings = {"create": [], "inbox": [], "complete": [], "lifecycle": []}
    per_round = {name: [] for name in timings}
    rates = {"1": [], "4": []}
    bare, bare_rounds = BareEngine(), []
    for _round in range(rounds):
        bare_rounds.append(bare.measure(100)["p50_ms"])  # the machine's speed as this round starts
        this_round = {name: [] for name in timings}
        started = time.perf_counter()
        for _ in range(lifecycles):
            lifecycle(one, this_round)
        rates["1"].append(round(lifecycles / (time.perf_counter() - started), 1))
        rates["4"].append(round(lifecycles_per_second(stack, 4, seconds), 1))
        for name, values in this_round.items():
            timings[name] += values
            per_round[name].append(_percentiles(values)["p50_ms"])
    return {**{name: _percentiles(values) | {"p50_ms_rounds": per_round[name]} for name, values in timings.items()},
            "lifecycles_per_s": {clients: statistics.median(values) for clients, values in rates.items()},
            "lifecycles_per_s_rounds": rates, "bare_engine_p50_ms_rounds": bare_rounds}


def lifecycles_per_second(stack, clients, seconds) -> float:
    """Lifecycles per second of `clients` concurrent clients (each with its own token) for `seconds`."""
    counts = [0] * clients

    def client(n):
        api = ApiClient(stack.url, stack.tokens[n])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lifecycle(api)
            counts[n] += 1
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def timer_latency(stack, count=40):
    """Start cases whose timers fall due TIMER_SECONDS later, staggered; return the delays to their firing."""
    client = ApiClient(stack.url, stack.tokens[0])
    stack.start_worker()
    for _ in range(count):
        assert client.call("POST", "/api/v1/cases", {"process": "timed_step"})[0] == 201
        time.sleep(0.05)
    engine = stack.engine()
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while conn.scalar(sa.text("SELECT count(*) FROM timer")) and time.monotonic() < deadline:
            time.sleep(0.2)
        rows = conn.execute(sa.text(
            "SELECT i.created_at, a.at FROM audit_event a JOIN process_instance i ON i.id = a.instance_id "
            "WHERE a.kind = 'timer_fired' AND i.process_id = 'timed_step'")).all()
    engine.dispose()
    delays = sorted((fired - created - timedelta(seconds=TIMER_SECONDS)).total_seconds() for created, fired in rows)
    return {"p50": round(statistics.median(delays), 3), "max": round(delays[-1], 3), "timers": len(delays)}


class BareEngine:
    """The same lifecycle in SpiffWorkflow alone, in memory (the floor; also the machine's speed at a moment)."""

    def __init__(self):
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
        from SpiffWorkflow.util.task import TaskState
        from lxml import etree
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(etree.ElementTree(etree.fromstring(one_step_bpmn().encode())), filename="one_step.bpmn")
        self.spec = parser.get_spec("one_step")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.workflow_class, self.ready = BpmnWorkflow, TaskState.READY  # imported once, not in the timed loop

    def lifecycle(self):
        workflow = self.workflow_class(self.spec)
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        workflow = self.serializer.deserialize_json(state)
        task = workflow.get_tasks(state=self.ready, manual=True)[0]
        task.data.update({"comment": ""})
        task.run()
        workflow.do_engine_steps()
        self.serializer.serialize_json(workflow)

    def measure(self, lifecycles, warm_up=20) -> dict:
        durations = []
        for n in range(lifecycles + warm_up):
            t0 = time.perf_counter()
            self.lifecycle()
            if n >= warm_up:
                durations.append(time.perf_counter() - t0)
        return _percentiles(durations) | {"lifecycles_per_s": round(1 / statistics.median(durations), 1)}


def bare_engine(lifecycles):
    """The bare engine's lifecycle figures (p50/p95 and the rate)."""
    return BareEngine().measure(lifecycles)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifecycles", type=int, default=200, help="each round's one-client lifecycles")
    parser.add_argument("--seconds", type=float, default=10, help="each round's 4-client run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    result = {"cpus": os.cpu_count(), "bare_engine": bare_engine(args.lifecycles)}
    sources = {"one_step.bpmn": one_step_bpmn(), "timed_step.bpmn": one_step_bpmn("timed_step", timer=f"PT{TIMER_SECONDS}S")}
    for database in args.databases.split(","):
        stack = LiveStack(database, clients=4, sources=sources)
        try:
            stack.start_web("gunicorn" if database == "postgresql" else "flask")
            result[database] = {"server": "gunicorn -w 2" if database == "postgresql" else "flask run (threaded)",
                                **measure_server(stack, args.lifecycles, args.seconds, args.rounds)}
            if database == "postgresql":
                result["timer_latency_s"] = timer_latency(stack)
        finally:
            stack.stop()
    pg = result.get("postgresql", {})
    result["targets"] = {
        "complete_p50_ms_sqlite_le_7": result.get("sqlite", {}).get("complete", {}).get("p50_ms", 1e9) <= 7,
        "complete_p50_ms_postgresql_le_9": pg.get("complete", {}).get("p50_ms", 1e9) <= 9,
        "lifecycles_per_s_4_clients_postgresql_ge_80": pg.get("lifecycles_per_s", {}).get("4", 0) >= 80,
        "timer_latency_p50_s_le_2": result.get("timer_latency_s", {}).get("p50", 1e9) <= 2,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
