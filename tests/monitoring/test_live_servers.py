"""The real servers: /metrics adds up gunicorn's processes, and /readyz follows a `flask worker` that stops and goes on."""

import signal
import socket
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from live_stack import LiveStack  # noqa: E402


@pytest.fixture
def stack(tmp_path):
    stack = LiveStack("sqlite", clients=1, log_dir=tmp_path)
    yield stack
    stack.stop()


def wait_for(check, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_gunicorn_s_processes_add_up_in_metrics_and_readiness_follows_the_worker(stack, tmp_path):
    metrics_folder = tmp_path / "metrics"
    metrics_folder.mkdir()
    (metrics_folder / "counter_99999.db").write_bytes(b"\0" * 8)  # an earlier run's: gunicorn.conf.py removes it
    stack.env.update(PROMETHEUS_MULTIPROC_DIR=str(metrics_folder), WORKER_HEARTBEAT_MAX_AGE_SECONDS="1.5")
    worker = stack.start_worker()  # starting while gunicorn starts: the two load the app side by side
    stack.start_web("gunicorn", workers=2)
    # one process is held by a request that has not finished its headers, so the other answers the next 30
    held = socket.create_connection(("127.0.0.1", int(stack.url.rsplit(":", 1)[1])))
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    time.sleep(0.5)
    for _ in range(30):
        assert requests.get(f"{stack.url}/healthz", timeout=30).status_code == 200
    held.sendall(b"Connection: close\r\n\r\n")  # and then the held one answers it
    assert held.recv(100).startswith(b"HTTP/1.1 200")
    held.close()
    text = requests.get(f"{stack.url}/metrics", timeout=5).text
    counts = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "workflow_http_request_duration_seconds_count"
        and sample.labels["endpoint"] == "monitoring.healthz"
    ]
    assert counts == [31]  # the two processes' counts added up, whichever answers the scrape
    assert len({path.name.split("_")[-1] for path in metrics_folder.glob("histogram_*.db")}) == 2

    def ready():
        return requests.get(f"{stack.url}/readyz", timeout=5).status_code == 200

    assert wait_for(ready, 60)
    worker.send_signal(signal.SIGSTOP)  # the worker hangs
    try:
        assert wait_for(lambda: not ready())
        body = requests.get(f"{stack.url}/readyz", timeout=5).json()
        assert body["checks"]["worker"]["ok"] is False and body["checks"]["database"]["ok"] is True
    finally:
        worker.send_signal(signal.SIGCONT)  # and goes on
    assert wait_for(ready)
