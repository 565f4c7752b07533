"""A live stack for the load, crash and HTTP benchmarks: a fresh database (PostgreSQL or an SQLite file),
migrated, with clerks and their API tokens and the given processes deployed, served by gunicorn or the
development server, with an optional `flask worker`. Used by bench/ scripts and tests/reliability.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_database import create_postgres_database, drop_postgres_database  # noqa: E402

LANE = "clerk"


def one_step_bpmn(process_id="one_step", timer=None, task_properties=None):
    """A process of one user task in the lane "clerk", after a timer (an ISO duration) when one is given; the task
    carries the spiffworkflow properties given (e.g. {"formKey": ...} or {"formJsonSchemaFilename": ...})."""
    properties = "".join(
        f'<spiffworkflow:property name="{name}" value="{value}" />' for name, value in (task_properties or {}).items()
    )
    extensions = (
        (
            f"<bpmn:extensionElements><spiffworkflow:properties>{properties}</spiffworkflow:properties>"
            f"</bpmn:extensionElements>"
        )
        if properties
        else ""
    )
    wait = (
        (
            f'<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>'
            f'<bpmn:timerEventDefinition id="wd"><bpmn:timeDuration>"{timer}"</bpmn:timeDuration>'
            f"</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            f'<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" />'
        )
        if timer
        else ""
    )
    first = "wait" if timer else "start"
    refs = "".join(
        f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>"
        for node in ("start", "wait", "approve", "end")
        if node != "wait" or timer
    )
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="{LANE}">{refs}</bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>{"f0" if timer else "f1"}</bpmn:outgoing></bpmn:startEvent>
    {wait}
    <bpmn:userTask id="approve" name="Approve">{extensions}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="{first}" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveStack:
    """Create with the database kind, `start_web()`, use `url` and `tokens`, `stop()` at the end."""

    def __init__(self, database="postgresql", clients=8, sources=None, log_dir=None):
        self.kind = database
        self.log_dir = Path(log_dir or os.environ.get("TMPDIR", "/tmp"))
        if database == "postgresql":
            self.database_url, self._admin, self._name = create_postgres_database(f"live_{secrets.token_hex(3)}")
        else:
            self._path = self.log_dir / f"live-{os.getpid()}-{secrets.token_hex(3)}.sqlite"
            self.database_url = f"sqlite:///{self._path}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_hex(16),
            "WORKER_POLL_SECONDS": "0.2",
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "wsgi",
        }
        self.env.pop("INPROCESS_WORKER", None)
        self.tokens = self._prepare(clients, sources or {"one_step.bpmn": one_step_bpmn()})
        self.web = self.worker = None
        self.url = None

    def _prepare(self, clients, sources):
        """Migrate, create the clerks and their tokens, deploy the processes (in this process, then let go)."""
        from flask_migrate import upgrade

        import config
        from workflow_app import create_app
        from workflow_app.auth.operations import create_api_token, create_org_unit, create_user
        from workflow_app.engine.operations import deploy_sources
        from workflow_app.extensions import db

        settings = type(
            "LiveConfig",
            (config.DevelopmentConfig,),
            {"SQLALCHEMY_DATABASE_URI": self.database_url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            unit = create_org_unit("bench", "Bench unit", "city", None)
            tokens = []
            for n in range(clients):
                user = create_user(f"clerk{n}", [LANE], unit.code, "bench-pass-1")
                tokens.append(create_api_token(user, "live stack")[1])
            deploy_sources({name: text.encode() for name, text in sources.items()})
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return tokens

    def start_web(self, server="gunicorn", workers=2):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.log_dir / f"live-web-{port}.log", "ab")
        if server == "gunicorn":
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ]
        else:  # the development server the demo runs (threads, one process)
            command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
        self.web = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.wait_ready()
        return self.web

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.web.poll() is not None:
                raise RuntimeError(f"the web server exited with {self.web.returncode}")
            time.sleep(0.2)
        raise RuntimeError("the web server did not answer within 60 s")

    def web_worker_pids(self) -> list[int]:
        """The pids of gunicorn's worker processes (children of its master)."""
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def start_worker(self):
        log = open(self.log_dir / f"live-worker-{os.getpid()}.log", "ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        return self.worker

    def flask(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )

    def engine(self):
        import sqlalchemy as sa

        url = self.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return sa.create_engine(url)

    def stop(self):
        for process in (self.worker, self.web):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.kind == "postgresql":
            drop_postgres_database(self._admin, self._name)
            self._admin.dispose()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
