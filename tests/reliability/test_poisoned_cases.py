"""The real `flask worker` against 20 cases, 5 of them poisoned: the 15 others go on to their end, the 5 wait in
Case repair, and `processes check` is clean, an admin's cancelled case included."""

import time

import requests
import sqlalchemy as sa
from live_stack import one_step_bpmn

from tests.poisons import BUDGET_POISONS, BY_TIMER, DATA_POISONS, DMN, poisoned_bpmn

POISONS = {
    "looping_script": BUDGET_POISONS["looping script"][0],
    "gigabyte": BUDGET_POISONS["1 GB allocation"][0],
    "calls_itself": BUDGET_POISONS["recursive call activity"][0],
    "generator_in_data": DATA_POISONS["generator left in data"][0],
    "timer_99999_years": DATA_POISONS["timer of P99999Y"][0],
}
GOOD_CASES = 15


def _rows(stack, sql):
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).all()
    finally:
        engine.dispose()


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _cancel(stack, instance_id):
    """Cancel a case as an admin does (the repair page's operation), on the stack's database."""
    import config
    from workflow_app import create_app
    from workflow_app.engine.operations import cancel_instance
    from workflow_app.extensions import db

    settings = type("LiveConfig", (config.DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": stack.database_url})
    app = create_app(settings)
    with app.app_context():
        cancel_instance(instance_id, "模型有误，撤销后重办", None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_worker_stops_the_poisoned_cases_and_carries_the_others_to_their_end(live_stack):
    sources = {f"{pid}.bpmn": poisoned_bpmn(pid, poison, BY_TIMER) for pid, poison in POISONS.items()}
    sources.update({"looping.dmn": DMN, "timed_step.bpmn": one_step_bpmn("timed_step", timer="PT1S")})
    stack = live_stack(clients=1, sources=sources)
    stack.env.update(MODEL_CPU_SECONDS="1", MODEL_MEMORY_MB="128")
    stack.start_web("gunicorn", workers=1)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.tokens[0]}"
    processes = list(POISONS)[:2] + ["timed_step"] * GOOD_CASES + list(POISONS)[2:]  # poisons among the others
    for process in processes:
        started = session.post(f"{stack.url}/api/v1/cases", json={"process": process})
        assert started.status_code == 201, started.text
    stack.start_worker()

    def settled():
        statuses = dict(
            _rows(
                stack,
                "SELECT process_id, status FROM process_instance WHERE process_id IN ("
                + ", ".join(f"'{pid}'" for pid in POISONS)
                + ")",
            )
        )
        approvals = _rows(stack, "SELECT count(*) FROM task WHERE bpmn_id = 'approve' AND state = 'open'")[0][0]
        return list(statuses.values()) == ["error"] * len(POISONS) and approvals == GOOD_CASES

    _wait_for(settled, 90, "the worker to fire every timer")
    assert stack.worker.poll() is None, "the worker exited"

    items = session.get(f"{stack.url}/api/v1/tasks", params={"queue": "group", "per_page": 100}).json()["items"]
    assert len(items) == GOOD_CASES
    for item in items:
        assert session.post(f"{stack.url}/api/v1/tasks/{item['id']}/complete", json={"data": {}}).status_code == 200
    statuses = _rows(stack, "SELECT status, count(*) FROM process_instance GROUP BY status ORDER BY status")
    assert statuses == [("completed", GOOD_CASES), ("error", len(POISONS))]
    messages = dict(_rows(stack, "SELECT process_id, error_message FROM process_instance WHERE status = 'error'"))
    assert "MODEL_CPU_SECONDS" in messages["looping_script"] and "MODEL_CPU_SECONDS" in messages["calls_itself"]
    assert "MODEL_MEMORY_MB" in messages["gigabyte"] and "generator" in messages["generator_in_data"]

    [(cancelled_id,)] = _rows(stack, "SELECT id FROM process_instance WHERE process_id = 'looping_script'")
    _cancel(stack, cancelled_id)
    check = stack.flask("processes", "check")
    assert check.returncode == 0, check.stdout + check.stderr
