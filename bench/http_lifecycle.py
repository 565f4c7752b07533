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
- forms: the same lifecycle with a form of about ten fields filled in through the API's completion, one client,
  alternating lifecycle by lifecycle (against the machine's drift) between three one-task processes:
  `one_step` (no form: confirm), `wtforms_step` (the WTForms form `loan_extension_apply`, 12 fields, named by
  formKey: a bench cannot register a WTForms class without Python in the app, so it borrows the bureau's) and
  `schema_step` (a JSON Schema form of 10 fields of the kinds the bureau's forms have: texts with maxLength, an
  integer with bounds, a oneOf choice, a date, a money-yuan amount, a boolean, a cn-mobile, 2 rows of an array).
  `complete_ratio_json_schema_to_wtforms` is the ratio of the two completions' p50 (the issue's target: <= 1.10).
- telemetry: what the request log and the metrics cost. Two servers of one fresh database, started side by side:
  `on` with the defaults (one log line per request, written to a file; requests timed into the metrics, gunicorn's
  processes counting in a PROMETHEUS_MULTIPROC_DIR as in production) and `off` (REQUEST_LOG=0,
  METRICS_ENABLED=0); one client alternates between them lifecycle by lifecycle, then 4 clients run on each in
  alternating phases. `lifecycle_p50_ratio_on_to_off` and `rate_4_ratio_off_to_on` (and each round's): the
  issue's target is <= 1.05.

The clients share the machine's 2 cores with the server, so each is a plain keep-alive `http.client`
connection rather than `requests` (measured here: 0.7 ms of client CPU per call against 2.1 ms).

Prints one JSON document. Usage: python bench/http_lifecycle.py [--lifecycles 200] [--seconds 10] [--rounds 3]
[--databases sqlite,postgresql] [--parts server,forms,telemetry]
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_stack import LiveStack, one_step_bpmn  # noqa: E402

from workflow_app.core.time import local_today  # noqa: E402

TIMER_SECONDS = 2

# The JSON Schema form of schema_step: ten fields, the kinds a bureau's application has.
SCHEMA_FORM = {
    "type": "object",
    "title": "展期申请",
    "required": [
        "loan_type",
        "contract_no",
        "bank",
        "principal",
        "maturity_date",
        "months_requested",
        "reason",
        "contact_phone",
        "guarantors",
    ],
    "properties": {
        "loan_type": {
            "type": "string",
            "title": "贷款类别",
            "oneOf": [
                {"const": "entrepreneurship", "title": "创业担保贷款"},
                {"const": "weigangdai", "title": "稳岗扩岗专项贷款（潍岗贷）"},
            ],
        },
        "contract_no": {"type": "string", "title": "借款合同编号", "minLength": 1, "maxLength": 60},
        "bank": {"type": "string", "title": "贷款银行", "minLength": 1, "maxLength": 100},
        "principal": {"type": "string", "title": "未还本金（元）", "format": "money-yuan"},
        "maturity_date": {"type": "string", "title": "到期日", "format": "date"},
        "months_requested": {"type": "integer", "title": "申请展期月数", "minimum": 1, "maximum": 36},
        "reason": {"type": "string", "title": "暂时困难及证明", "minLength": 1, "maxLength": 4000},
        "contact_phone": {"type": "string", "title": "经办人手机", "format": "cn-mobile"},
        "wages_paid": {"type": "boolean", "title": "工资按时足额发放"},
        "guarantors": {
            "type": "array",
            "title": "担保人",
            "minItems": 1,
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["name", "share"],
                "properties": {
                    "name": {"type": "string", "title": "姓名", "minLength": 2, "maxLength": 30},
                    "share": {"type": "integer", "title": "担保份额（%）", "minimum": 1, "maximum": 100},
                },
            },
        },
    },
}
SCHEMA_UI = {
    "ui:order": [
        "loan_type",
        "contract_no",
        "bank",
        "principal",
        "maturity_date",
        "months_requested",
        "reason",
        "contact_phone",
        "wages_paid",
        "guarantors",
    ],
    "loan_type": {"ui:widget": "radio"},
    "reason": {"ui:widget": "textarea"},
    "maturity_date": {"ui:widget": "date"},
}


def _form_data() -> dict:
    """process id -> the data its task is completed with (valid: the maturity date lies a year ahead)."""
    maturity = (local_today() + timedelta(days=365)).isoformat()
    shared = {
        "loan_type": "weigangdai",
        "contract_no": "JK-2024-0815",
        "bank": "潍坊银行奎文支行",
        "principal": "1250000.50",
        "maturity_date": maturity,
        "months_requested": 12,
        "reason": "受订单延后影响，货款回笼推迟三个月，申请展期十二个月。",
        "wages_paid": True,
    }
    return {
        "one_step": {},
        "wtforms_step": {
            **shared,
            "founded_date": "2015-06-01",
            "employees": 86,
            "headcount_last_year_end": 80,
            "contributions_paid": True,
        },
        "schema_step": {
            **shared,
            "contact_phone": "13812345678",
            "guarantors": [{"name": "王建国", "share": 60}, {"name": "李秀英", "share": 40}],
        },
    }


def form_sources() -> dict[str, str]:
    """The files of the two one-task processes with a form (deployed beside one_step)."""
    return {
        "wtforms_step.bpmn": one_step_bpmn("wtforms_step", task_properties={"formKey": "loan_extension_apply"}),
        "schema_step.bpmn": one_step_bpmn(
            "schema_step",
            task_properties={
                "formJsonSchemaFilename": "schema_step-schema.json",
                "formUiSchemaFilename": "schema_step-uischema.json",
            },
        ),
        "schema_step-schema.json": json.dumps(SCHEMA_FORM, ensure_ascii=False),
        "schema_step-uischema.json": json.dumps(SCHEMA_UI, ensure_ascii=False),
    }


def _percentiles(values):
    values = sorted(values)
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(values[min(len(values) - 1, int(len(values) * 0.95))] * 1000, 2),
    }


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


def lifecycle(client, timings=None, process="one_step", data=None):
    """Start a case, read the group queue, complete the case's task (with `data`); record the three durations."""
    t0 = time.perf_counter()
    status, created = client.call("POST", "/api/v1/cases", {"process": process, "data": {}})
    t1 = time.perf_counter()
    assert status == 201, created
    status, inbox = client.call("GET", "/api/v1/tasks", params={"queue": "group"})
    t2 = time.perf_counter()
    assert status == 200, inbox
    task_id = created["current_steps"][0]["id"]
    status, done = client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": data or {}})
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
    return {
        **{name: _percentiles(values) | {"p50_ms_rounds": per_round[name]} for name, values in timings.items()},
        "lifecycles_per_s": {clients: statistics.median(values) for clients, values in rates.items()},
        "lifecycles_per_s_rounds": rates,
        "bare_engine_p50_ms_rounds": bare_rounds,
    }


def measure_forms(stack, lifecycles, rounds=3):
    """One client; in each round `lifecycles` lifecycles of each process with a form (and of one_step), taken in turn
    lifecycle by lifecycle, the order turning each time. Per process: p50/p95 of each call and each round's p50."""
    data = _form_data()
    one = ApiClient(stack.url, stack.tokens[0])
    for _ in range(20):  # warm up: the specs, the compiled forms
        for process, values in data.items():
            lifecycle(one, process=process, data=values)
    processes = list(data)
    timings = {process: {"create": [], "inbox": [], "complete": [], "lifecycle": []} for process in processes}
    per_round = {process: [] for process in processes}
    for _round in range(rounds):
        this_round = {process: {name: [] for name in timings[process]} for process in processes}
        for n in range(lifecycles):
            for process in processes[n % len(processes) :] + processes[: n % len(processes)]:
                lifecycle(one, this_round[process], process, data[process])
        for process, calls in this_round.items():
            for name, values in calls.items():
                timings[process][name] += values
            per_round[process].append(_percentiles(calls["complete"])["p50_ms"])
    result = {
        process: {name: _percentiles(values) for name, values in calls.items()}
        | {"complete_p50_ms_rounds": per_round[process]}
        for process, calls in timings.items()
    }
    result["complete_ratio_json_schema_to_wtforms"] = round(
        result["schema_step"]["complete"]["p50_ms"] / result["wtforms_step"]["complete"]["p50_ms"], 3
    )
    result["complete_ratio_json_schema_to_wtforms_rounds"] = [
        round(schema / wtforms, 3)
        for schema, wtforms in zip(per_round["schema_step"], per_round["wtforms_step"], strict=True)
    ]
    return result


def measure_telemetry(database, lifecycles, rounds=3, phases=6, phase_seconds=3.0):
    """One client alternating lifecycle by lifecycle between a server with the request log and metrics and one
    without, then 4 clients in alternating phases, in rounds; a fresh database of its own."""
    server = "gunicorn" if database == "postgresql" else "flask"
    stack = LiveStack(database, clients=4)
    plain_env, servers = dict(stack.env), {}
    metrics_folder = tempfile.mkdtemp(prefix="bench-metrics-", dir=stack.log_dir)
    try:
        for name, settings in (
            (
                "on",
                {
                    "REQUEST_LOG": "1",
                    "METRICS_ENABLED": "1",
                    "LOG_FORMAT": "text",
                    **({"PROMETHEUS_MULTIPROC_DIR": metrics_folder} if server == "gunicorn" else {}),
                },
            ),
            ("off", {"REQUEST_LOG": "0", "METRICS_ENABLED": "0"}),
        ):
            stack.env = {**plain_env, **settings}
            servers[name] = (stack.start_web(server), SimpleNamespace(url=stack.url, tokens=stack.tokens))
        stack.env, stack.web = plain_env, None
        clients = {name: ApiClient(target.url, stack.tokens[0]) for name, (_process, target) in servers.items()}
        for _ in range(30):  # warm up both
            for api in clients.values():
                lifecycle(api)
        order = [("on", "off"), ("off", "on")]
        p50, rates = {name: [] for name in servers}, {name: [] for name in servers}
        for _round in range(rounds):
            timings = {name: {"create": [], "inbox": [], "complete": [], "lifecycle": []} for name in servers}
            for n in range(lifecycles):
                for name in order[n % 2]:
                    lifecycle(clients[name], timings[name])
            round_rates = {name: [] for name in servers}
            for phase in range(phases):
                for name in order[phase % 2]:
                    round_rates[name].append(lifecycles_per_second(servers[name][1], 4, phase_seconds))
            for name in servers:
                p50[name].append(_percentiles(timings[name]["lifecycle"])["p50_ms"])
                rates[name].append(round(statistics.median(round_rates[name]), 1))
        result = {
            name: {
                "lifecycle_p50_ms_rounds": p50[name],
                "lifecycles_per_s_4_rounds": rates[name],
                "lifecycle_p50_ms": statistics.median(p50[name]),
                "lifecycles_per_s_4": statistics.median(rates[name]),
            }
            for name in servers
        }
        result["lifecycle_p50_ratio_on_to_off_rounds"] = [
            round(on / off, 3) for on, off in zip(p50["on"], p50["off"], strict=True)
        ]
        result["rate_4_ratio_off_to_on_rounds"] = [
            round(off / on, 3) for on, off in zip(rates["on"], rates["off"], strict=True)
        ]
        result["lifecycle_p50_ratio_on_to_off"] = statistics.median(result["lifecycle_p50_ratio_on_to_off_rounds"])
        result["rate_4_ratio_off_to_on"] = statistics.median(result["rate_4_ratio_off_to_on_rounds"])
        return result
    finally:
        for process, _target in servers.values():
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        stack.web = None
        stack.stop()


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
        rows = conn.execute(
            sa.text(
                "SELECT i.created_at, a.at FROM audit_event a JOIN process_instance i ON i.id = a.instance_id "
                "WHERE a.kind = 'timer_fired' AND i.process_id = 'timed_step'"
            )
        ).all()
    engine.dispose()
    delays = sorted((fired - created - timedelta(seconds=TIMER_SECONDS)).total_seconds() for created, fired in rows)
    return {"p50": round(statistics.median(delays), 3), "max": round(delays[-1], 3), "timers": len(delays)}


class BareEngine:
    """The same lifecycle in SpiffWorkflow alone, in memory (the floor; also the machine's speed at a moment)."""

    def __init__(self):
        from lxml import etree
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
        from SpiffWorkflow.util.task import TaskState

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
    parser.add_argument(
        "--lifecycles", type=int, default=200, help="each round's one-client lifecycles (of each process, in forms)"
    )
    parser.add_argument("--seconds", type=float, default=10, help="each round's 4-client run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--parts",
        default="server,forms,telemetry",
        help="which measurements: server (calls, rates, timers), forms, telemetry",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    result = {"cpus": os.cpu_count(), "bare_engine": bare_engine(args.lifecycles)}
    sources = {
        "one_step.bpmn": one_step_bpmn(),
        **form_sources(),
        "timed_step.bpmn": one_step_bpmn("timed_step", timer=f"PT{TIMER_SECONDS}S"),
    }
    for database in args.databases.split(","):
        result[database] = {"server": "gunicorn -w 2" if database == "postgresql" else "flask run (threaded)"}
        if parts & {"server", "forms"}:
            stack = LiveStack(database, clients=4, sources=sources)
            try:
                stack.start_web("gunicorn" if database == "postgresql" else "flask")
                if "server" in parts:
                    result[database].update(measure_server(stack, args.lifecycles, args.seconds, args.rounds))
                if "forms" in parts:
                    result[database]["forms"] = measure_forms(stack, args.lifecycles, args.rounds)
                if "server" in parts and database == "postgresql":
                    result["timer_latency_s"] = timer_latency(stack)
            finally:
                stack.stop()
        if "telemetry" in parts:
            result[database]["telemetry"] = measure_telemetry(database, args.lifecycles, args.rounds)
    pg = result.get("postgresql", {})
    result["targets"] = {
        "complete_p50_ms_sqlite_le_7": result.get("sqlite", {}).get("complete", {}).get("p50_ms", 1e9) <= 7,
        "complete_p50_ms_postgresql_le_9": pg.get("complete", {}).get("p50_ms", 1e9) <= 9,
        "lifecycles_per_s_4_clients_postgresql_ge_80": pg.get("lifecycles_per_s", {}).get("4", 0) >= 80,
        "timer_latency_p50_s_le_2": result.get("timer_latency_s", {}).get("p50", 1e9) <= 2,
        **{
            f"json_schema_complete_within_10pct_of_wtforms_{database}": result[database]["forms"][
                "complete_ratio_json_schema_to_wtforms"
            ]
            <= 1.10
            for database in ("sqlite", "postgresql")
            if "forms" in result.get(database, {})
        },
        **{
            f"request_log_and_metrics_within_5pct_{database}": result[database]["telemetry"][
                "lifecycle_p50_ratio_on_to_off"
            ]
            <= 1.05
            and result[database]["telemetry"]["rate_4_ratio_off_to_on"] <= 1.05
            for database in ("sqlite", "postgresql")
            if "telemetry" in result.get(database, {})
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
