"""Median cost of one complete-task on a 20-step case: bare SpiffWorkflow vs the engine with persistence.

bare_ms:        SpiffWorkflow alone, in memory, with its stock serializer: deserialize + set data + run +
                engine steps + serialize (the stock serializer carries the spec in every document).
engine_floor_ms: the same in-memory step the way the engine does it (spec kept out of the state and
                cached per process version): the floor under our persistence.
sqlite_ms / postgresql_ms: workflow_app.engine.operations.complete_task + commit (lock, load, run,
                save, task/timer projections, audit rows).
with_sla:       the same through the engine when every step has a deadline (sla="3wd"): the SLA clocks of
                each task are read, stopped and started in the step too (not part of the 2x target, which
                is the engine's persistence and projections; shown so that the clocks' cost is seen).
database_ms:    of those, the time spent waiting on the database driver: its statements (round trip and
                the server's work) and the commit; statements_per_step counts them.
The three run case by case in turn (bare, SQLite, PostgreSQL), so that drift of this shared machine
during a run touches them alike. Prints one JSON document. Usage: python bench/engine_step.py [--cases N]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_database import create_postgres_database, drop_postgres_database  # noqa: E402

STEPS = 20


def process_xml(steps=STEPS, process_id="bench_steps", sla=None):
    nodes, flows = [], []
    previous = "start"
    properties = (
        (
            f'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="sla" '
            f'value="{sla}" /></spiffworkflow:properties></bpmn:extensionElements>'
        )
        if sla
        else ""
    )
    for i in range(1, steps + 1):
        nodes.append(
            f'<bpmn:userTask id="step_{i}" name="Step {i}">{properties}<bpmn:incoming>f{i}</bpmn:incoming>'
            f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>"
        )
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="step_{i}" />')
        previous = f"step_{i}"
    flows.append(f'<bpmn:sequenceFlow id="f{steps + 1}" sourceRef="{previous}" targetRef="end" />')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="clerk" /></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {"".join(nodes)}
    <bpmn:endEvent id="end"><bpmn:incoming>f{steps + 1}</bpmn:incoming></bpmn:endEvent>
    {"".join(flows)}
  </bpmn:process>
</bpmn:definitions>'''


FORM_DATA = {"decision": "approve", "comment": "checked the documents", "amount": "1234.50"}


class Bare:
    """SpiffWorkflow alone, in memory: with its stock serializer (`stock`) and the engine's way (`floor`)."""

    def __init__(self):
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

        from workflow_app.engine.serialization import dump_specs

        parser = SpiffBpmnParser()
        parser.add_bpmn_str(process_xml().encode())
        self.spec = parser.get_spec("bench_steps")
        self.spec_json = dump_specs(self.spec, {})
        self.key = uuid.uuid4().hex
        self.stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.times = {"floor": [], "stock": []}

    def run_case(self):
        from SpiffWorkflow.util.task import TaskState

        from workflow_app.engine.scripting import SCRIPT_ENGINE
        from workflow_app.engine.serialization import dump_workflow, load_specs, load_workflow, new_workflow

        spec_json = self.spec_json
        workflow = new_workflow(load_specs(self.key, lambda: spec_json), {})
        workflow.do_engine_steps()
        state = dump_workflow(workflow)
        full = self.stock.serialize_json(workflow)
        for _step in range(STEPS):
            started = time.perf_counter()
            wf = load_workflow(state, self.key, lambda: spec_json)
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(FORM_DATA)
            task.run()
            wf.do_engine_steps()
            state = dump_workflow(wf)
            self.times["floor"].append(time.perf_counter() - started)

            started = time.perf_counter()
            wf2 = self.stock.deserialize_json(full)
            wf2.script_engine = SCRIPT_ENGINE
            task = wf2.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(FORM_DATA)
            task.run()
            wf2.do_engine_steps()
            full = self.stock.serialize_json(wf2)
            self.times["stock"].append(time.perf_counter() - started)
        assert wf.is_completed() and wf2.is_completed()

    def close(self):
        pass


class Persisted:
    """The engine package with its database: complete_task + commit, one case (20 steps) at a time."""

    def __init__(self, database_url):
        from flask_migrate import upgrade

        from config import TestingConfig
        from workflow_app import create_app
        from workflow_app.auth.operations import create_org_unit
        from workflow_app.engine.operations import deploy_sources
        from workflow_app.extensions import db

        config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})
        self.app = create_app(config)
        self.times = []
        self.sla_times = []
        self.database_times = []
        self.statements = []
        self.cases = 0
        with self.app.app_context():
            self._time_the_driver(db.engine)
            upgrade()
            self.unit_id = create_org_unit("bench", "Bench county", "county", None).id
            deploy_sources(
                {
                    "bench_steps.bpmn": process_xml().encode(),
                    "bench_sla_steps.bpmn": process_xml(process_id="bench_sla_steps", sla="3wd").encode(),
                }
            )
            db.session.commit()

    def _time_the_driver(self, engine):
        import sqlalchemy as sa

        self._in_driver, self._executed, self._started = 0.0, 0, None

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _before(*_args):
            self._started = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _after(*_args):
            self._in_driver += time.perf_counter() - self._started
            self._executed += 1

    def run_case(self, with_sla=False):
        from workflow_app.cases.operations import start_case
        from workflow_app.engine.operations import complete_task
        from workflow_app.engine.queries import open_tasks
        from workflow_app.extensions import db

        with self.app.app_context():
            case = start_case(
                "bench_sla_steps" if with_sla else "bench_steps", {}, self.unit_id, None, f"bench {self.cases}"
            )
            self.cases += 1
            db.session.commit()
            for _step in range(STEPS):
                [task] = open_tasks(case.instance_id)
                task_id = task.id
                db.session.expire_all()
                self._in_driver, self._executed = 0.0, 0
                started = time.perf_counter()
                complete_task(task_id, dict(FORM_DATA), None)
                committing = time.perf_counter()
                db.session.commit()
                ended = time.perf_counter()
                if with_sla:
                    self.sla_times.append(ended - started)
                    continue
                self.times.append(ended - started)
                self.database_times.append(self._in_driver + ended - committing)
                self.statements.append(self._executed)
            assert case.instance.status == "completed"

    def close(self):
        from workflow_app.extensions import db

        with self.app.app_context():
            db.engine.dispose()


def ms(values):
    return round(statistics.median(values) * 1000, 3)


def p95(values):
    return round(sorted(values)[int(len(values) * 0.95) - 1] * 1000, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=30)
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)

    url, admin, name = create_postgres_database("workflow_bench")
    with tempfile.TemporaryDirectory() as folder:
        bare, sqlite, pg = Bare(), Persisted(f"sqlite:///{folder}/bench.sqlite"), Persisted(url)
        try:
            for runner in (bare, sqlite, pg):  # warm up imports, caches and connections
                runner.run_case()
                runner.times = {"floor": [], "stock": []} if runner is bare else []
                if runner is not bare:
                    runner.run_case(with_sla=True)
                    runner.database_times, runner.statements, runner.sla_times = [], [], []
            # case by case in turn, so that this shared machine's drift between runs touches all three alike
            for _ in range(args.cases):
                for runner in (bare, sqlite, pg):
                    runner.run_case()
                for runner in (sqlite, pg):
                    runner.run_case(with_sla=True)
        finally:
            sqlite.close()
            pg.close()
            drop_postgres_database(admin, name)
    stock, cached = bare.times["stock"], bare.times["floor"]
    result = {
        "bare_ms": ms(stock),
        "sqlite_ms": ms(sqlite.times),
        "postgresql_ms": ms(pg.times),
        "steps": STEPS,
        "engine_floor_ms": ms(cached),
        "p95_ms": {
            "bare": p95(stock),
            "engine_floor": p95(cached),
            "sqlite": p95(sqlite.times),
            "postgresql": p95(pg.times),
        },
        "ratio_to_bare": {
            "sqlite": round(ms(sqlite.times) / ms(stock), 2),
            "postgresql": round(ms(pg.times) / ms(stock), 2),
        },
        "database_ms": {"sqlite": ms(sqlite.database_times), "postgresql": ms(pg.database_times)},
        "statements_per_step": statistics.median(pg.statements),
        "with_sla": {
            "sqlite_ms": ms(sqlite.sla_times),
            "postgresql_ms": ms(pg.sla_times),
            "ratio_to_bare": {
                "sqlite": round(ms(sqlite.sla_times) / ms(stock), 2),
                "postgresql": round(ms(pg.sla_times) / ms(stock), 2),
            },
        },
        "samples": len(cached),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
