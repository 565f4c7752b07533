"""/metrics: Prometheus' format, counters that move with a case's lifecycle, gauges read from the database, and
only for the configured addresses or the token."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import DATA, open_task_of
from workflow_app.auth.operations import create_api_token
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db

MONITOR = "10.20.30.40"  # not among METRICS_ALLOWED_IPS' defaults
# tests/data's timer process with its follow-up visit in the clerks' lane (the test's user completes it)
TIMER_THEN_CLERK = (
    (DATA / "intermediate_timer.bpmn")
    .read_text()
    .replace(
        '<bpmn:startEvent id="start">',
        '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_clerk" name="clerk">'
        '<bpmn:flowNodeRef>visit</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet><bpmn:startEvent id="start">',
    )
)


def scrape(app, address="127.0.0.1", headers=None):
    response = app.test_client().get("/metrics", headers=headers or {}, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_a_scrape_after_a_lifecycle_shows_the_counters_moved(app, deploy, create_case, user, clock):
    deploy(sources={"intermediate_timer.bpmn": TIMER_THEN_CLERK})
    before = scrape(app)
    case = create_case("intermediate_timer", {"wait_for": "PT1H"})
    clock.shift_clock(timedelta(hours=1, minutes=2))  # the timer is two minutes late: the worker has not run
    late = scrape(app)
    assert value(late, "workflow_due_timers") == 1
    assert 119 <= value(late, "workflow_due_timer_lateness_seconds") <= 130

    run_worker_pass()  # fires it: the follow-up visit opens
    task = open_task_of(case, "visit")
    assert value(scrape(app), "workflow_open_tasks", sla_state="none") == 1
    _row, token = create_api_token(user, "test")
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/tasks/{task.id}/complete", json={"data": {}}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    after = scrape(app)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("workflow_cases_started_total", process="intermediate_timer") == 1
    assert moved("workflow_timers_fired_total", process="intermediate_timer") == 1
    assert moved("workflow_tasks_closed_total", process="intermediate_timer", state="completed") == 1
    assert (
        moved("workflow_http_request_duration_seconds_count", endpoint="api.complete_task_endpoint", method="POST") == 1
    )
    assert moved("workflow_http_responses_total", endpoint="api.complete_task_endpoint", status="200") == 1
    assert moved("workflow_http_request_duration_seconds_count", endpoint="monitoring.metrics", method="GET") == 3
    assert value(after, "workflow_due_timers") == 0 and value(after, "workflow_due_timer_lateness_seconds") == 0
    assert value(after, "workflow_open_tasks", sla_state="none") == 0
    assert value(after, "workflow_database_up") == 1
    workers = [labels for (name, labels) in after if name == "workflow_worker_passes_total"]
    assert len(workers) == 1
    worker = dict(workers[0])["worker"]
    assert value(after, "workflow_worker_timers_fired_total", worker=worker) >= 1
    assert value(after, "workflow_worker_stalled", worker=worker) == 0 and value(after, "workflow_workers_running") == 1
    assert value(after, "workflow_worker_sweep_duration_seconds", worker=worker, sweep="run_sla_sweep") >= 0
    assert ("workflow_worker_sweep_duration_seconds", (("sweep", "run_sla_sweep"), ("worker", worker))) in after
    assert value(after, "workflow_worker_last_heartbeat_timestamp_seconds", worker=worker) > 0


def test_open_tasks_are_counted_by_their_clocks_state(app, deploy, create_case, clock):
    deploy("sla_deadline.bpmn")
    create_case("sla_deadline")
    counts = {
        state: value(scrape(app), "workflow_open_tasks", sla_state=state)
        for state in ("on_track", "at_risk", "overdue", "none")
    }
    assert counts == {"on_track": 1, "at_risk": 0, "overdue": 0, "none": 0}
    clock.shift_clock(timedelta(days=60))
    samples = scrape(app)
    assert value(samples, "workflow_open_tasks", sla_state="overdue") == 1
    assert value(samples, "workflow_open_tasks", sla_state="on_track") == 0


def test_metrics_are_refused_elsewhere_without_the_token(app, monkeypatch):
    client = app.test_client()
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": MONITOR})
    assert refused.status_code == 403 and "METRICS_TOKEN" in refused.get_data(as_text=True)
    assert "workflow_" not in refused.get_data(as_text=True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    for wrong in ("Bearer wrong", "s3cret-scrape-token", "Bearer s3cret-scrape-token-and-more", ""):
        assert (
            client.get("/metrics", headers={"Authorization": wrong}, environ_base={"REMOTE_ADDR": MONITOR}).status_code
            == 403
        ), wrong
    assert value(scrape(app, MONITOR, {"Authorization": "Bearer s3cret-scrape-token"}), "workflow_database_up") == 1
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_IPS", "10.20.0.0/16, 192.0.2.1")
    assert value(scrape(app, MONITOR), "workflow_database_up") == 1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    monkeypatch.setitem(app.config, "METRICS_ENABLED", False)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": MONITOR}).status_code == 404
